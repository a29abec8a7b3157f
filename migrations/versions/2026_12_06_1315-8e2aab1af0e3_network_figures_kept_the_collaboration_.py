"""network figures kept: the collaboration network's figures per period and cut, worked out daily or on first request

Revision ID: 8e2aab1af0e3
Revises: 195698ef91c3
Create Date: 2026-12-06 13:15:04.172792

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e2aab1af0e3'
down_revision = '195698ef91c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('network_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('tag_id', sa.Integer(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['funding_tags.id'], name=op.f('fk_network_figures_tag_id_funding_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_figures')),
    sa.UniqueConstraint('key', name=op.f('uq_network_figures_key'))
    )
    with op.batch_alter_table('network_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_figures_tag_id'), ['tag_id'], unique=False)



def downgrade():
    with op.batch_alter_table('network_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_figures_tag_id'))

    op.drop_table('network_figures')
