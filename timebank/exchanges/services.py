"""Exchanges: proposals from the matcher, each party's answer, approval, delivery and confirmation.

Every state change here is audited and notified. Postings go through `timebank.ledger.services`
and bookings and loans through `timebank.bookings.services`, in the same transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from blinker import signal
from flask import current_app
from sqlalchemy import select, true, update
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from timebank.accounts.access import require_coordinator
from timebank.accounts.models import User
from timebank.amounts import credits_words, describe as describe_amount
from timebank.audit.services import record
from timebank.bookings.models import uk_now
from timebank.db import utcnow
from timebank.errors import ConcurrentChange, Conflict, DomainError, NotAllowed
from timebank.exchanges import scheduling, settlement
from timebank.exchanges.access import party_of, require_party, require_side
from timebank.exchanges.models import (CONTACT_STATUSES, LIVE_EXCHANGE_STATUSES, ChangeRequest, DeclinedPair, Exchange,
                                       Leg, Party, exchange_page, title)
from timebank.exchanges.visibility import shown_to_members
from timebank.extensions import db
from timebank.listings.models import LEAST_HOURS, MOST_HOURS, Listing
from timebank.members.models import Member
from timebank.members.access import can_act_for, membership_of
from timebank.members.compliance import check_dbs_cover, insured_on
from timebank.notifications.links import Page
from timebank.notifications.services import notify, notify_member

# Sent once a member's decline has voided an exchange (sender: the exchange; member=, actor=). The
# matcher listens, to propose what the others can still do (timebank/matcher/repair.py): exchanges
# does not import the matcher, which builds on it.
declined = signal("timebank.exchange-declined")

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LegPlan:
    """What one leg should be: a leg the matcher proposed (`matching.marketplace.ProposedLeg`, whose
    fields these are, passed whole by `timebank.matcher.runs`), or one made by hand (seed, tests).

    Left out, the category is the need's (what the matcher matches on), the description the
    listing's title, and the credits whatever the leg moves by the ledger's rule (`Leg.credits`).
    """

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
    credits: Decimal | None = None


def _coordinators() -> list[User]:
    from timebank.accounts.models import Coordinator

    return list(db.session.scalars(select(User).join(Coordinator, Coordinator.user_id == User.id)))


def listings_in_live_exchanges(listing_ids: Iterable[int] | None = None, *, besides: int | None = None) -> set[int]:
    """Ids of listings used by a leg of a live exchange (other than `besides`): they cannot be proposed again."""
    query = (select(Leg.offer_listing_id, Leg.need_listing_id).join(Exchange)
             .where(Exchange.status.in_(LIVE_EXCHANGE_STATUSES), Exchange.id != besides if besides else true()))
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
                    run_id: int | None = None, actor: User | None = None, held: bool = False) -> Exchange:
    """Store a proposed cycle, chain or pair: the exchange, one party per member, its legs in order.

    `held`: it waits for a coordinator's review (`release`) before its members see it or hear of it.
    Until then its listings stay open (to their members and in the directory: nothing hints at a
    proposal they cannot see), and are still in no other live exchange: every proposal and ask checks
    `listings_in_live_exchanges`, which counts held ones. Sending it on matches them.
    """
    if not legs:
        raise DomainError("An exchange needs at least one leg")
    listing_ids = [i for leg in legs for i in (leg.offer_id, leg.need_id) if i is not None]
    if len(listing_ids) != len(set(listing_ids)):
        raise Conflict("A listing cannot appear twice in one exchange")
    busy = listings_in_live_exchanges(listing_ids)
    if busy:
        raise Conflict(f"Listings {sorted(busy)} are already in a live exchange")
    days = current_app.config.get("PROPOSAL_EXPIRY_DAYS", 7)
    exchange = Exchange(shape=shape, status="held" if held else "proposed", story=story,
                        score=Decimal(str(round(score, 3))), run_id=run_id, created_by_id=getattr(actor, "id", None),
                        expires_at=utcnow() + timedelta(days=days))
    db.session.add(exchange)
    member_ids: list[int] = []
    for position, plan in enumerate(legs):
        exchange.legs.append(_leg(position, plan))
        for member_id in (plan.giver_member_id, plan.receiver_member_id):
            if member_id not in member_ids:
                member_ids.append(member_id)
    for member_id in member_ids:
        exchange.parties.append(Party(member_id=member_id, status="pending"))
    db.session.flush()
    if listing_ids:
        # The check above does not see another transaction's proposal not yet committed (a repair and a
        # run, two workers): this update waits for its row locks (a held proposal's update takes them
        # too, changing nothing), and then finds those listings taken, or in its committed legs.
        taken = db.session.execute(
            update(Listing).where(Listing.id.in_(listing_ids), Listing.status == "open")
            .values(status="open", updated_at=Listing.updated_at) if held else
            update(Listing).where(Listing.id.in_(listing_ids), Listing.status == "open").values(status="matched")
        ).rowcount
        if taken != len(listing_ids) or listings_in_live_exchanges(listing_ids, besides=exchange.id):
            raise Conflict("Some of these listings are no longer open: another exchange has just taken them")
    if held:
        record(actor, "exchange.held", exchange, f"{exchange.shape_label} of {len(member_ids)} members proposed, "
               "waiting for a coordinator's review", run_id=run_id, members=member_ids)
        return exchange
    record(actor, "exchange.proposed", exchange, f"{exchange.shape_label} of {len(member_ids)} members proposed",
           run_id=run_id, members=member_ids)
    _tell_proposed(exchange)
    return exchange


def _tell_proposed(exchange: Exchange) -> None:
    notify_member([p.member for p in exchange.parties], "proposals", f"{title(exchange)} is proposed for you. "
                  "Look at it and accept or decline your part.", page=exchange_page(exchange))


def tell_coordinators_of_held(run_id: int, count: int) -> None:
    notify(_coordinators(), "proposals", f"Matcher run {run_id} proposed {count} exchange"
           f"{'' if count == 1 else 's'}: {'it waits' if count == 1 else 'they wait'} for your review before "
           "the members see them.", page=Page("matcher.run", run_id=run_id))


def tell_coordinators_of_repair_held(declined_exchange: Exchange, declined: Member, count: int) -> None:
    notify(_coordinators(), "proposals", f"{declined.name} declined {title(declined_exchange)}; the matcher proposed "
           f"{count} smaller exchange{'' if count == 1 else 's'} without them: {'it waits' if count == 1 else 'they wait'} "
           "for your review before the members see them.", page=Page("matcher.run", run_id=declined_exchange.run_id))


def release(exchanges: Iterable[Exchange], coordinator: User) -> list[Exchange]:
    """A coordinator sends held proposals on to their members, who then have the usual time to answer."""
    require_coordinator(coordinator, "do that")
    exchanges = list(exchanges)
    if not exchanges:
        raise DomainError("Choose at least one proposal to send to its members", field="exchange_ids")
    for exchange in exchanges:
        if exchange.status != "held":
            raise Conflict(f"{title(exchange)} is {exchange.status}: only a proposal waiting for review is sent on",
                           field="exchange_ids")
        ids = [i for leg in exchange.legs for i in (leg.offer_listing_id, leg.need_listing_id) if i is not None]
        if ids and db.session.execute(update(Listing).where(Listing.id.in_(ids), Listing.status == "open")
                                      .values(status="matched")).rowcount != len(ids):
            raise Conflict(f"{title(exchange)} can no longer be sent on: a listing in it was withdrawn or came "
                           "down from the directory since it was proposed. Reject it instead.", field="exchange_ids")
        exchange.status = "proposed"
        exchange.expires_at = utcnow() + timedelta(days=current_app.config.get("PROPOSAL_EXPIRY_DAYS", 7))
    _flush_versioned()
    for exchange in exchanges:
        record(coordinator, "exchange.proposed", exchange, "Reviewed by a coordinator and sent to the members",
               run_id=exchange.run_id)
        _tell_proposed(exchange)
    return exchanges


def review_held(coordinator: User, exchange_ids: list[int], *, send: bool, reason: str | None = None) -> list[Exchange]:
    """A coordinator's review of held proposals from the work queue: send them all on to their members,
    or reject them all (their members never heard of them, so they are not told). All of them, or none."""
    require_coordinator(coordinator, "review proposals")
    if not exchange_ids:
        raise DomainError("Choose at least one proposal to send on or reject", field="exchange_ids")
    chosen, problems = [], []
    for exchange_id in dict.fromkeys(exchange_ids):
        exchange = db.session.get(Exchange, exchange_id)
        if exchange is None:
            problems.append(f"There is no exchange {exchange_id}")
        elif exchange.status != "held":
            problems.append(f"{title(exchange)} is {exchange.status}, no longer waiting for review")
        else:
            chosen.append(exchange)
    if problems:
        raise DomainError("Nothing was changed. " + " ".join(f"{p}." for p in problems), field="exchange_ids")
    if send:
        return release(chosen, coordinator)
    if not reason or not reason.strip():
        raise DomainError("Enter why you reject them. Their members are not told; the reason is kept in each "
                          "exchange's history", field="reason")
    return [reject(exchange, coordinator, reason) for exchange in chosen]


def _leg(position: int, plan: LegPlan) -> Leg:
    """The Leg row for a plan; a plan that says what credits it moves must agree with the ledger's rule."""
    offer = db.session.get(Listing, plan.offer_id) if plan.offer_id else None
    need = db.session.get(Listing, plan.need_id) if plan.need_id else None
    category_id = plan.category_id or next((x.category_id for x in (need, offer) if x is not None), None)
    title = next((x.title for x in (offer, need) if x is not None), plan.kind)
    leg = Leg(position=position, giver_member_id=plan.giver_member_id, receiver_member_id=plan.receiver_member_id,
              offer_listing_id=plan.offer_id, need_listing_id=plan.need_id, kind=plan.kind, category_id=category_id,
              description=(plan.description or title)[:300], hours=Decimal(str(plan.hours)), people=plan.people,
              is_gift=plan.is_gift, score=Decimal(str(round(plan.score, 3))), reason=plan.reason, status="proposed")
    if plan.credits is not None and Decimal(plan.credits).quantize(CENT) != leg.credits.quantize(CENT):
        raise DomainError(f"Part {position + 1} was proposed as moving {credits_words(Decimal(plan.credits))}, "
                          f"but confirming it would move {credits_words(leg.credits)}")
    return leg


