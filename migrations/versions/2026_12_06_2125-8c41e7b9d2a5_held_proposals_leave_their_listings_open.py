"""held proposals leave their listings open until sent on

Revision ID: 8c41e7b9d2a5
Revises: 3f6a9d2c7b18
Create Date: 2026-12-06 21:25:00.000000

Data only. A proposal held for a coordinator's review used to mark its listings matched, which its
members saw; now they stay open until it is sent on (exchanges.services.release matches them). The
listings of proposals held at the upgrade are opened; going back down matches them again. The
directory's vocabulary follows at the nightly `search-words` job (`flask jobs run search-words`).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8c41e7b9d2a5'
down_revision = '3f6a9d2c7b18'
branch_labels = None
depends_on = None

IN_HELD = ("id IN (SELECT legs.offer_listing_id FROM legs JOIN exchanges ON exchanges.id = legs.exchange_id "
           "WHERE exchanges.status = 'held' AND legs.offer_listing_id IS NOT NULL "
           "UNION SELECT legs.need_listing_id FROM legs JOIN exchanges ON exchanges.id = legs.exchange_id "
           "WHERE exchanges.status = 'held' AND legs.need_listing_id IS NOT NULL)")


def upgrade():
    op.execute(f"UPDATE listings SET status = 'open' WHERE status = 'matched' AND {IN_HELD}")


def downgrade():
    op.execute(f"UPDATE listings SET status = 'matched' WHERE status = 'open' AND {IN_HELD}")
