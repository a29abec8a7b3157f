"""saved searches keep the directory's "Can happen on" day

Revision ID: 3f6a9d2c7b18
Revises: e5cf7189f645
Create Date: 2026-12-06 20:50:00.000000

A nullable column (searches saved before keep meaning "any day") and its check, through a batch
alter so that SQLite, which cannot add a check to a table, rebuilds saved_searches (it has no
triggers to lose).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f6a9d2c7b18'
down_revision = 'e5cf7189f645'
branch_labels = None
depends_on = None

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def upgrade():
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('day', sa.String(length=9), nullable=True))
        batch_op.create_check_constraint(
            'day_known', "day IS NULL OR day IN (" + ", ".join(f"'{d}'" for d in WEEKDAYS) + ")")


def downgrade():
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_saved_searches_day_known'), type_='check')
        batch_op.drop_column('day')