def asker_answering(exchange: Exchange, member: Member, actor: User) -> str | None:
    """Why `actor` may not answer a direct ask for `member`, the side that was asked, or None.

    As with recorded help (`confirm_direct`), an ask is answered by someone else: not the person
    who asked, nor anyone else of the asking member (who could otherwise ask as one organisation
    and accept as the other, and with no approval required, schedule and confirm it alone). A
    coordinator who is neither may answer for the side that was asked."""
    if not exchange.is_direct or member.id == exchange.asked_by_member_id:
        return None
    asker = db.session.get(Member, exchange.asked_by_member_id)
    if actor.id == exchange.created_by_id:
        return f"You asked for this, so someone else at {member.name} must answer it"
    if asker is not None and membership_of(actor, asker) is not None:
        return f"You are at {asker.name}, which asked for this, so someone else at {member.name} must answer it"
    return None


def respond(exchange: Exchange, member: Member, actor: User, *, accept: bool, reason: str | None = None) -> Exchange:
    """A member accepts or declines its part. A decline voids the exchange for everyone, and what the
    others can still do without the member who declined is proposed to them (matcher.repair: on the
    matcher's queue once the decline is committed)."""
    party = require_party(exchange, member, actor, "answer for")
    refused = asker_answering(exchange, member, actor)
    if refused:
        raise NotAllowed(refused)
    if exchange.status != "proposed":
        raise Conflict(f"This exchange is {exchange.status}; it can no longer be accepted or declined")
    if party.status != "pending":
        raise Conflict(f"{member.name} has already {party.status} its part")
    if not accept and (not reason or not reason.strip()):
        raise DomainError("Tell the others why you are declining", field="reason")
    _claim(exchange)  # two answers at once: one wins, the other is told to look again
    party.responded_by_id = actor.id
    party.responded_at = utcnow()
    if accept:
        party.status = "accepted"
        record(actor, "party.accepted", exchange, f"{member.name} accepted its part", member_id=member.id)
        if all(p.status == "accepted" for p in exchange.parties):
            exchange.status = "accepted"
            if exchange.is_direct:
                from timebank.exchanges import direct

                _flush_versioned()
                direct.agreed(exchange, actor)
                return exchange
            record(actor, "exchange.accepted", exchange, "Every member accepted: waiting for a coordinator")
            notify(_coordinators(), "exchanges", f"{title(exchange)} is accepted by everyone and "
                   "waits for your approval.", page=exchange_page(exchange))
    else:
        party.status = "declined"
        party.reason = reason.strip()
        _void(exchange, actor, member, party.reason)
        _flush_versioned()
        declined.send(exchange, member=member, actor=actor)
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
    notify_member(others, "proposals", f"{member.name} declined {title(exchange)}, so it will not go ahead. "
                  f"Your listings are open again. Their reason: {reason}", page=exchange_page(exchange))


