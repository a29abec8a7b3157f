"""How an approved exchange is paid for: the matcher's credit rule, credits reserved at approval,
and a ring settled as a whole (docs/ledger.md, "Settling an exchange").

The credit rule (the matcher's, docs/matching.md): in each exchange a member takes part in, it is
*short*

- in a ring: what it receives minus what it gives, if that is more than zero;
- in a gift chain, a pair or recorded help: what it receives.

Approving an exchange reserves each member's shortfall out of its *room* (balance + credit limit
- what its other approved exchanges reserve); approval is refused if the room is not there. From
then on every spending the ledger makes (`ledger.services._post`) keeps each member's balance
above its limit *plus* what it has reserved, so nothing done elsewhere can take the room an
approved exchange needs, and the exchange completes whatever order its legs are confirmed in.

A chain or pair posts each leg when it is confirmed (the receiver's reservation becomes the
posting). A ring posts nothing until its last leg is confirmed (or cancelled), and then posts
every confirmed leg in one go, checked on each member's net: in a ring nobody could pay for
what it received before it was paid for what it gave.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
RING = "cycle"
# An exchange reserves credits from approval until it completes or is cancelled.
RESERVING_STATUSES = ("scheduled",)


def settles_net(exchange: Exchange) -> bool:
    """A ring settles as a whole when its last leg is done; other shapes post leg by leg."""
    return exchange.shape == RING


def leg_credits(leg: Leg) -> Decimal:
    """What the leg moves: confirmed amounts once confirmed, the planned ones before."""
    return Decimal(leg.credits).quantize(CENT)


def shortfalls(shape: str, legs: Iterable[Leg]) -> dict[int, Decimal]:
    """{member id: credits short} over these legs, by the credit rule (members short nothing left out)."""
    short: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for leg in legs:
        if leg.status == "cancelled":
            continue
        credits = leg_credits(leg)
        short[leg.receiver_member_id] += credits
        if shape == RING:
            short[leg.giver_member_id] -= credits
    return {member_id: amount for member_id, amount in short.items() if amount > 0}


def outstanding(exchange: Exchange, *, except_leg_id: int | None = None) -> dict[int, Decimal]:
    """What the exchange still reserves of each member's room (nothing unless it is scheduled)."""
    if exchange.status not in RESERVING_STATUSES:
        return {}
    if settles_net(exchange):
        return shortfalls(RING, exchange.legs)  # nothing of a ring is posted before it settles
    return shortfalls(exchange.shape, [leg for leg in exchange.legs
                                       if leg.status != "confirmed" and leg.id != except_leg_id])


def reserved(member_ids: Iterable[int], *, except_exchange_id: int | None = None,
             except_leg_id: int | None = None) -> dict[int, Decimal]:
    """{member id: credits its approved, unfinished exchanges reserve} (0 for a member with none).

    `except_leg_id`: a chain's or pair's leg being posted now, whose reservation the posting takes."""
    ids = list(dict.fromkeys(member_ids))
    result = dict.fromkeys(ids, ZERO)
    if not ids:
        return result
    query = (select(Exchange).where(Exchange.status.in_(RESERVING_STATUSES), Exchange.id.in_(
        select(Leg.exchange_id).where(or_(Leg.giver_member_id.in_(ids), Leg.receiver_member_id.in_(ids)))))
        .options(selectinload(Exchange.legs)))
    if except_exchange_id is not None:
        query = query.where(Exchange.id != except_exchange_id)
    for exchange in db.session.scalars(query):
        for member_id, amount in outstanding(exchange, except_leg_id=except_leg_id).items():
            if member_id in result:
                result[member_id] += amount
    return result
