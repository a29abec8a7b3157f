"""Exchanges: proposals from the matcher, each party's answer, approval, delivery and confirmation.

Every state change here is audited and notified. Postings go through `timebank.ledger.services`
and bookings and loans through `timebank.bookings.services`, in the same transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from timebank.accounts.models import User
from timebank.amounts import describe as describe_amount
from timebank.audit.services import record
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.exchanges.models import LIVE_EXCHANGE_STATUSES, DeclinedPair, Exchange, Leg, MatcherRun, Party
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Member
from timebank.members.services import can_act_for, check_dbs_cover
from timebank.notifications.services import notify, notify_member


@dataclass(frozen=True)
class LegPlan:
    """What the matcher (or a member recording help) says one leg should be."""

    giver_member_id: int
    receiver_member_id: int
    kind: str
    hours: Decimal
    people: int = 1
    offer_id: int | None = None
    need_id: int | None = None
    is_gift: bool = False
    score: float = 0.0
    reason: str = ""
    description: str = ""
    category_id: int | None = None


def _coordinators() -> list[User]:
    from timebank.accounts.models import Coordinator

    return list(db.session.scalars(select(User).join(Coordinator, Coordinator.user_id == User.id)))


def listings_in_live_exchanges(listing_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of listings used by a leg of a live exchange (they cannot be proposed again)."""
    query = (select(Leg.offer_listing_id, Leg.need_listing_id).join(Exchange)
             .where(Exchange.status.in_(LIVE_EXCHANGE_STATUSES)))
    used = set()
    for offer_id, need_id in db.session.execute(query):
        used.update(i for i in (offer_id, need_id) if i is not None)
    if listing_ids is not None:
        used &= set(listing_ids)
    return used


def _set_listing_status(exchange: Exchange, status: str, only_from: tuple[str, ...]) -> None:
    ids = [i for leg in exchange.legs for i in (leg.offer_listing_id, leg.need_listing_id) if i is not None]
    if ids:
        db.session.execute(update(Listing).where(Listing.id.in_(ids), Listing.status.in_(only_from))
                           .values(status=status))


# -- proposals ---------------------------------------------------------------------------

def create_proposal(shape: str, legs: list[LegPlan], *, story: str, score: float = 0.0,
                    run: MatcherRun | None = None, actor: User | None = None) -> Exchange:
    """Store a proposed cycle, chain or pair: the exchange, one party per member, its legs in order."""
    if not legs:
        raise DomainError("An exchange needs at least one leg")
    listing_ids = [i for leg in legs for i in (leg.offer_id, leg.need_id) if i is not None]
    if len(listing_ids) != len(set(listing_ids)):
        raise Conflict("A listing cannot appear twice in one exchange")
    busy = listings_in_live_exchanges(listing_ids)
    if busy:
        raise Conflict(f"Listings {sorted(busy)} are already in a live exchange")
    days = current_app.config.get("PROPOSAL_EXPIRY_DAYS", 7)
    exchange = Exchange(shape=shape, status="proposed", story=story, score=Decimal(str(round(score, 3))),
                        run=run, created_by_id=getattr(actor, "id", None),
                        expires_at=utcnow() + timedelta(days=days))
    db.session.add(exchange)
    member_ids: list[int] = []
    for position, plan in enumerate(legs):
        listing = db.session.get(Listing, plan.offer_id or plan.need_id) if (plan.offer_id or plan.need_id) else None
        exchange.legs.append(Leg(
            position=position, giver_member_id=plan.giver_member_id, receiver_member_id=plan.receiver_member_id,
            offer_listing_id=plan.offer_id, need_listing_id=plan.need_id, kind=plan.kind,
            category_id=plan.category_id or (listing.category_id if listing else None),
            description=(plan.description or (listing.title if listing else plan.kind))[:300],
            hours=Decimal(str(plan.hours)), people=plan.people, is_gift=plan.is_gift,
            score=Decimal(str(round(plan.score, 3))), reason=plan.reason, status="proposed"))
        for member_id in (plan.giver_member_id, plan.receiver_member_id):
            if member_id not in member_ids:
                member_ids.append(member_id)
    for member_id in member_ids:
        exchange.parties.append(Party(member_id=member_id, status="pending"))
    db.session.flush()
    if listing_ids:
        db.session.execute(update(Listing).where(Listing.id.in_(listing_ids), Listing.status == "open")
                           .values(status="matched"))
    record(actor, "exchange.proposed", exchange, f"{exchange.shape_label} of {len(member_ids)} members proposed",
           run_id=run.id if run else None, members=member_ids)
    members = db.session.scalars(select(Member).where(Member.id.in_(member_ids))).all()
    notify_member(members, "proposals", f"A new {exchange.shape_label.lower()} is proposed for you. "
                  "Look at it and accept or decline your part.", url=f"/exchanges/{exchange.id}")
    return exchange


