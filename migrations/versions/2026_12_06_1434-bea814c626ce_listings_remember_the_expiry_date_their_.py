"""listings remember the expiry date their members were warned of; a listings notification topic

Revision ID: bea814c626ce
Revises: 6dc666f720ec
Create Date: 2026-12-06 14:34:52.000000

The column is added with a plain ALTER TABLE (no batch rebuild of listings, which on SQLite would
drop the full-text search triggers). The topic checks of notifications and email_preferences are
rebuilt with the new topic.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bea814c626ce'
down_revision = '6dc666f720ec'
branch_labels = None
depends_on = None

TOPICS_BEFORE = ("proposals", "messages", "exchanges", "bookings", "ledger", "members")
TOPICS_AFTER = TOPICS_BEFORE + ("listings",)


def _topics(topics) -> str:
    return "topic IN (" + ", ".join(f"'{t}'" for t in topics) + ")"


def _set_topics(topics) -> None:
    for table in ("notifications", "email_preferences"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_topic_known'), type_='check')
            batch_op.create_check_constraint('topic_known', _topics(topics))


def upgrade():
    op.add_column('listings', sa.Column('expiry_warned_for', sa.Date(), nullable=True))
    _set_topics(TOPICS_AFTER)


def downgrade():
    op.execute("DELETE FROM notifications WHERE topic = 'listings'")
    op.execute("DELETE FROM email_preferences WHERE topic = 'listings'")
    _set_topics(TOPICS_BEFORE)
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('expiry_warned_for')
