"""listings: ix_listings_nearby, so offers near a need are found from one index

The dashboard looks for offers near every open need: thousands of candidate offers at 100,000
listings, each read from the table for its place, expiry and member before this index. Now the
filter and the sort by distance read only the index. ANALYZE afterwards, as for
ix_listings_newest: SQLite's planner needs statistics for the new index too.

Revision ID: 0b86794a22b6
Revises: 665100796a45
Create Date: 2026-11-28 04:05:49.136785

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0b86794a22b6'
down_revision = '665100796a45'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_listings_nearby', 'listings',
                    ['status', 'direction', 'kind', 'category_id', 'latitude', 'longitude', 'location', 'expires_on',
                     'member_id', 'id'], unique=False)
    op.execute("ANALYZE listings")


def downgrade():
    op.drop_index('ix_listings_nearby', table_name='listings')
