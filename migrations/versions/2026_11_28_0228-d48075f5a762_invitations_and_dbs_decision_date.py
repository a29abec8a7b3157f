"""invitations and DBS decision date

Invitations: an admin invites someone by email to join a member (they may have no account yet).
compliance_records.decided_on: DBS records are deleted 6 months after the decision.

Revision ID: d48075f5a762
Revises: 97ce6e8a8bfc
Create Date: 2026-11-28 02:28:01.268289

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd48075f5a762'
down_revision = '97ce6e8a8bfc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'staff')", name=op.f('ck_invitations_role_known')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'cancelled')", name=op.f('ck_invitations_status_known')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_invitations_email_lowercase')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_invitations_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('compliance_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_on', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('compliance_records', schema=None) as batch_op:
        batch_op.drop_column('decided_on')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_member_id'))
        batch_op.drop_index(batch_op.f('ix_invitations_email'))

    op.drop_table('invitations')
