"""Who a member is exchanging with; the exchanges module extends this once exchanges exist."""
from __future__ import annotations

from timebank.members.models import Member


def live_partners(member: Member) -> list[Member]:
    """Members in a live (proposed, accepted, approved or scheduled) exchange with `member`.

    There are no exchanges before the exchanges-and-ledger work lands, so nobody is a partner yet.
    """
    return []