def party_of(exchange: Exchange, member: Member) -> Party | None:
    return next((p for p in exchange.parties if p.member_id == member.id), None)


def respond(exchange: Exchange, member: Member, actor: User, *, accept: bool, reason: str | None = None) -> Exchange:
    """A member accepts or declines its part. A decline voids the exchange for everyone."""
    if not can_act_for(actor, member):
        raise NotAllowed("You can only answer for your own organisation")
    party = party_of(exchange, member)
    if party is None:
        raise NotAllowed(f"{member.name} is not part of this exchange")
    if exchange.status != "proposed":
        raise Conflict(f"This exchange is {exchange.status}; it can no longer be accepted or declined")
    if party.status != "pending":
        raise Conflict(f"{member.name} has already {party.status} its part")
    party.responded_by_id = actor.id
    party.responded_at = utcnow()
    if accept:
        party.status = "accepted"
        record(actor, "party.accepted", exchange, f"{member.name} accepted its part", member_id=member.id)
        if all(p.status == "accepted" for p in exchange.parties):
            exchange.status = "accepted"
            record(actor, "exchange.accepted", exchange, "Every member accepted: waiting for a coordinator")
            notify(_coordinators(), "exchanges", f"Exchange {exchange.id} is accepted by everyone and "
                   "waits for your approval.", url=f"/exchanges/{exchange.id}")
    else:
        if not reason or not reason.strip():
            raise DomainError("Tell the others why you are declining", field="reason")
        party.status = "declined"
        party.reason = reason.strip()
        _void(exchange, actor, member, party.reason)
    _flush_versioned()
    return exchange


def _void(exchange: Exchange, actor: User, member: Member, reason: str) -> None:
    exchange.status = "voided"
    exchange.decided_at = utcnow()
    exchange.decision_reason = f"{member.name} declined: {reason}"
    for leg in exchange.legs:
        leg.status = "cancelled"
        if member.id in (leg.giver_member_id, leg.receiver_member_id) and leg.offer_listing_id and leg.need_listing_id:
            exists = db.session.scalar(select(DeclinedPair.id).where(
                DeclinedPair.offer_listing_id == leg.offer_listing_id, DeclinedPair.need_listing_id == leg.need_listing_id))
            if exists is None:
                db.session.add(DeclinedPair(offer_listing_id=leg.offer_listing_id, need_listing_id=leg.need_listing_id,
                                            declined_by_member_id=member.id, exchange_id=exchange.id, reason=reason))
    _set_listing_status(exchange, "open", only_from=("matched",))
    record(actor, "exchange.voided", exchange, f"{member.name} declined, so the exchange is off", member_id=member.id,
           reason=reason)
    others = [p.member for p in exchange.parties if p.member_id != member.id]
    notify_member(others, "proposals", f"{member.name} declined exchange {exchange.id}, so it will not go ahead. "
                  f"Your listings are open again. Their reason: {reason}", url=f"/exchanges/{exchange.id}")


