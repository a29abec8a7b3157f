"""Direct exchanges: a member asks for an open offer ("Ask for this") or offers to help with an
open need ("Offer to help").

The ask makes a proposed pair exchange, the same Exchange, Party and Leg as a matched pair (the
same lifecycle, ledger and reports), with `asked_by_member_id` set, the hours and the dates asked
for on its leg (`proposed_start`, `proposed_end`) and the asker's message as the first message of
its conversation. The asker has accepted its own terms; the other side accepts, declines with a
reason (`services.respond`), or answers with other hours or dates (`counter`), which the asker
then accepts, declines or counters in turn.

The same rules hold as for a matched exchange: a listing is in one live exchange at a time (never
double-booked), the dates must lie in the times the listing gives, the giver's DBS checks must
cover a need's requirement on the day, and the receiver must have room for the credits under its
limit. They are checked when asked, when countered, and again when the exchange is scheduled.

Once both sides have accepted, the coordinators' policy (`timebank.exchanges.policy`) says whether
it waits for a coordinator's approval (the approval page offers the agreed dates) or is scheduled
at once at the agreed dates (`services.schedule_exchange`).

Rooms and equipment are booked from the listing (`timebank.bookings`), not asked for here.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import func, select

from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.bookings.models import uk_now
from timebank.conversations import services as conversations
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.exchanges import policy, scheduling, settlement
from timebank.exchanges import services
from timebank.exchanges.access import require_party
from timebank.exchanges.models import Exchange, Leg, Party
from timebank.extensions import db
from timebank.listings.models import MOST_HOURS, Listing
from timebank.members.models import Member
from timebank.members.access import can_act_for
from timebank.notifications.services import notify, notify_member

ASKABLE_KINDS = ("time", "skill")
MAX_HOURS = MOST_HOURS
MAX_PEOPLE = 500

TAKEN = ("This listing is already part of an exchange in progress, or no longer open. "
         "Look for another in the directory.")


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite():
        raise DomainError("Enter the hours, like 2 or 1.5", field="hours")
    if not Decimal("0.25") <= hours <= MAX_HOURS:
        raise DomainError(f"Enter between 0.25 and {MAX_HOURS:,} hours", field="hours")
    if hours != hours.quantize(Decimal("0.01")):
        raise DomainError("Enter the hours to at most 2 decimal places, like 1.25", field="hours")
    return hours


def _people(value) -> int:
    if value is None or not 1 <= int(value) <= MAX_PEOPLE:
        raise DomainError(f"Enter how many people, between 1 and {MAX_PEOPLE}", field="people")
    return int(value)


def _check_terms(leg: Leg, start: datetime | None, end: datetime | None, now: datetime) -> None:
    """The dates suit both listings and the giver meets the need's requirements on the day; the
    receiver has room for the credits (all as an approval would check, beside the fields)."""
    _require_dates(start, end)
    scheduling.check_slot(leg, start, end, now, override=False, fields=("start", "end"), for_members=True)
    services._check_requirements(leg, start, field="start")
    from timebank.ledger import services as ledger

    short = settlement.shortfalls("pair", [leg])
    members = {leg.giver_member_id: leg.giver, leg.receiver_member_id: leg.receiver}
    ledger.require_room({members[m]: amount for m, amount in short.items()}, except_exchange_id=leg.exchange_id,
                        field="hours")


def _require_dates(start: datetime | None, end: datetime | None) -> None:
    if start is None:
        raise DomainError("Enter the date and time it starts, like 2027-03-01 10:00", field="start")
    if end is None:
        raise DomainError("Enter the date and time it ends, like 2027-03-01 12:00", field="end")
    if end <= start:
        raise DomainError("The end must be after the start", field="end")


def ask(listing: Listing, member: Member, actor: User, *, hours, start: datetime | None, end: datetime | None,
        message: str | None, people: int = 1, now: datetime | None = None) -> Exchange:
    """`member` asks for the offer `listing` (it receives) or offers to help with the need (it
    gives): a proposed pair exchange waiting for the listing's member to answer."""
    if not can_act_for(actor, member):
        raise NotAllowed("You can only ask for your own organisation", field="member_id")
    if member.status != "active":
        raise DomainError(f"{member.name} can ask once a coordinator has approved it", field="member_id")
    if listing.member_id == member.id:
        raise DomainError(f"This is {member.name}'s own listing: choose another of your organisations",
                          field="member_id")
    if listing.kind not in ASKABLE_KINDS:
        raise DomainError("Rooms and equipment are booked from the listing, not asked for here", field="listing_id")
    if listing.status != "open" or services.listings_in_live_exchanges([listing.id]):
        raise Conflict(TAKEN, field="listing_id")
    if listing.member.status != "active":
        raise Conflict(f"{listing.member.name} is not taking part in the exchange at the moment", field="listing_id")
    _require_room_to_ask(member)
    body = conversations.clean_body(message, field="message")
    hours, people = _hours(hours), _people(people)
    giver, receiver = (listing.member, member) if listing.is_offer else (member, listing.member)
    exchange = Exchange(shape="pair", status="proposed", asked_by_member_id=member.id, created_by_id=actor.id,
                        story=f"{member.name} asked {listing.member.name} directly: "
                              f"{giver.name} gives {listing.title} to {receiver.name}.",
                        expires_at=utcnow() + timedelta(days=current_app.config.get("PROPOSAL_EXPIRY_DAYS", 7)))
    leg = Leg(position=0, giver=giver, receiver=receiver, giver_member_id=giver.id, receiver_member_id=receiver.id,
              kind=listing.kind, category_id=listing.category_id,
              description=listing.title[:300], hours=hours, people=people, is_gift=listing.is_gift,
              reason=f"Asked for directly by {member.name}", status="proposed",
              proposed_start=start, proposed_end=end)
    if listing.is_offer:
        leg.offer_listing_id, leg.offer = listing.id, listing
    else:
        leg.need_listing_id, leg.need = listing.id, listing
    with db.session.no_autoflush:
        _check_terms(leg, start, end, now or uk_now())
    exchange.legs.append(leg)
    exchange.parties.append(Party(member_id=member.id, status="accepted", responded_by_id=actor.id,
                                  responded_at=utcnow()))
    exchange.parties.append(Party(member_id=listing.member_id, status="pending"))
    db.session.add(exchange)
    listing.status = "matched"
    db.session.flush()
    # A proposal of this listing another transaction had not committed at the check (a held one leaves
    # the listing open): the flush waited for its lock on the listing, and now its legs are seen.
    if services.listings_in_live_exchanges([listing.id], besides=exchange.id):
        raise Conflict(TAKEN, field="listing_id")
    conversations.add(exchange, actor, member, body)
    record(actor, "exchange.asked", exchange, f"{member.name} asked {listing.member.name} directly",
           member_id=member.id, listing_id=listing.id, hours=str(hours), people=people,
           start=start.isoformat(), end=end.isoformat())
    what = "asks for your offer" if listing.is_offer else "offers to help with your need"
    notify_member([listing.member], "proposals", f"{member.name} {what} \u201c{listing.title}\u201d: "
                  f"{services.amount_phrase(leg.kind, hours, people)}, {_slot(start, end)}. Sign in to read their "
                  "message, then accept, decline or suggest other hours or dates.",
                  page=services.exchange_page(exchange))
    return exchange