def _claim(*rows: Exchange | Leg) -> None:
    """Take these versioned rows for this transaction before anything else is read or written.

    Each one's version goes up now: of two changes at once the second stops here with a Conflict,
    not later at an autoflush (a 500) nor by writing from what it read before the first committed;
    on PostgreSQL the row stays locked until this transaction ends.
    """
    for row in rows:
        flag_modified(row, "status")
    _flush_versioned()


def _flush_versioned() -> None:
    """Flush, turning a lost optimistic-lock race into a clear Conflict."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange("Someone else changed this exchange at the same moment. Reload the page and try again.") \
            from error



def _check_requirements(leg: Leg, start: datetime, field: str | None = None) -> None:
    """The leg's requirements hold on the day: the giver's DBS checks cover every person the leg
    sends (its need's level, or the level asked for directly), and insurance asked for is valid."""
    field = field or f"leg-{leg.id}"
    level = leg.dbs_level
    if level:
        try:
            check_dbs_cover(leg.giver, level, leg.people, start.date())
        except DomainError as error:
            raise DomainError(f"Part {leg.position + 1}: {error.message}", field=field) from error
    if leg.insurance_needed and not insured_on(leg.giver, start.date()):
        raise DomainError(f"Part {leg.position + 1}: {leg.giver.name} has no public liability insurance recorded "
                          f"that is valid on {start.day} {start:%B %Y}. Ask them to record it first.", field=field)


def approve(exchange: Exchange, coordinator: User, schedule: dict[int, tuple[datetime, datetime]], *,
            override_reason: str | None = None, now: datetime | None = None) -> Exchange:
    """Approve a fully accepted exchange and schedule every leg.

    `schedule` maps each leg id to (start, end), UK clock times: in the future, and within the
    window and weekly times the leg's offer and need share unless `override_reason` says why not.
    Each member's shortfall by the credit rule is reserved out of its room (NotEnoughCredits if it
    is not there), so the exchange can always complete. Room legs become bookings of the giver's
    room and equipment legs loans of the giver's item, in this transaction.
    """
    require_coordinator(coordinator, "do that")
    return schedule_exchange(exchange, coordinator, schedule, override_reason=override_reason, now=now)


def schedule_exchange(exchange: Exchange, actor: User, schedule: dict[int, tuple[datetime, datetime]], *,
                      override_reason: str | None = None, now: datetime | None = None,
                      approving: bool = True) -> Exchange:
    """Schedule an accepted exchange: what a coordinator's approval does (`approve`), and what an
    accepted direct exchange that the coordinators' policy needs no approval for does by itself
    (`approving=False`, `actor` the member's person who accepted last). The same checks, the same
    credits held, the same bookings and loans."""
    now = now or uk_now()
    if exchange.status != "accepted":
        raise Conflict(f"Only an exchange every member has accepted can be approved; this one is {exchange.status}")
    missing = [leg.position + 1 for leg in exchange.legs if leg.id not in schedule]
    if missing:
        raise DomainError(f"Give a start and end for part {', '.join(map(str, missing))}", field="schedule")
    override = _override(override_reason)
    for leg in exchange.legs:
        scheduling.check_slot(leg, *schedule[leg.id], now, override=override is not None)
        _check_requirements(leg, schedule[leg.id][0], None if approving else "start")
    from timebank.ledger import services as ledger

    members = {p.member_id: p.member for p in exchange.parties}
    short = settlement.shortfalls(exchange.shape, exchange.legs)
    ledger.require_room({members[m]: amount for m, amount in short.items()}, except_exchange_id=exchange.id)
    # Claim the exchange first: of two coordinators approving at once, the second stops here.
    exchange.status = "scheduled"
    exchange.decided_by_id = actor.id if approving else None
    exchange.decided_at = utcnow()
    exchange.schedule_override_reason = override
    _flush_versioned()
    from timebank.bookings import services as bookings

    for leg in exchange.legs:
        start, end = schedule[leg.id]
        leg.scheduled_start, leg.scheduled_end = start, end
        leg.status = "scheduled"
        asset = leg.offer.asset if leg.offer is not None else None
        if leg.kind == "room" and asset is not None:
            bookings.book_room(asset, leg.receiver, start, end, actor, leg=leg,
                               note=f"Exchange {exchange.id}: {leg.description}")
        elif leg.kind == "equipment" and asset is not None:
            bookings.request_loan(asset, leg.receiver, start.date(), end.date(), actor, leg=leg,
                                  note=f"Exchange {exchange.id}: {leg.description}")
    _flush_versioned()
    reserved = {str(k): str(v) for k, v in short.items()}
    if approving:
        record(actor, "exchange.approved", exchange, "Approved and scheduled by a coordinator",
               override_reason=override, reserved=reserved)
    else:
        record(actor, "exchange.scheduled", exchange, "Scheduled at the agreed dates: the coordinators' policy "
               "needs no approval for it", reserved=reserved)
    done = "is approved" if approving else "is agreed and scheduled"
    for party in exchange.parties:
        notify_member([party.member], "exchanges", f"{title(exchange)} {done}. {_parts_of(exchange, party.member_id)}",
                      page=exchange_page(exchange))
    return exchange


def _override(reason: str | None) -> str | None:
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise DomainError("Keep the reason to 2,000 characters or fewer", field="override_reason")
    return reason or None


def reject(exchange: Exchange, coordinator: User, reason: str) -> Exchange:
    require_coordinator(coordinator, "do that")
    if not reason or not reason.strip():
        raise DomainError("Enter the reason, which the members will see", field="reason")
    if exchange.status not in ("held", "proposed", "accepted"):
        raise Conflict(f"This exchange is {exchange.status}; it can no longer be rejected")
    was_held = exchange.status == "held"
    _claim(exchange)
    exchange.status = "rejected"
    exchange.decided_by_id = coordinator.id
    exchange.decided_at = utcnow()
    exchange.decision_reason = reason.strip()
    for leg in exchange.legs:
        leg.status = "cancelled"
    _set_listing_status(exchange, "open", only_from=("matched",))
    _flush_versioned()
    record(coordinator, "exchange.rejected", exchange, "Rejected by a coordinator", reason=exchange.decision_reason)
    if not was_held:  # members never heard of a proposal held for review
        notify_member([p.member for p in exchange.parties], "exchanges",
                      f"A coordinator did not approve {title(exchange)}: {exchange.decision_reason}",
                      page=exchange_page(exchange))
    return exchange


def expire_proposals(now: datetime | None = None) -> int:
    """Proposals nobody finished answering by their expiry date expire; their listings open again.

    A proposal held for a coordinator's review that nobody sent on expires too (its listings would
    otherwise wait for ever, out of the directory and out of every later run); its members never
    heard of it, so only the coordinators are told.
    """
    now = now or utcnow()
    stale = db.session.scalars(select(Exchange).where(Exchange.status.in_(("held", "proposed")),
                                                      Exchange.expires_at < now).order_by(Exchange.id)).all()
    unreviewed = 0
    for exchange in stale:
        was_held = exchange.status == "held"
        exchange.status = "expired"
        exchange.decided_at = now
        for leg in exchange.legs:
            leg.status = "cancelled"
        _set_listing_status(exchange, "open", only_from=("matched",))
        if was_held:
            unreviewed += 1
            record(None, "exchange.expired", exchange, "Expired: no coordinator reviewed it in time")
            continue
        record(None, "exchange.expired", exchange, "Expired: not every member answered in time")
        notify_member([p.member for p in exchange.parties], "proposals",
                      f"{title(exchange)} expired because not everyone answered in time. "
                      "Your listings are open again.", page=exchange_page(exchange))
    if unreviewed:
        notify(_coordinators(), "proposals", f"{unreviewed} proposal{'' if unreviewed == 1 else 's'} held for "
               f"your review expired before anyone reviewed {'it' if unreviewed == 1 else 'them'}; the members never "
               "saw them, and their listings are open again for the next run.", page=Page("coordinator.home"))
    db.session.flush()
    return len(stale)


# -- naming an exchange in what people are told ------------------------------------------------

def amount_phrase(kind: str, hours, people: int = 1) -> str:
    """The amount of one part in the words reports use ("18 person-hours (6 people x 3 hours)")."""
    return describe_amount(kind, hours, people)


def _when(leg: Leg) -> str:
    from timebank.bookings.services import describe_days, describe_slot

    if leg.scheduled_start is None:
        return "not scheduled yet"
    if leg.kind == "equipment":
        return describe_days(leg.scheduled_start.date(), leg.scheduled_end.date())
    return describe_slot(leg.scheduled_start, leg.scheduled_end)


def _parts_of(exchange: Exchange, member_id: int) -> str:
    """What the member gives and gets, and when: for the approval and reschedule notices."""
    parts = []
    for leg in exchange.legs:
        if leg.status == "cancelled":
            continue
        if leg.giver_member_id == member_id:
            parts.append(f"You give {leg.receiver.name} {leg.description} ({amount_phrase(leg.kind, leg.hours, leg.people)}) "
                         f"{_when(leg)}.")
        elif leg.receiver_member_id == member_id:
            parts.append(f"{leg.giver.name} gives you {leg.description} {_when(leg)}.")
    return " ".join(parts)


# -- delivery ------------------------------------------------------------------------------

def _require_started(leg: Leg, now: datetime, doing: str) -> None:
    if leg.scheduled_start is not None and leg.scheduled_start > now:
        from timebank.bookings.services import _clock, day_words

        raise Conflict(f"This part starts on {day_words(leg.scheduled_start.date())} at {_clock(leg.scheduled_start)}; "
                       f"it can be {doing} once it has started", field="actual_hours")


def _happened_day(leg: Leg, happened_on: date | None, now: datetime) -> date:
    """The day the help happened: as given, or the day it was scheduled to start; never in the
    future, never before it was scheduled, never before either member joined."""
    from timebank.bookings.services import day_words

    day = happened_on or (leg.scheduled_start.date() if leg.scheduled_start else now.date())
    if day > now.date():
        raise DomainError("The help cannot have happened in the future: give the day it happened",
                          field="happened_on")
    if leg.scheduled_start is not None and day < leg.scheduled_start.date() and leg.exchange.shape != "direct":
        raise DomainError(f"This part was scheduled for {day_words(leg.scheduled_start.date())}: give that day "
                          "or a later one", field="happened_on")
    for member in (leg.giver, leg.receiver):
        if day < member.created_at.date():
            raise DomainError(f"{member.name} joined on {day_words(member.created_at.date())}: help through the "
                              "exchange cannot be dated before that", field="happened_on")
    return day


def _amounts(actual_hours, actual_people, *, hours_field: str = "actual_hours") -> tuple[Decimal, int]:
    if actual_hours is None or Decimal(actual_hours) <= 0:
        raise DomainError("Enter how many hours (or days) it actually was, more than 0", field=hours_field)
    if not LEAST_HOURS <= Decimal(actual_hours) <= MOST_HOURS:  # as the forms and the API; 1e30 cannot be rounded to pennies of credit
        raise DomainError(f"Enter an amount between {LEAST_HOURS} and {MOST_HOURS:,}", field=hours_field)
    if actual_people is None or int(actual_people) < 1:
        raise DomainError("Enter how many people helped, at least 1", field="actual_people")
    return Decimal(actual_hours), int(actual_people)


def _settle_leg(leg: Leg, actor: User, before: dict[int, Decimal], *, field: str) -> None:
    """After a leg's amounts or status changed: post it (chains and pairs), or check that the ring
    it is in can still settle within every member's room."""
    from timebank.ledger import services as ledger

    exchange = leg.exchange
    if not settlement.settles_net(exchange):
        if leg.status == "confirmed":
            ledger.post_leg(leg, actor, limit_field=field)
        return
    after = settlement.outstanding(exchange)
    grown = {m: amount for m, amount in after.items() if amount > before.get(m, Decimal(0))}
    if grown:
        members = {p.member_id: p.member for p in exchange.parties}
        spare = ledger.room([members[m] for m in grown])
        for member_id, amount in grown.items():
            if spare[member_id] < 0:
                raise ledger.NotEnoughCredits(members[member_id], amount, amount + spare[member_id], field=field)


def confirm_leg(leg: Leg, actor: User, *, actual_hours: Decimal, actual_people: int = 1,
                happened_on: date | None = None, now: datetime | None = None) -> Leg:
    """The receiver confirms a leg that has started. A chain's or pair's leg posts its credits now;
    a ring posts all its legs together once the last one is confirmed (docs/ledger.md)."""
    require_side(leg, actor, "receiver", "confirm it")
    _not_recorded_help(leg)
    if leg.status == "confirmed":
        # Like answering a proposal twice: said once, the second time is refused (nothing moves again).
        # An API client retries safely with an Idempotency-Key and gets the first answer.
        raise Conflict("This part is confirmed already")
    if leg.status not in ("scheduled", "delivered"):
        raise Conflict(f"This part is {leg.status}; it can be confirmed once it is scheduled")
    now = now or uk_now()
    _require_started(leg, now, "confirmed")
    hours, people = _amounts(actual_hours, actual_people)
    day = _happened_day(leg, happened_on, now)
    exchange = leg.exchange
    before = settlement.outstanding(exchange)
    leg.actual_hours, leg.actual_people, leg.happened_on = hours, people, day
    leg.status = "confirmed"
    leg.confirmed_at = utcnow()
    leg.confirmed_by_id = actor.id
    _flush_versioned()
    _settle_leg(leg, actor, before, field="actual_hours")
    record(actor, "leg.confirmed", exchange, f"{leg.receiver.name} confirmed {leg.description}",
           member_id=leg.receiver_member_id, leg_id=leg.id, hours=leg.actual_hours, people=leg.actual_people,
           happened_on=day.isoformat())
    credits = settlement.leg_credits(leg)
    paid = ("" if credits == 0 else f" It earns {credits_words(credits)}" +
            (" when the whole ring is confirmed." if settlement.settles_net(exchange) else "."))
    notify_member([leg.giver], "exchanges", f"{title(exchange)}: {leg.receiver.name} confirmed your help, "
                  f"{leg.description} ({amount_phrase(leg.kind, hours, people)}).{paid}", page=exchange_page(exchange))
    _maybe_complete(exchange, actor)
    return leg


def _not_recorded_help(leg: Leg) -> None:
    """Help a member recorded is answered by the other side (`confirm_direct`), never confirmed as a leg:
    the recorder, who may be its receiver, would otherwise confirm its own record and move credits."""
    if leg.exchange.shape == "direct":
        raise Conflict("Recorded help is confirmed, or said to be wrong, by the organisation that did not "
                       "record it, on the exchange's page")


def dispute_leg(leg: Leg, actor: User, reason: str, *, now: datetime | None = None) -> Leg:
    """The receiver says a started leg did not happen as agreed; the giver is asked for its side."""
    require_side(leg, actor, "receiver", "dispute it")
    _not_recorded_help(leg)
    if leg.status not in ("scheduled", "delivered"):
        raise Conflict(f"This part is {leg.status}; it can be disputed only before it is confirmed")
    _require_started(leg, now or uk_now(), "disputed")
    if not reason or not reason.strip():
        raise DomainError("Say what went wrong, so a coordinator can sort it out", field="reason")
    leg.status = "disputed"
    leg.dispute_reason = reason.strip()
    _flush_versioned()
    exchange = leg.exchange
    record(actor, "leg.disputed", exchange, f"{leg.receiver.name} disputed {leg.description}",
           member_id=leg.receiver_member_id, leg_id=leg.id, reason=leg.dispute_reason)
    notify(_coordinators(), "exchanges", f"{title(exchange)}: {leg.receiver.name} disputed part {leg.position + 1} "
           f"({leg.description}): {leg.dispute_reason}", page=exchange_page(exchange))
    notify_member([leg.giver], "exchanges", f"{title(exchange)}: {leg.receiver.name} disputed {leg.description}: "
                  f"{leg.dispute_reason}. Give your side on the exchange's page; a coordinator will hear both.",
                  page=Page("exchanges.give_side", leg_id=leg.id))
    return leg


def give_side(leg: Leg, actor: User, text: str) -> Leg:
    """The giver's side of a dispute, for the coordinator who settles it."""
    require_side(leg, actor, "giver", "give its side")
    if leg.status != "disputed":
        raise Conflict(f"This part is {leg.status}; there is no dispute to answer")
    text = (text or "").strip()
    if not text:
        raise DomainError("Say what happened from your side", field="side")
    if len(text) > 2000:
        raise DomainError("Keep it to 2,000 characters or fewer", field="side")
    leg.giver_side, leg.giver_side_at = text, utcnow()
    _flush_versioned()
    exchange = leg.exchange
    record(actor, "leg.giver_side", exchange, f"{leg.giver.name} gave its side of the dispute",
           member_id=leg.giver_member_id, leg_id=leg.id, side=text)
    notify(_coordinators(), "exchanges", f"{title(exchange)}: {leg.giver.name} gave its side of the dispute about "
           f"{leg.description}: {text}", page=exchange_page(exchange))
    return leg


def settle_dispute(leg: Leg, coordinator: User, *, outcome: str, note: str,
                   actual_hours: Decimal | None = None, actual_people: int | None = None,
                   happened_on: date | None = None, now: datetime | None = None) -> Leg:
    """A coordinator settles a disputed leg: confirm it (with the agreed amounts) or cancel it."""
    require_coordinator(coordinator, "do that")
    if leg.status != "disputed":
        raise Conflict("Only a disputed part can be settled")
    if not note or not note.strip():
        raise DomainError("Say how it was settled", field="note")
    if outcome not in ("confirm", "cancel"):
        raise DomainError("Choose whether to confirm or cancel this part", field="outcome")
    now = now or uk_now()
    exchange = leg.exchange
    before = settlement.outstanding(exchange)
    leg.settled_by_id = coordinator.id
    leg.settlement_note = note.strip()
    if outcome == "confirm":
        hours, people = _amounts(actual_hours, actual_people or leg.people)
        leg.happened_on = _happened_day(leg, happened_on, now)
        leg.actual_hours, leg.actual_people = hours, people
        leg.status = "confirmed"
        leg.confirmed_at = utcnow()
        leg.confirmed_by_id = coordinator.id
    else:
        leg.status = "cancelled"
        leg.cancel_reason = leg.settlement_note
    _flush_versioned()
    _settle_leg(leg, coordinator, before, field="actual_hours" if outcome == "confirm" else "outcome")
    record(coordinator, "leg.settled", exchange, f"Dispute settled: {outcome}", leg_id=leg.id,
           note=leg.settlement_note)
    notify_member([leg.giver, leg.receiver], "exchanges", f"{title(exchange)}: a coordinator settled the dispute "
                  f"about {leg.description} ({'confirmed' if outcome == 'confirm' else 'cancelled'}): "
                  f"{leg.settlement_note}", page=exchange_page(exchange))
    _maybe_complete(exchange, coordinator)
    return leg


def _maybe_complete(exchange: Exchange, actor: User) -> None:
    """Every leg confirmed or cancelled: the exchange is complete (a ring settles now)."""
    if exchange.status != "scheduled":
        return
    if not all(leg.status in ("confirmed", "cancelled") for leg in exchange.legs):
        return
    done = any(leg.status == "confirmed" for leg in exchange.legs)
    exchange.status = "completed" if done else "cancelled"
    exchange.completed_at = utcnow()
    _flush_versioned()
    for leg in exchange.legs:
        _set_listings_of_leg(leg, "fulfilled" if leg.status == "confirmed" else "open")
    if settlement.settles_net(exchange):
        from timebank.ledger import services as ledger

        ledger.settle_ring(exchange, actor)
    if done:
        record(actor, "exchange.completed", exchange, "Every part is confirmed: the exchange is complete")
        notify_member([p.member for p in exchange.parties], "exchanges",
                      f"{title(exchange)} is complete: every part is confirmed. Thank you.",
                      page=exchange_page(exchange))


# -- changes after approval --------------------------------------------------------------------

def _require_scheduled(exchange: Exchange) -> None:
    if exchange.status != "scheduled":
        raise Conflict(f"This exchange is {exchange.status}; only an approved exchange that is not finished "
                       "can be changed")


def _reason_given(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason, which everyone in the exchange will see", field=field)
    if len(reason) > 2000:
        raise DomainError("Keep the reason to 2,000 characters or fewer", field=field)
    return reason


def reschedule(exchange: Exchange, coordinator: User, schedule: dict[int, tuple[datetime, datetime]], *,
               reason: str, override_reason: str | None = None, now: datetime | None = None) -> Exchange:
    """Move the legs in `schedule` (those not yet confirmed, disputed or cancelled) to new times,
    with their bookings and loans; every party is told why."""
    require_coordinator(coordinator, "do that")
    _require_scheduled(exchange)
    reason = _reason_given(reason)
    now = now or uk_now()
    override = _override(override_reason)
    legs = {leg.id: leg for leg in exchange.legs}
    if not schedule:
        raise DomainError("Give new times for at least one part", field="schedule")
    for leg_id, (start, end) in schedule.items():
        leg = legs.get(leg_id)
        if leg is None:
            raise DomainError(f"There is no part {leg_id} in this exchange", field="schedule")
        if leg.status != "scheduled":
            raise Conflict(f"Part {leg.position + 1} is {leg.status}; only a part still to happen can be moved",
                           field=f"start_{leg.id}")
        scheduling.check_slot(leg, start, end, now, override=override is not None)
    from timebank.bookings import services as bookings

    _claim(exchange, *(legs[leg_id] for leg_id in sorted(schedule)))
    moved = []
    for leg_id, (start, end) in sorted(schedule.items()):
        leg = legs[leg_id]
        if (leg.scheduled_start, leg.scheduled_end) == (start, end):
            continue
        old = _when(leg)
        leg.scheduled_start, leg.scheduled_end = start, end
        bookings.move_for_leg(leg, start, end, coordinator, reason)
        moved.append(f"part {leg.position + 1} ({leg.description}) from {old} to {_when(leg)}")
    if not moved:
        raise DomainError("These are the times it already has: change at least one", field="schedule")
    if override:
        exchange.schedule_override_reason = override
    for request in exchange.change_requests:
        if request.resolved_at is None:
            request.resolved_at, request.resolved_by_id = utcnow(), coordinator.id
    _flush_versioned()
    record(coordinator, "exchange.rescheduled", exchange, f"Rescheduled: {'; '.join(moved)}", reason=reason,
           override_reason=override)
    for party in exchange.parties:
        notify_member([party.member], "exchanges", f"{title(exchange)} is rescheduled: {'; '.join(moved)}. "
                      f"Why: {reason}. {_parts_of(exchange, party.member_id)}", page=exchange_page(exchange))
    return exchange


def cancel_leg(leg: Leg, coordinator: User, reason: str) -> Leg:
    """A coordinator cancels one leg: its booking or loan is freed, and credits it posted are
    reversed with the reason. In a ring, the rest must still settle within every member's room."""
    require_coordinator(coordinator, "do that")
    exchange = leg.exchange
    _require_scheduled(exchange)
    reason = _reason_given(reason)
    if leg.status == "cancelled":
        raise Conflict("This part is already cancelled")
    from timebank.bookings import services as bookings
    from timebank.ledger import services as ledger

    before = settlement.outstanding(exchange)
    _claim(leg)
    posted = ledger.entry_for_leg(leg.id)
    if posted is not None:
        ledger.reverse(posted, f"Part {leg.position + 1} of exchange {exchange.id} cancelled: {reason}",
                       coordinator, field="reason")
    leg.status, leg.cancel_reason = "cancelled", reason
    _flush_versioned()
    bookings.release_for_leg(leg, coordinator, reason)
    _settle_leg(leg, coordinator, before, field="reason")
    _set_listings_of_leg(leg, "open")
    record(coordinator, "leg.cancelled", exchange, f"Part {leg.position + 1} cancelled: {leg.description}",
           leg_id=leg.id, reason=reason, reversed_entry_id=posted.id if posted is not None else None)
    notify_member([p.member for p in exchange.parties], "exchanges", f"{title(exchange)}: a coordinator cancelled "
                  f"part {leg.position + 1} ({leg.giver.name} gives {leg.receiver.name} {leg.description}). "
                  f"Why: {reason}" + (" The credits it moved are returned." if posted is not None else ""),
                  page=exchange_page(exchange))
    _maybe_complete(exchange, coordinator)
    return leg


def _set_listings_of_leg(leg: Leg, status: str) -> None:
    ids = [i for i in (leg.offer_listing_id, leg.need_listing_id) if i is not None]
    if ids:
        db.session.execute(update(Listing).where(Listing.id.in_(ids), Listing.status == "matched")
                           .values(status=status))


def _call_off(exchange: Exchange, actor: User, summary: str, reason: str) -> None:
    """Cancel every leg still to happen (freeing bookings, loans and listings); what already
    happened stays, and a ring settles what was confirmed."""
    from timebank.bookings import services as bookings

    _claim(exchange, *(leg for leg in exchange.legs if leg.status in ("scheduled", "delivered", "disputed")))
    for leg in exchange.legs:
        if leg.status in ("scheduled", "delivered", "disputed"):
            leg.status, leg.cancel_reason = "cancelled", reason
            bookings.release_for_leg(leg, actor, reason)
            _set_listings_of_leg(leg, "open")
    exchange.status = "cancelled"
    exchange.decided_at = utcnow()
    exchange.decision_reason = summary
    _set_listing_status(exchange, "fulfilled", only_from=("matched",))
    _flush_versioned()
    if settlement.settles_net(exchange):
        from timebank.ledger import services as ledger

        ledger.settle_ring(exchange, actor)


def cancel_exchange(exchange: Exchange, coordinator: User, reason: str) -> Exchange:
    """A coordinator calls off an approved exchange: every part still to happen is cancelled."""
    require_coordinator(coordinator, "do that")
    _require_scheduled(exchange)
    reason = _reason_given(reason)
    _call_off(exchange, coordinator, f"Cancelled by a coordinator: {reason}", reason)
    record(coordinator, "exchange.cancelled", exchange, "Cancelled by a coordinator", reason=reason)
    notify_member([p.member for p in exchange.parties], "exchanges", f"{title(exchange)} is cancelled by a "
                  f"coordinator. Why: {reason}. Any parts still to happen are off; bookings and loans are freed.",
                  page=exchange_page(exchange))
    return exchange


def withdraw(exchange: Exchange, member: Member, actor: User, reason: str) -> Exchange:
    """A party pulls out of an approved exchange, with a reason: the parts still to happen are off."""
    require_party(exchange, member, actor, "withdraw")
    _require_scheduled(exchange)
    reason = _reason_given(reason)
    _call_off(exchange, actor, f"{member.name} withdrew: {reason}", reason)
    record(actor, "exchange.withdrawn", exchange, f"{member.name} withdrew", member_id=member.id, reason=reason)
    notify(_coordinators(), "exchanges", f"{title(exchange)}: {member.name} withdrew. Why: {reason}",
           page=exchange_page(exchange))
    others = [p.member for p in exchange.parties if p.member_id != member.id]
    notify_member(others, "exchanges", f"{title(exchange)} is off: {member.name} withdrew. Why: {reason}. "
                  "Any parts still to happen are cancelled; bookings and loans are freed.", page=exchange_page(exchange))
    return exchange


def request_change(exchange: Exchange, member: Member, actor: User, reason: str,
                   leg: Leg | None = None) -> ChangeRequest:
    """A party asks the coordinators to change an approved exchange (new times, a part to drop)."""
    require_party(exchange, member, actor, "ask for")
    _require_scheduled(exchange)
    reason = _reason_given(reason)
    if leg is not None and leg.exchange_id != exchange.id:
        raise DomainError("Choose a part of this exchange", field="leg_id")
    request = ChangeRequest(exchange_id=exchange.id, leg_id=getattr(leg, "id", None), member_id=member.id,
                            reason=reason, created_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    what = f"part {leg.position + 1} of " if leg is not None else ""
    record(actor, "exchange.change_requested", exchange, f"{member.name} asked to change {what}the exchange",
           member_id=member.id, leg_id=getattr(leg, "id", None), reason=reason)
    notify(_coordinators(), "exchanges", f"{title(exchange)}: {member.name} asks to change {what}it: {reason}",
           page=exchange_page(exchange))
    others = [p.member for p in exchange.parties if p.member_id != member.id]
    notify_member(others, "exchanges", f"{title(exchange)}: {member.name} asked a coordinator to change {what}it: "
                  f"{reason}", page=exchange_page(exchange))
    return request


# -- help recorded by members themselves --------------------------------------------------

def record_direct(recorder: Member, other: Member, actor: User, *, we_gave: bool, kind: str, hours: Decimal,
                  people: int, description: str, happened_on: date, now: datetime | None = None) -> Exchange:
    """Record help given outside the matcher. It counts once the other side confirms it.

    `happened_on` (a UK day: nobody is asked the time, so none is stored) may not be in the future,
    nor before either member joined.
    """
    if not can_act_for(actor, recorder):
        raise NotAllowed("You can only record help for your own organisation")
    if recorder.status != "active":
        raise DomainError(f"{recorder.name} can record help once a coordinator has approved it")
    if other.id == recorder.id:
        raise DomainError("Choose another organisation", field="other_member_id")
    if other.status != "active":
        raise DomainError(f"{other.name} is not an active member", field="other_member_id")
    if kind not in ("time", "skill"):
        raise DomainError("Record time or skills here; rooms and equipment are booked", field="kind")
    if hours is None or not Decimal(0) < Decimal(hours) <= MOST_HOURS:
        raise DomainError(f"Enter between 0.25 and {MOST_HOURS:,} hours", field="hours")
    if not description or not description.strip():
        raise DomainError("Say what the help was", field="description")
    if len(description.strip()) > 300:
        raise DomainError("Use 300 characters or fewer", field="description")
    from timebank.bookings.services import day_words

    now = now or uk_now()
    if happened_on > now.date():
        raise DomainError("The help must already have happened: give a day up to today", field="happened_on")
    for member in (recorder, other):
        if happened_on < member.created_at.date():
            raise DomainError(f"{member.name} joined on {day_words(member.created_at.date())}: help through the "
                              "exchange cannot be dated before that", field="happened_on")
    giver, receiver = (recorder, other) if we_gave else (other, recorder)
    exchange = Exchange(shape="direct", status="proposed", created_by_id=actor.id,
                        story=f"{giver.name} helped {receiver.name}: {description.strip()}",
                        expires_at=utcnow() + timedelta(days=current_app.config.get("PROPOSAL_EXPIRY_DAYS", 7) * 4))
    exchange.legs.append(Leg(position=0, giver_member_id=giver.id, receiver_member_id=receiver.id, kind=kind,
                             description=description.strip(), hours=Decimal(hours), people=int(people),
                             status="delivered", happened_on=happened_on, reason="Recorded by a member"))
    exchange.parties.append(Party(member_id=recorder.id, status="accepted", responded_by_id=actor.id,
                                  responded_at=utcnow()))
    exchange.parties.append(Party(member_id=other.id, status="pending"))
    db.session.add(exchange)
    db.session.flush()
    record(actor, "exchange.recorded", exchange, f"{recorder.name} recorded help with {other.name}",
           member_id=recorder.id)
    from timebank.ledger import services as ledger

    notify_member([other], "exchanges", f"{title(exchange)}: {recorder.name} recorded that {giver.name} helped "
                  f"{receiver.name} on {day_words(happened_on)} ({amount_phrase(kind, hours, int(people))}): "
                  f"{description.strip()}. Confirm it so it counts: confirming moves "
                  f"{ledger.credits_phrase(exchange.legs[0].credits)} from {receiver.name} to {giver.name}.",
                  page=exchange_page(exchange))
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
    notify_member(others, "exchanges", f"{title(exchange)}: {member.name} "
                  f"{'confirmed' if agree else 'did not confirm'} the help you recorded.", page=exchange_page(exchange))
    return exchange


# -- what a member can see -------------------------------------------------------------------

def exchanges_for(member_ids: list[int], statuses: Iterable[str] | None = None) -> list[Exchange]:
    """The members' exchanges, newest first (never one held for review that never reached them)."""
    query = (select(Exchange).join(Party).where(Party.member_id.in_(member_ids), shown_to_members())
             .order_by(Exchange.created_at.desc(), Exchange.id.desc()).distinct())
    if statuses:
        query = query.where(Exchange.status.in_(list(statuses)))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Contact:
    """How to reach a member in an exchange: its named contact and the member's phone and email."""

    member: Member
    name: str | None
    phone: str | None
    email: str | None


def contacts(exchange: Exchange, viewer: User) -> list[Contact]:
    """The other members' named contacts, for a party's people once every member has accepted
    (coordinators always); nothing while it is only proposed. The named contact is the person
    who answered for the member in this exchange, else the member's first admin."""
    from timebank.members.models import Membership

    mine = {p.member_id for p in exchange.parties if membership_of(viewer, p.member) is not None}
    if not viewer.is_coordinator and (exchange.status not in (*CONTACT_STATUSES, "completed") or not mine):
        return []
    found = []
    for party in exchange.parties:
        if party.member_id in mine:
            continue
        person = db.session.get(User, party.responded_by_id) if party.responded_by_id else None
        if person is None or not person.is_active:
            person = db.session.scalar(select(User).join(Membership).where(
                Membership.member_id == party.member_id, Membership.status == "active", Membership.role == "admin")
                .order_by(Membership.id).limit(1))
        member = party.member
        found.append(Contact(member, person.display_name if person else None, member.contact_phone,
                             member.contact_email or (person.email if person else None)))
    return found


def contacts_note(exchange: Exchange, viewer: User) -> str:
    """Why the viewer sees the contacts on the exchange's page, in words that are true of it now."""
    everyone_accepted = exchange.status in (*CONTACT_STATUSES, "completed")
    mine = any(membership_of(viewer, p.member) is not None for p in exchange.parties)
    if everyone_accepted:
        return f"Everyone has accepted, so {'you' if mine else 'the members'} can reach each other directly."
    if exchange.status == "held":
        why = "This proposal is held for your review: its members have not seen it."
    elif exchange.status == "proposed":
        waiting = [p.member.name for p in exchange.parties if p.status == "pending"]
        why = (f"Still to answer: {', '.join(waiting)}. The members see each other's details once everyone "
               "has accepted.")
    else:
        why = f"This exchange is {exchange.status}, so its members do not see each other's details here."
    return f"You see these because you are a coordinator. {why}"