def _flush_versioned() -> None:
    """Flush, turning a lost optimistic-lock race into a clear Conflict."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise Conflict("Someone else changed this exchange at the same moment. Reload the page and try again.") \
            from error


def _require_coordinator(user: User) -> None:
    if not user.is_coordinator:
        raise NotAllowed("Only a coordinator can do that")


def _check_requirements(leg: Leg, start: datetime) -> None:
    """A need's DBS level holds on the day: the giver's checks cover every person the leg sends."""
    level = leg.need.min_dbs_level if leg.need is not None else None
    if level:
        try:
            check_dbs_cover(leg.giver, level, leg.people, start.date())
        except DomainError as error:
            raise DomainError(f"Leg {leg.position + 1}: {error.message}", field=f"leg-{leg.id}") from error


def approve(exchange: Exchange, coordinator: User, schedule: dict[int, tuple[datetime, datetime]]) -> Exchange:
    """Approve a fully accepted exchange and schedule every leg.

    `schedule` maps each leg id to (start, end). Room legs become bookings of the giver's room and
    equipment legs loans of the giver's item (days from start to end), in this transaction.
    """
    _require_coordinator(coordinator)
    if exchange.status != "accepted":
        raise Conflict(f"Only an exchange every member has accepted can be approved; this one is {exchange.status}")
    missing = [leg.position + 1 for leg in exchange.legs if leg.id not in schedule]
    if missing:
        raise DomainError(f"Give a start and end for leg {', '.join(map(str, missing))}", field="schedule")
    for leg in exchange.legs:
        start, end = schedule[leg.id]
        if end <= start:
            raise DomainError(f"Leg {leg.position + 1}: the end must be after the start", field=f"leg-{leg.id}")
        _check_requirements(leg, start)
    # Claim the exchange first: of two coordinators approving at once, the second stops here.
    exchange.status = "scheduled"
    exchange.decided_by_id = coordinator.id
    exchange.decided_at = utcnow()
    _flush_versioned()
    from timebank.bookings import services as bookings

    for leg in exchange.legs:
        start, end = schedule[leg.id]
        leg.scheduled_start, leg.scheduled_end = start, end
        leg.status = "scheduled"
        asset = leg.offer.asset if leg.offer is not None else None
        if leg.kind == "room" and asset is not None:
            bookings.book_room(asset, leg.receiver, start, end, coordinator, leg=leg,
                               note=f"Exchange {exchange.id}: {leg.description}")
        elif leg.kind == "equipment" and asset is not None:
            bookings.request_loan(asset, leg.receiver, start.date(), end.date(), coordinator, leg=leg,
                                  note=f"Exchange {exchange.id}: {leg.description}")
    _flush_versioned()
    record(coordinator, "exchange.approved", exchange, "Approved and scheduled by a coordinator")
    notify_member([p.member for p in exchange.parties], "exchanges",
                  f"Exchange {exchange.id} is approved. The dates for your part are on its page.",
                  url=f"/exchanges/{exchange.id}")
    return exchange


def reject(exchange: Exchange, coordinator: User, reason: str) -> Exchange:
    _require_coordinator(coordinator)
    if not reason or not reason.strip():
        raise DomainError("Enter the reason, which the members will see", field="reason")
    if exchange.status not in ("proposed", "accepted"):
        raise Conflict(f"This exchange is {exchange.status}; it can no longer be rejected")
    exchange.status = "rejected"
    exchange.decided_by_id = coordinator.id
    exchange.decided_at = utcnow()
    exchange.decision_reason = reason.strip()
    for leg in exchange.legs:
        leg.status = "cancelled"
    _set_listing_status(exchange, "open", only_from=("matched",))
    _flush_versioned()
    record(coordinator, "exchange.rejected", exchange, "Rejected by a coordinator", reason=exchange.decision_reason)
    notify_member([p.member for p in exchange.parties], "exchanges",
                  f"A coordinator did not approve exchange {exchange.id}: {exchange.decision_reason}",
                  url=f"/exchanges/{exchange.id}")
    return exchange


def expire_proposals(now: datetime | None = None) -> int:
    """Proposals nobody finished answering by their expiry date expire; their listings open again."""
    now = now or utcnow()
    stale = db.session.scalars(select(Exchange).where(Exchange.status == "proposed", Exchange.expires_at < now)).all()
    for exchange in stale:
        exchange.status = "expired"
        exchange.decided_at = now
        for leg in exchange.legs:
            leg.status = "cancelled"
        _set_listing_status(exchange, "open", only_from=("matched",))
        record(None, "exchange.expired", exchange, "Expired: not every member answered in time")
        notify_member([p.member for p in exchange.parties], "proposals",
                      f"Exchange {exchange.id} expired because not everyone answered in time. "
                      "Your listings are open again.", url=f"/exchanges/{exchange.id}")
    db.session.flush()
    return len(stale)


# -- delivery ------------------------------------------------------------------------------

def confirm_leg(leg: Leg, actor: User, *, actual_hours: Decimal, actual_people: int = 1) -> Leg:
    """The receiver confirms a delivered leg; credits post in this same transaction."""
    if not can_act_for(actor, leg.receiver):
        raise NotAllowed("Only the member that received the help can confirm it")
    _not_recorded_help(leg)
    if leg.status == "confirmed":
        return leg  # a retried or double-clicked confirmation does nothing more
    if leg.status not in ("scheduled", "delivered"):
        raise Conflict(f"This part is {leg.status}; it can be confirmed once it is scheduled")
    if actual_hours is None or Decimal(actual_hours) <= 0:
        raise DomainError("Enter how many hours (or days) it actually was, more than 0", field="actual_hours")
    if actual_people is None or int(actual_people) < 1:
        raise DomainError("Enter how many people helped, at least 1", field="actual_people")
    leg.actual_hours = Decimal(actual_hours)
    leg.actual_people = int(actual_people)
    leg.status = "confirmed"
    leg.confirmed_at = utcnow()
    leg.confirmed_by_id = actor.id
    _flush_versioned()
    from timebank.ledger import services as ledger

    ledger.post_leg(leg, actor)
    record(actor, "leg.confirmed", leg.exchange, f"{leg.receiver.name} confirmed {leg.description}",
           member_id=leg.receiver_member_id, leg_id=leg.id, hours=leg.actual_hours, people=leg.actual_people)
    notify_member([leg.giver], "exchanges", f"{leg.receiver.name} confirmed your help: {leg.description} "
                  f"({describe_amount(leg.kind, leg.actual_hours, leg.actual_people)}).",
                  url=f"/exchanges/{leg.exchange_id}")
    _maybe_complete(leg.exchange, actor)
    return leg


def _not_recorded_help(leg: Leg) -> None:
    """Help a member recorded is answered by the other side (`confirm_direct`), never confirmed as a leg:
    the recorder, who may be its receiver, would otherwise confirm its own record and move credits."""
    if leg.exchange.shape == "direct":
        raise Conflict("Recorded help is confirmed or corrected by the organisation that did not record it, "
                       "on the exchange's page")


def dispute_leg(leg: Leg, actor: User, reason: str) -> Leg:
    if not can_act_for(actor, leg.receiver):
        raise NotAllowed("Only the member that received the help can dispute it")
    _not_recorded_help(leg)
    if leg.status not in ("scheduled", "delivered"):
        raise Conflict(f"This part is {leg.status}; it can be disputed only before it is confirmed")
    if not reason or not reason.strip():
        raise DomainError("Say what went wrong, so a coordinator can sort it out", field="reason")
    leg.status = "disputed"
    leg.dispute_reason = reason.strip()
    _flush_versioned()
    record(actor, "leg.disputed", leg.exchange, f"{leg.receiver.name} disputed {leg.description}",
           member_id=leg.receiver_member_id, leg_id=leg.id, reason=leg.dispute_reason)
    notify(_coordinators(), "exchanges", f"A part of exchange {leg.exchange_id} is disputed: {leg.dispute_reason}",
           url=f"/exchanges/{leg.exchange_id}")
    notify_member([leg.giver], "exchanges", f"{leg.receiver.name} disputed {leg.description}: "
                  f"{leg.dispute_reason}. A coordinator will be in touch.", url=f"/exchanges/{leg.exchange_id}")
    return leg


def settle_dispute(leg: Leg, coordinator: User, *, outcome: str, note: str,
                   actual_hours: Decimal | None = None, actual_people: int | None = None) -> Leg:
    """A coordinator settles a disputed leg: confirm it (with the agreed amounts) or cancel it."""
    _require_coordinator(coordinator)
    if leg.status != "disputed":
        raise Conflict("Only a disputed part can be settled")
    if not note or not note.strip():
        raise DomainError("Say how it was settled", field="note")
    leg.settled_by_id = coordinator.id
    leg.settlement_note = note.strip()
    if outcome == "confirm":
        if actual_hours is None or Decimal(actual_hours) <= 0:
            raise DomainError("Enter the agreed hours (or days), more than 0", field="actual_hours")
        leg.actual_hours = Decimal(actual_hours)
        leg.actual_people = int(actual_people or leg.people)
        leg.status = "confirmed"
        leg.confirmed_at = utcnow()
        leg.confirmed_by_id = coordinator.id
        _flush_versioned()
        from timebank.ledger import services as ledger

        ledger.post_leg(leg, coordinator)
    elif outcome == "cancel":
        leg.status = "cancelled"
        _flush_versioned()
    else:
        raise DomainError("Choose whether to confirm or cancel this part", field="outcome")
    record(coordinator, "leg.settled", leg.exchange, f"Dispute settled: {outcome}", leg_id=leg.id,
           note=leg.settlement_note)
    notify_member([leg.giver, leg.receiver], "exchanges", f"A coordinator settled the dispute about "
                  f"{leg.description}: {leg.settlement_note}", url=f"/exchanges/{leg.exchange_id}")
    _maybe_complete(leg.exchange, coordinator)
    return leg


def _maybe_complete(exchange: Exchange, actor: User) -> None:
    if exchange.status not in ("scheduled", "proposed"):
        return
    if all(leg.status in ("confirmed", "cancelled") for leg in exchange.legs):
        exchange.status = "completed"
        exchange.completed_at = utcnow()
        _set_listing_status(exchange, "fulfilled", only_from=("matched",))
        _flush_versioned()
        record(actor, "exchange.completed", exchange, "Every part is confirmed: the exchange is complete")


# -- help recorded by members themselves --------------------------------------------------

def record_direct(recorder: Member, other: Member, actor: User, *, we_gave: bool, kind: str, hours: Decimal,
                  people: int, description: str, happened_on: datetime) -> Exchange:
    """Record help given outside the matcher. It counts once the other side confirms it."""
    if not can_act_for(actor, recorder):
        raise NotAllowed("You can only record help for your own organisation")
    if other.id == recorder.id:
        raise DomainError("Choose another organisation", field="other_member_id")
    if other.status != "active":
        raise DomainError(f"{other.name} is not an active member", field="other_member_id")
    if kind not in ("time", "skill"):
        raise DomainError("Record time or skills here; rooms and equipment are booked", field="kind")
    if hours is None or Decimal(hours) <= 0:
        raise DomainError("Enter the hours, more than 0", field="hours")
    if not description or not description.strip():
        raise DomainError("Say what the help was", field="description")
    if happened_on > utcnow() + timedelta(days=1):
        raise DomainError("The help must already have happened", field="happened_on")
    giver, receiver = (recorder, other) if we_gave else (other, recorder)
    exchange = Exchange(shape="direct", status="proposed", created_by_id=actor.id,
                        story=f"{giver.name} helped {receiver.name}: {description.strip()}",
                        expires_at=utcnow() + timedelta(days=current_app.config.get("PROPOSAL_EXPIRY_DAYS", 7) * 4))
    exchange.legs.append(Leg(position=0, giver_member_id=giver.id, receiver_member_id=receiver.id, kind=kind,
                             description=description.strip()[:300], hours=Decimal(hours), people=int(people),
                             status="delivered", scheduled_start=happened_on, scheduled_end=happened_on,
                             delivered_at=happened_on, reason="Recorded by a member"))
    exchange.parties.append(Party(member_id=recorder.id, status="accepted", responded_by_id=actor.id,
                                  responded_at=utcnow()))
    exchange.parties.append(Party(member_id=other.id, status="pending"))
    db.session.add(exchange)
    db.session.flush()
    record(actor, "exchange.recorded", exchange, f"{recorder.name} recorded help with {other.name}",
           member_id=recorder.id)
    notify_member([other], "exchanges", f"{recorder.name} recorded that {exchange.story}. Confirm it so it counts.",
                  url=f"/exchanges/{exchange.id}")
    return exchange


def confirm_direct(exchange: Exchange, member: Member, actor: User, *, agree: bool, reason: str | None = None) -> Exchange:
    """The other side of a recorded exchange agrees (credits post) or says it did not happen."""
    if exchange.shape != "direct":
        raise Conflict("Only a recorded exchange is confirmed this way")
    party = party_of(exchange, member)
    if party is None or party.status != "pending":
        raise NotAllowed("This is not waiting for your organisation's answer")
    if not can_act_for(actor, member):
        raise NotAllowed("You can only answer for your own organisation")
    if actor.id == exchange.created_by_id:
        raise NotAllowed(f"You recorded this help, so someone else at {member.name} must answer it")
    if exchange.status != "proposed":
        raise Conflict(f"This record is {exchange.status}")
    leg = exchange.legs[0]
    party.responded_by_id, party.responded_at = actor.id, utcnow()
    if agree:
        party.status = "accepted"
        leg.actual_hours, leg.actual_people = leg.hours, leg.people
        leg.status, leg.confirmed_at, leg.confirmed_by_id = "confirmed", utcnow(), actor.id
        exchange.status = "completed"
        exchange.completed_at = utcnow()
        _flush_versioned()
        from timebank.ledger import services as ledger

        ledger.post_leg(leg, actor)
        record(actor, "exchange.confirmed", exchange, f"{member.name} confirmed the recorded help", member_id=member.id)
    else:
        if not reason or not reason.strip():
            raise DomainError("Say what is wrong with the record", field="reason")
        party.status, party.reason = "declined", reason.strip()
        exchange.status = "voided"
        exchange.decision_reason = f"{member.name}: {party.reason}"
        leg.status = "cancelled"
        _flush_versioned()
        record(actor, "exchange.voided", exchange, f"{member.name} said the recorded help is wrong", member_id=member.id)
    others = [p.member for p in exchange.parties if p.member_id != member.id]
    notify_member(others, "exchanges", f"{member.name} {'confirmed' if agree else 'did not confirm'} the help you "
                  "recorded.", url=f"/exchanges/{exchange.id}")
    return exchange


# -- what a member can see -------------------------------------------------------------------

def exchanges_for(member_ids: list[int], statuses: Iterable[str] | None = None) -> list[Exchange]:
    query = (select(Exchange).join(Party).where(Party.member_id.in_(member_ids))
             .order_by(Exchange.created_at.desc(), Exchange.id.desc()).distinct())
    if statuses:
        query = query.where(Exchange.status.in_(list(statuses)))
    return list(db.session.scalars(query))


def live_partner_ids(member_id: int) -> set[int]:
    """Members in a live exchange with this one: they may see each other's contact details."""
    mine = select(Party.exchange_id).join(Exchange).where(Party.member_id == member_id,
                                                         Exchange.status.in_(LIVE_EXCHANGE_STATUSES))
    return set(db.session.scalars(select(Party.member_id).where(Party.exchange_id.in_(mine),
                                                                 Party.member_id != member_id)))
