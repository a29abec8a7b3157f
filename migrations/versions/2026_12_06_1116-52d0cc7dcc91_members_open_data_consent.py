"""members: open data consent (a member agrees to publish its organisation, offers and open needs
in the open data feeds)

Revision ID: 52d0cc7dcc91
Revises: cf28a02f197e
Create Date: 2026-12-06 11:16:45.472728

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '52d0cc7dcc91'
down_revision = 'cf28a02f197e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_data_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('open_data_consent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('open_data_consent_at')
        batch_op.drop_column('open_data_consent')
