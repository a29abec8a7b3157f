"""reminders: each reminder to answer a proposal or confirm a part, so none is sent twice

The daily job (`flask exchanges remind`) and coordinators' reminders from the work queue write a
row per reminder; the unique index holds "at most once a day per kind, exchange, part and member".

Revision ID: 08da1e33669f
Revises: 999b1018d304
Create Date: 2026-12-06 11:12:09.506948

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '08da1e33669f'
down_revision = '999b1018d304'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('leg_id', sa.Integer(), nullable=True),
    sa.Column('leg_key', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'confirm') = (leg_id IS NOT NULL)", name=op.f('ck_reminders_confirm_names_a_part')),
    sa.CheckConstraint("kind IN ('answer', 'confirm')", name=op.f('ck_reminders_kind_known')),
    sa.CheckConstraint('leg_key = COALESCE(leg_id, 0)', name=op.f('ck_reminders_leg_key_is_leg')),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'], name=op.f('fk_reminders_exchange_id_exchanges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['leg_id'], ['legs.id'], name=op.f('fk_reminders_leg_id_legs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_reminders_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_reminders_sent_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders'))
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_exchange_id'), ['exchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_member_id'), ['member_id'], unique=False)
        batch_op.create_index('uq_reminders_once_a_day', ['kind', 'exchange_id', 'leg_key', 'member_id', 'sent_on'], unique=True)



def downgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('uq_reminders_once_a_day')
        batch_op.drop_index(batch_op.f('ix_reminders_member_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_exchange_id'))

    op.drop_table('reminders')
