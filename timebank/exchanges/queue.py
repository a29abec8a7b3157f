"""What waits for whom, and by when: each member's list of things to do, and the coordinators' work queue.

Nothing waits unseen. A member's list (its dashboard, `GET /api/v1/members/{id}/waiting`) holds:

- answers to give: a proposed exchange waiting for its part, or help another member recorded
  that it should confirm, due by the proposal's expiry;
- confirmations due: a part it received whose start has passed, due `CONFIRMATION_DAYS` days
  after the part's end, and overdue after that;
- equipment to hand over (a reserved loan that starts tomorrow or earlier), to give back (a
  borrowed item, due on its last day) and to take back (a lent item, due on its last day).

The coordinators' queue (`/coordinator/queue`, `GET /api/v1/coordinator/queue/{list}`) holds six
lists: proposals held for the coordinators' review (a run whose policy says "review first"; its
members have not seen them), exchanges waiting for approval (with a default schedule, or why there
is none), waiting for answers (who has not answered, and when it expires), confirmations overdue,
disputes, and stuck: live exchanges where nothing has happened for `STUCK_AFTER_DAYS` days that wait
for nothing with a date ahead and are in no list above that says what to do (a held proposal, an
overdue part, a dispute).

Schedules and loans are on the UK clock (as people typed them); expiry and audit times are UTC.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from timebank.audit.models import AuditEvent
from timebank.bookings.models import Loan, uk_now
from timebank.db import utcnow
from timebank.exchanges.models import LIVE_EXCHANGE_STATUSES, Exchange, Leg, Party
from timebank.exchanges.scheduling import DefaultSchedule, default_schedule
from timebank.extensions import db
from timebank.members.models import Asset, Member

DEFAULT_CONFIRMATION_DAYS = 3
DEFAULT_STUCK_AFTER_DAYS = 14
OPEN_LEG_STATUSES = ("scheduled", "delivered")


def confirmation_days() -> int:
    return int(current_app.config.get("CONFIRMATION_DAYS", DEFAULT_CONFIRMATION_DAYS))


def stuck_after_days() -> int:
    return int(current_app.config.get("STUCK_AFTER_DAYS", DEFAULT_STUCK_AFTER_DAYS))


def confirmation_due(leg: Leg) -> datetime | None:
    """When the receiver should have confirmed (or disputed) the part: some days after it ended."""
    end = leg.scheduled_end or leg.scheduled_start
    return end + timedelta(days=confirmation_days()) if end is not None else None


def exchange_title(exchange: Exchange) -> str:
    """How pages, emails and the API name an exchange: "Exchange ring 12"."""
    return f"{exchange.shape_label} {exchange.id}"


def all_exchanges(statuses: Iterable[str] | None = None) -> list[Exchange]:
    """Every exchange (for coordinators), newest first, optionally only those of some statuses."""
    query = select(Exchange).order_by(Exchange.created_at.desc(), Exchange.id.desc())
    if statuses:
        query = query.where(Exchange.status.in_(list(statuses)))
    return list(db.session.scalars(query))


# -- a member's list ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """One thing a member has to do, and by when."""

    kind: str  # answer, confirm_record, confirm, hand_over, give_back, take_back
    member_id: int
    member_name: str
    title: str  # what to do, in plain words, naming the exchange or the item
    detail: str
    action: str  # the link's words
    url: str
    due_on: date
    overdue: bool
    exchange_id: int | None = None
    leg_id: int | None = None
    loan_id: int | None = None


TASK_KINDS = {
    "answer": "Answer a proposed exchange",
    "confirm_record": "Confirm help another member recorded",
    "confirm": "Confirm help you received",
    "hand_over": "Hand over equipment you lend",
    "give_back": "Give back equipment you borrowed",
    "take_back": "Take back equipment you lent",
}


def tasks_for(member_ids: Iterable[int], *, now: datetime | None = None, clock: datetime | None = None) -> list[Task]:
    """What waits for these members, soonest deadline first. `now` is UTC, `clock` the UK clock."""
    member_ids = list(member_ids)
    if not member_ids:
        return []
    now, clock = now or utcnow(), clock or uk_now()
    today = clock.date()
    names = dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids))).all())
    tasks: list[Task] = []

    pending = db.session.execute(
        select(Party, Exchange).join(Exchange, Exchange.id == Party.exchange_id)
        .where(Party.member_id.in_(member_ids), Party.status == "pending", Exchange.status == "proposed")
        .options(selectinload(Exchange.legs))).all()
    for party, exchange in pending:
        direct = exchange.shape == "direct"
        due = exchange.expires_at or now
        if direct:
            leg = exchange.legs[0]
            title = f"Confirm the help recorded in {exchange_title(exchange)}"
            detail = exchange.story
        else:
            title = f"Answer {exchange_title(exchange)}: accept or decline your part"
            detail = exchange.story
        tasks.append(Task(
            kind="confirm_record" if direct else "answer", member_id=party.member_id,
            member_name=names[party.member_id], title=title, detail=detail,
            action="Confirm or say it is wrong" if direct else "Answer", due_on=due.date(), overdue=due < now,
            url=f"/exchanges/{exchange.id}/respond?member_id={party.member_id}", exchange_id=exchange.id,
            leg_id=exchange.legs[0].id if direct else None))

    legs = db.session.scalars(
        select(Leg).join(Exchange, Exchange.id == Leg.exchange_id)
        .where(Leg.receiver_member_id.in_(member_ids), Leg.status.in_(OPEN_LEG_STATUSES),
               Exchange.status == "scheduled", Leg.scheduled_start.is_not(None), Leg.scheduled_start <= clock)
        .options(selectinload(Leg.giver), selectinload(Leg.exchange))).all()
    for leg in legs:
        due = confirmation_due(leg)
        tasks.append(Task(
            kind="confirm", member_id=leg.receiver_member_id, member_name=names[leg.receiver_member_id],
            title=f"Confirm the help {leg.giver.name} gave in {exchange_title(leg.exchange)}",
            detail=f"{leg.description}, {describe_planned(leg)}", action="Confirm or dispute",
            url=f"/legs/{leg.id}/confirm", due_on=due.date(), overdue=due < clock, exchange_id=leg.exchange_id,
            leg_id=leg.id))

    tomorrow = today + timedelta(days=1)
    loans = db.session.execute(
        select(Loan, Asset).join(Asset, Asset.id == Loan.asset_id)
        .where(Loan.status.in_(("reserved", "out")),
               (Loan.member_id.in_(member_ids)) | (Asset.member_id.in_(member_ids)))
        .options(selectinload(Loan.member), selectinload(Loan.asset).selectinload(Asset.member))).all()
    for loan, asset in loans:
        lender, borrower = asset.member, loan.member
        if loan.status == "reserved" and asset.member_id in names and loan.starts_on <= tomorrow:
            tasks.append(Task(
                kind="hand_over", member_id=lender.id, member_name=lender.name,
                title=f"Hand over {asset.name} to {borrower.name}",
                detail=f"Loan from {loan.starts_on.day} {loan.starts_on:%B %Y}; note its condition as it goes out",
                action="Hand it over", url=f"/loans/{loan.id}/check-out", due_on=loan.starts_on,
                overdue=loan.starts_on < today, loan_id=loan.id, leg_id=loan.leg_id))
        if loan.status == "out" and loan.member_id in names:
            tasks.append(Task(
                kind="give_back", member_id=borrower.id, member_name=borrower.name,
                title=f"Give back {asset.name} to {lender.name}",
                detail=f"Due back on {loan.due_on.day} {loan.due_on:%B %Y}", action="See your loans",
                url=f"/members/{borrower.id}/bookings", due_on=loan.due_on, overdue=loan.due_on < today,
                loan_id=loan.id, leg_id=loan.leg_id))
        if loan.status == "out" and asset.member_id in names:
            tasks.append(Task(
                kind="take_back", member_id=lender.id, member_name=lender.name,
                title=f"Take back {asset.name} from {borrower.name}",
                detail="Record its return and its condition when it comes back", action="Record the return",
                url=f"/loans/{loan.id}/return", due_on=loan.due_on, overdue=loan.due_on < today, loan_id=loan.id,
                leg_id=loan.leg_id))
    return sorted(tasks, key=lambda t: (t.due_on, t.member_name, t.kind, t.exchange_id or 0, t.loan_id or 0))


def describe_planned(leg: Leg) -> str:
    """When a part was planned, in words: "from 10:00 to 13:00 on 3 March 2027"."""
    from timebank.bookings.services import describe_slot

    if leg.scheduled_start is None:
        return "no date set"
    return describe_slot(leg.scheduled_start, leg.scheduled_end or leg.scheduled_start)


# -- the coordinators' queue -------------------------------------------------------------------------

@dataclass
class ReviewItem:
    exchange: Exchange
    held_since: datetime
    expires_at: datetime | None


@dataclass
class ApprovalItem:
    exchange: Exchange
    waiting_since: datetime
    default: DefaultSchedule


@dataclass
class AnswerItem:
    exchange: Exchange
    not_answered: list[Member]
    expires_at: datetime | None
    last_reminded_on: date | None


@dataclass
class OverdueItem:
    leg: Leg
    due: datetime
    days_late: int
    last_reminded_on: date | None


@dataclass
class DisputeItem:
    leg: Leg
    since: datetime | None


@dataclass
class StuckItem:
    exchange: Exchange
    last_activity: datetime
    waits_for: str


@dataclass
class Queue:
    review: list[ReviewItem] = field(default_factory=list)
    approval: list[ApprovalItem] = field(default_factory=list)
    answers: list[AnswerItem] = field(default_factory=list)
    overdue: list[OverdueItem] = field(default_factory=list)
    disputes: list[DisputeItem] = field(default_factory=list)
    stuck: list[StuckItem] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in QUEUE_LISTS}


QUEUE_LISTS = {
    "review": "Waiting for your review",
    "approval": "Waiting for approval",
    "answers": "Waiting for answers",
    "overdue": "Confirmations overdue",
    "disputes": "Disputes",
    "stuck": "Stuck",
}


# A reminder asks someone to act; it is not itself a step forward.
NOT_PROGRESS = ("exchange.reminded", "leg.reminded")


def _last_events(exchange_ids: list[int]) -> dict[int, datetime]:
    """When each exchange last moved on (its newest audit event other than a reminder)."""
    if not exchange_ids:
        return {}
    query = (select(AuditEvent.subject_id, func.max(AuditEvent.at))
             .where(AuditEvent.subject_type == Exchange.__tablename__, AuditEvent.subject_id.in_(exchange_ids),
                    AuditEvent.action.not_in(NOT_PROGRESS))
             .group_by(AuditEvent.subject_id))
    return dict(db.session.execute(query).all())


def coordinator_queue(*, now: datetime | None = None, clock: datetime | None = None) -> Queue:
    """Every list of the work queue, oldest first in each. `now` is UTC, `clock` the UK clock."""
    from timebank.exchanges.reminders import last_reminded

    now, clock = now or utcnow(), clock or uk_now()
    queue = Queue()
    live = db.session.scalars(
        select(Exchange).where(Exchange.status.in_(LIVE_EXCHANGE_STATUSES)).order_by(Exchange.id)
        .options(selectinload(Exchange.parties).selectinload(Party.member),
                 selectinload(Exchange.legs).selectinload(Leg.offer),
                 selectinload(Exchange.legs).selectinload(Leg.need),
                 selectinload(Exchange.legs).selectinload(Leg.giver),
                 selectinload(Exchange.legs).selectinload(Leg.receiver))).all()
    ids = [e.id for e in live]
    last = _last_events(ids)
    disputed_at: dict[int, datetime] = {}
    for details, at in db.session.execute(select(AuditEvent.details, AuditEvent.at).where(
            AuditEvent.subject_type == Exchange.__tablename__, AuditEvent.subject_id.in_(ids or [0]),
            AuditEvent.action == "leg.disputed")):
        leg_id = (details or {}).get("leg_id")
        if leg_id is not None:
            disputed_at[int(leg_id)] = max(at, disputed_at.get(int(leg_id), at))
    reminders = last_reminded(ids)
    flagged: set[int] = set()
    for exchange in live:
        if exchange.status == "held":
            queue.review.append(ReviewItem(exchange, exchange.created_at, exchange.expires_at))
            flagged.add(exchange.id)  # the review list says what to do: send it on or reject it
        elif exchange.status == "accepted":
            answered = [p.responded_at for p in exchange.parties if p.responded_at is not None]
            queue.approval.append(ApprovalItem(exchange, max(answered) if answered else exchange.created_at,
                                               default_schedule(exchange, clock.date())))
        elif exchange.status == "proposed":
            waiting = [p.member for p in exchange.parties if p.status == "pending"]
            queue.answers.append(AnswerItem(exchange, waiting, exchange.expires_at,
                                            reminders.get((exchange.id, None))))
        for leg in exchange.legs:
            if leg.status == "disputed":
                queue.disputes.append(DisputeItem(leg, disputed_at.get(leg.id)))
                flagged.add(exchange.id)
            elif exchange.status == "scheduled" and leg.status in OPEN_LEG_STATUSES:
                due = confirmation_due(leg)
                if due is not None and due < clock:
                    queue.overdue.append(OverdueItem(leg, due, (clock.date() - due.date()).days,
                                                     reminders.get((exchange.id, leg.id))))
                    flagged.add(exchange.id)
    stuck_before = now - timedelta(days=stuck_after_days())
    for exchange in live:
        if exchange.id in flagged:
            continue
        activity = max(last.get(exchange.id, exchange.created_at), exchange.created_at)
        if activity >= stuck_before or _waits_for_a_date(exchange, clock, now):
            continue
        queue.stuck.append(StuckItem(exchange, activity, _waits_for(exchange, now)))
    queue.review.sort(key=lambda i: (i.held_since, i.exchange.id))
    queue.approval.sort(key=lambda i: (i.waiting_since, i.exchange.id))
    queue.answers.sort(key=lambda i: (i.expires_at or now, i.exchange.id))
    queue.overdue.sort(key=lambda i: (i.due, i.leg.id))
    queue.disputes.sort(key=lambda i: (i.since or now, i.leg.id))
    queue.stuck.sort(key=lambda i: (i.last_activity, i.exchange.id))
    return queue


def _waits_for_a_date(exchange: Exchange, clock: datetime, now: datetime) -> bool:
    """Still within its own time: a proposal before its expiry, a part not yet due for confirmation."""
    if exchange.status == "proposed":
        return exchange.expires_at is not None and exchange.expires_at >= now
    if exchange.status == "scheduled":
        for leg in exchange.legs:
            due = confirmation_due(leg)
            if leg.status in OPEN_LEG_STATUSES and due is not None and due >= clock:
                return True
    return False


def _waits_for(exchange: Exchange, now: datetime) -> str:
    if exchange.status == "proposed":
        names = ", ".join(p.member.name for p in exchange.parties if p.status == "pending")
        return f"Answers from {names}; its time to answer ran out and it has not expired"
    if exchange.status == "accepted":
        return "Your approval: every member accepted"
    open_legs = [leg for leg in exchange.legs if leg.status not in ("confirmed", "cancelled")]
    if not open_legs:
        return "Completing: every part is confirmed or cancelled, but the exchange is not complete"
    undated = [leg for leg in open_legs if leg.scheduled_start is None]
    if undated:
        return f"Dates for part {undated[0].position + 1}"
    return f"Part {open_legs[0].position + 1} is {open_legs[0].status}"
