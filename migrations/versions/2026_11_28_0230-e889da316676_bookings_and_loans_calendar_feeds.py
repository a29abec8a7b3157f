"""bookings and loans, calendar feeds

On PostgreSQL, exclusion constraints keep live bookings of a room from overlapping and live loans
of an item from sharing a day (`int4range(asset_id, asset_id, '[]')` instead of `asset_id WITH =`,
so that no btree_gist extension is needed). SQLite has no such constraint: the services serialise.

Revision ID: e889da316676
Revises: cfeb876e84f6
Create Date: 2026-11-28 02:30:50.120503

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e889da316676'
down_revision = 'cfeb876e84f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feeds',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reset_at', sa.DateTime(), nullable=True),
    sa.Column('reset_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_calendar_feeds_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reset_by_id'], ['users.id'], name=op.f('fk_calendar_feeds_reset_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_calendar_feeds'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('leg_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('confirmed', 'cancelled', 'completed')", name=op.f('ck_bookings_status_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_bookings_ends_after_start')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_bookings_asset_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_bookings_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bookings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['leg_id'], ['legs.id'], name=op.f('fk_bookings_leg_id_legs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_bookings_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_asset_starts', ['asset_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_leg_id'), ['leg_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_member_id'), ['member_id'], unique=False)

    op.create_table('loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('leg_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(), nullable=True),
    sa.Column('checked_out_by_id', sa.Integer(), nullable=True),
    sa.Column('condition_out', sa.Text(), nullable=True),
    sa.Column('pat_checked', sa.Boolean(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('condition_in', sa.Text(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.CheckConstraint("status IN ('reserved', 'out', 'returned', 'cancelled')", name=op.f('ck_loans_status_known')),
    sa.CheckConstraint('due_on >= starts_on', name=op.f('ck_loans_due_not_before_start')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_loans_asset_id_assets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_loans_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checked_out_by_id'], ['users.id'], name=op.f('fk_loans_checked_out_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_loans_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['leg_id'], ['legs.id'], name=op.f('fk_loans_leg_id_legs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_loans_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_loans_returned_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index('ix_loans_asset_starts', ['asset_id', 'starts_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_leg_id'), ['leg_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_loans_status_due', ['status', 'due_on'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.create_exclude_constraint(
            'ex_bookings_no_overlap', 'bookings',
            (sa.literal_column("int4range(asset_id, asset_id, '[]')"), '&&'),
            (sa.literal_column("tsrange(starts_at, ends_at, '[)')"), '&&'),
            where=sa.text("status <> 'cancelled'"), using='gist')
        op.create_exclude_constraint(
            'ex_loans_no_overlap', 'loans',
            (sa.literal_column("int4range(asset_id, asset_id, '[]')"), '&&'),
            (sa.literal_column("daterange(starts_on, due_on, '[]')"), '&&'),
            where=sa.text("status IN ('reserved', 'out')"), using='gist')


def downgrade():
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_status_due')
        batch_op.drop_index(batch_op.f('ix_loans_member_id'))
        batch_op.drop_index(batch_op.f('ix_loans_leg_id'))
        batch_op.drop_index('ix_loans_asset_starts')

    op.drop_table('loans')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_member_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_leg_id'))
        batch_op.drop_index('ix_bookings_asset_starts')

    op.drop_table('bookings')
    op.drop_table('calendar_feeds')
