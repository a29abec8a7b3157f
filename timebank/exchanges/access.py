"""Who may see an exchange and act in it: the loaders both edges use (the web passes `current_user`,
the API `actor()`).

They raise NotFound / NotAllowed (timebank/errors.py); the web shows them as its 404 / 403 pages
(timebank/main/errors.py), the API as problems (timebank/api/core.py). Nothing here reads the request.
"""
from __future__ import annotations

from timebank.accounts.models import User
from timebank.errors import DomainError, NotAllowed, NotFound
from timebank.exchanges.models import ChangeRequest, Exchange, Leg, Party
from timebank.exchanges.visibility import was_shown
from timebank.extensions import db
from timebank.members.access import can_act_for
from timebank.members.models import Member

# What each side of a leg did, for "Only the member that received the help can confirm it".
SIDES = {"receiver": "received", "giver": "gave"}


def _is_coordinator(user: User) -> bool:
    return bool(user.is_authenticated and user.is_coordinator)


def load_exchange(exchange_id: int, user: User) -> Exchange:
    """The exchange, for its members' people and the coordinators; NotFound for anyone else, and for
    its members while it is a proposal held for a coordinator's review (exchanges/visibility.py)."""
    exchange = db.session.get(Exchange, exchange_id)
    if exchange is None or not (_is_coordinator(user) or (
            any(can_act_for(user, p.member) for p in exchange.parties) and was_shown(exchange))):
        raise NotFound(f"There is no exchange {exchange_id} of yours")
    return exchange


def party_of(exchange: Exchange, member: Member) -> Party | None:
    return next((p for p in exchange.parties if p.member_id == member.id), None)


def require_party(exchange: Exchange, member: Member, user: User, to: str, *, field: str | None = None) -> Party:
    """The member's part in the exchange, when `user` acts for it; NotAllowed ("You can only <to> your
    own organisation", or that it is not part of this exchange) otherwise. Services check it."""
    if not can_act_for(user, member):
        raise NotAllowed(f"You can only {to} your own organisation", field=field)
    party = party_of(exchange, member)
    if party is None:
        raise NotAllowed(f"{member.name} is not part of this exchange", field=field)
    return party


def require_side(leg: Leg, user: User, side: str, to: str) -> None:
    """NotAllowed ("Only the member that received the help can <to>") unless `user` acts for the
    leg's `side` ("receiver" or "giver")."""
    if not can_act_for(user, leg.receiver if side == "receiver" else leg.giver):
        raise NotAllowed(f"Only the member that {SIDES[side]} the help can {to}")


def load_leg(leg_id: int, user: User, *, side: str | None = None, to: str = "do that") -> Leg:
    """A part of an exchange `user` may see (load_exchange); with `side`, NotAllowed unless they act
    for that side of it (require_side)."""
    leg = db.session.get(Leg, leg_id)
    if leg is None:
        raise NotFound(f"There is no part {leg_id} of an exchange of yours")
    load_exchange(leg.exchange_id, user)
    if side is not None:
        require_side(leg, user, side, to)
    return leg


def load_change_request(exchange_id: int, request_id: int, user: User) -> ChangeRequest:
    """A change asked for in an exchange `user` may see."""
    exchange = load_exchange(exchange_id, user)
    request = next((r for r in exchange.change_requests if r.id == request_id), None)
    if request is None:
        raise NotFound(f"There is no change request {request_id} in exchange {exchange_id}")
    return request


def acting_member(exchange: Exchange, user: User, member_id: int | None = None) -> Member:
    """The member of the exchange `user` acts for (withdrawing, asking for a change): the one named,
    or their only one in it. NotAllowed if none; asked to say which if several."""
    mine = [p.member for p in exchange.parties if can_act_for(user, p.member)]
    if member_id is not None:
        mine = [m for m in mine if m.id == member_id]
    if not mine:
        raise NotAllowed("None of your members is part of this exchange", field="member_id")
    if len(mine) > 1:
        raise DomainError("Several of your members are in this exchange: say which one", field="member_id")
    return mine[0]


def answering_member(exchange: Exchange, user: User, member_id: int | None = None) -> Member:
    """The member whose part `user` answers (accept, decline, other hours or dates): the one named,
    or their only one still to answer (or their only one, which has answered: the service says so)."""
    mine = [p for p in exchange.parties if can_act_for(user, p.member)]
    if member_id is not None:
        named = next((p.member for p in mine if p.member_id == member_id), None)
        if named is None:
            raise NotAllowed("You can only answer for your own organisation, and it must be part of this exchange",
                             field="member_id")
        return named
    waiting = [p.member for p in mine if p.status == "pending"]
    if len(waiting) == 1:
        return waiting[0]
    if waiting:
        raise DomainError("Several of your members are in this exchange: say which one answers", field="member_id")
    if len(mine) == 1:
        return mine[0].member  # it has answered already: the service says so (409)
    raise NotAllowed("None of your members has a part in this exchange waiting for an answer")