def waiting_asks(member: Member) -> int:
    """How many of the member's direct asks are still waiting (proposed, not yet agreed or ended)."""
    return db.session.scalar(select(func.count()).select_from(Exchange).where(
        Exchange.asked_by_member_id == member.id, Exchange.status == "proposed")) or 0


def _require_room_to_ask(member: Member) -> None:
    """An ask takes its listing out of the directory and the matcher until it is answered or
    expires, so one member may hold only MAX_WAITING_ASKS of them at once: else it could take every
    open listing off the market by asking and never answering."""
    limit = current_app.config.get("MAX_WAITING_ASKS", 5)
    if waiting_asks(member) >= limit:
        raise Conflict(f"{member.name} already has {limit} asks waiting for an answer, the most it can have at once. "
                       "You can ask again once one is answered, or when one expires unanswered "
                       f"({current_app.config.get('PROPOSAL_EXPIRY_DAYS', 7)} days after it was asked).",
                       field="member_id")


def _slot(start: datetime, end: datetime) -> str:
    from timebank.bookings.services import describe_slot

    return describe_slot(start, end)


def counter(exchange: Exchange, member: Member, actor: User, *, hours, start: datetime | None,
            end: datetime | None, message: str | None = None, people: int | None = None,
            now: datetime | None = None) -> Exchange:
    """The member whose answer is awaited proposes other hours or dates instead of accepting: its
    answer becomes "accepted" (on the new terms) and the other side's is awaited again."""
    party = require_party(exchange, member, actor, "answer for", field="member_id")
    refused = services.asker_answering(exchange, member, actor)
    if refused:
        raise NotAllowed(refused, field="member_id")
    if not exchange.is_direct:
        raise Conflict("Only an exchange asked for directly can be answered with other hours or dates; "
                       "accept or decline this one")
    if exchange.status != "proposed":
        raise Conflict(f"This exchange is {exchange.status}; its hours and dates can no longer be changed this way")
    if party.status != "pending":
        raise Conflict(f"{member.name} has already accepted these hours and dates; wait for the other side's answer")
    body = conversations.clean_body(message, field="message", required=False)
    leg = exchange.legs[0]
    hours, people = _hours(hours), _people(leg.people if people is None else people)
    _require_dates(start, end)
    if (hours, people, start, end) == (leg.hours, leg.people, leg.proposed_start, leg.proposed_end):
        raise DomainError("These are the hours and dates already asked for: change them, or accept them as they are",
                          field="hours")
    before = {"hours": str(leg.hours), "people": leg.people, "start": _iso(leg.proposed_start),
              "end": _iso(leg.proposed_end)}
    with db.session.no_autoflush:
        leg.hours, leg.people, leg.proposed_start, leg.proposed_end = hours, people, start, end
        _check_terms(leg, start, end, now or uk_now())
    for other in exchange.parties:
        other.status, other.responded_by_id, other.responded_at = "pending", None, None
    party.status, party.responded_by_id, party.responded_at = "accepted", actor.id, utcnow()
    exchange.expires_at = utcnow() + timedelta(days=current_app.config.get("PROPOSAL_EXPIRY_DAYS", 7))
    services._flush_versioned()
    if body:
        conversations.add(exchange, actor, member, body)
    record(actor, "exchange.countered", exchange, f"{member.name} suggested other hours or dates", member_id=member.id,
           before=before, after={"hours": str(hours), "people": people, "start": _iso(start), "end": _iso(end)})
    others = [p.member for p in exchange.parties if p.member_id != member.id]
    notify_member(others, "proposals", f"{services.title(exchange)}: {member.name} suggests "
                  f"{services.amount_phrase(leg.kind, hours, people)}, {_slot(start, end)}. Sign in to accept, "
                  "decline or suggest other hours or dates.", page=services.exchange_page(exchange))
    return exchange


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def agreed(exchange: Exchange, actor: User) -> None:
    """Both sides accepted a direct exchange: it waits for a coordinator when the policy says so,
    else it is scheduled now at the dates they agreed (with every check an approval makes)."""
    reasons = policy.approval_reasons(exchange)
    if reasons:
        record(actor, "exchange.accepted", exchange, "Both sides agreed: waiting for a coordinator",
               because=reasons)
        notify(services._coordinators(), "exchanges", f"{services.title(exchange)} is agreed between its members "
               f"and waits for your approval ({'; '.join(reasons)}).", page=services.exchange_page(exchange))
        notify_member([p.member for p in exchange.parties], "exchanges", f"{services.title(exchange)} is agreed. "
                      "A coordinator approves it next, and you will be told.", page=services.exchange_page(exchange))
        return
    record(actor, "exchange.accepted", exchange, "Both sides agreed")
    services.schedule_exchange(exchange, actor, {leg.id: (leg.proposed_start, leg.proposed_end)
                                                 for leg in exchange.legs}, approving=False)


def proposed_slots(exchange: Exchange) -> dict[int, tuple[datetime, datetime]]:
    """The dates each leg of a direct exchange was agreed for (what the approval page offers)."""
    return {leg.id: (leg.proposed_start, leg.proposed_end) for leg in exchange.legs
            if leg.proposed_start is not None and leg.proposed_end is not None}
