"""listings: ix_listings_newest, so the whole directory pages and counts from one index

The unfiltered directory (newest first) walks this index backwards and counts open, unexpired
listings of active members without reading the table. ANALYZE afterwards: SQLite's planner
otherwise sees one index without statistics beside others with them, and picks worse plans for
keyword searches until someone runs ANALYZE.

Revision ID: 665100796a45
Revises: 0555a3f1229f
Create Date: 2026-11-28 03:50:04.800895

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '665100796a45'
down_revision = '0555a3f1229f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_listings_newest', 'listings', ['status', 'created_at', 'id', 'expires_on', 'member_id'],
                    unique=False)
    op.execute("ANALYZE listings")


def downgrade():
    op.drop_index('ix_listings_newest', table_name='listings')
