"""Who a member is exchanging with (they may see each other's contact details)."""
from __future__ import annotations

from sqlalchemy import select

from timebank.extensions import db
from timebank.members.models import Member


def live_partners(member: Member) -> list[Member]:
    """Members in an accepted, not yet finished exchange with `member` (accepted, approved or scheduled)."""
    from timebank.exchanges.services import live_partner_ids

    ids = live_partner_ids(member.id)
    if not ids:
        return []
    return list(db.session.scalars(select(Member).where(Member.id.in_(ids)).order_by(Member.name)))
