"""Small builders for ledger tests: an exchange with one leg between two members, and row counts."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from timebank.exchanges.models import Exchange, Leg, Party
from timebank.extensions import db
from timebank.ledger.models import LedgerEntry, Posting


def make_leg(giver_id: int, receiver_id: int, hours, *, people: int = 1, kind: str = "time",
             is_gift: bool = False, status: str = "confirmed", exchange_status: str = "scheduled") -> Leg:
    """A direct exchange with one leg (flushed, not committed); its credits are hours x people."""
    exchange = Exchange(shape="direct", status=exchange_status, story="test")
    exchange.parties = [Party(member_id=giver_id, status="accepted"), Party(member_id=receiver_id, status="accepted")]
    leg = Leg(position=0, giver_member_id=giver_id, receiver_member_id=receiver_id, kind=kind,
              description=f"{hours} hours of {kind}", hours=Decimal(str(hours)), people=people, is_gift=is_gift,
              status=status)
    exchange.legs = [leg]
    db.session.add(exchange)
    db.session.flush()
    return leg


def count_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def count_postings() -> int:
    return db.session.scalar(select(func.count()).select_from(Posting))


def total() -> Decimal:
    return Decimal(db.session.scalar(select(func.sum(Posting.amount))) or 0).quantize(Decimal("0.01"))
