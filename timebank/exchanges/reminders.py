"""Reminders: before a proposal expires, and when a confirmation is overdue. Never the same one twice.

`flask exchanges remind` runs daily (docs/operations.md). It expires proposals past their date,
then reminds:

- each member that has not answered a proposal (or a recorded piece of help) expiring within
  `REMIND_BEFORE_EXPIRY_DAYS` days (default 2): once per proposal and member;
- the receiver of each part whose confirmation is overdue (`CONFIRMATION_DAYS` after its end):
  once per part.

Coordinators remind by hand from the work queue (`remind`), at most once a day per proposal or
part and member. Every reminder is a row of `reminders` (what, to whom, on which day, by whom),
which is how the job knows what it has sent; a unique index on (kind, exchange, part, member,
day) holds "not twice a day" in the database too, so two runs at once cannot both send.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from timebank.accounts.access import require_coordinator
from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.bookings.models import uk_now, uk_today
from timebank.db import in_list, utcnow
from timebank.errors import DomainError
from timebank.exchanges.models import Exchange, Leg, exchange_page
from timebank.exchanges.queue import OPEN_LEG_STATUSES, confirmation_due, describe_planned, exchange_title
from timebank.extensions import db
from timebank.members.models import Member
from timebank.notifications.links import Page
from timebank.notifications.services import notify_member

REMINDER_KINDS = {"answer": "Answer a proposal", "confirm": "Confirm a part"}
DEFAULT_REMIND_BEFORE_EXPIRY_DAYS = 2


class Reminder(db.Model):
    """One reminder sent to a member's people: to answer an exchange, or to confirm a part of one."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(in_list("kind", REMINDER_KINDS), name="kind_known"),
        CheckConstraint("(kind = 'confirm') = (leg_id IS NOT NULL)", name="confirm_names_a_part"),
        CheckConstraint("leg_key = COALESCE(leg_id, 0)", name="leg_key_is_leg"),
        Index("uq_reminders_once_a_day", "kind", "exchange_id", "leg_key", "member_id", "sent_on", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"), index=True)
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("legs.id", ondelete="CASCADE"))
    # leg_id, or 0 for a reminder about a whole exchange: a unique index treats NULLs as all different.
    leg_key: Mapped[int] = mapped_column(default=0)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    sent_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    # NULL: the daily job; otherwise the coordinator who sent it.
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def remind_before_expiry_days() -> int:
    return int(current_app.config.get("REMIND_BEFORE_EXPIRY_DAYS", DEFAULT_REMIND_BEFORE_EXPIRY_DAYS))


def last_reminded(exchange_ids: list[int]) -> dict[tuple[int, int | None], date]:
    """The last day a reminder went, per (exchange, part or None)."""
    if not exchange_ids:
        return {}
    rows = db.session.execute(select(Reminder.exchange_id, Reminder.leg_id, func.max(Reminder.sent_on))
                              .where(Reminder.exchange_id.in_(exchange_ids))
                              .group_by(Reminder.exchange_id, Reminder.leg_id)).all()
    return {(exchange_id, leg_id): day for exchange_id, leg_id, day in rows}


def _sent(kind: str, exchange_id: int, leg_id: int | None, member_id: int, *, by_job: bool = False) -> bool:
    query = select(Reminder.id).where(Reminder.kind == kind, Reminder.exchange_id == exchange_id,
                                      Reminder.leg_key == (leg_id or 0), Reminder.member_id == member_id)
    if by_job:
        query = query.where(Reminder.sent_by_id.is_(None))
    return db.session.scalar(query.limit(1)) is not None


def _claim(kind: str, exchange: Exchange, leg: Leg | None, member: Member, on: date, actor: User | None) -> bool:
    """Write the reminder's row first; False if one went today already (here or in another process)."""
    try:
        with db.session.begin_nested():
            db.session.add(Reminder(kind=kind, exchange_id=exchange.id, leg_id=getattr(leg, "id", None),
                                    leg_key=getattr(leg, "id", 0), member_id=member.id, sent_on=on,
                                    sent_by_id=getattr(actor, "id", None)))
    except IntegrityError:
        return False
    return True


def _day(value) -> str:
    return f"{value.day} {value:%B %Y}"


def _answer(exchange: Exchange, member: Member, on: date, actor: User | None) -> bool:
    if not _claim("answer", exchange, None, member, on, actor):
        return False
    recorded = exchange.shape == "direct"
    ask = ("confirm the help recorded in it, or say it is wrong" if recorded
           else "accept or decline its part")
    when = f" It expires on {_day(exchange.expires_at)} if not everyone has answered." if exchange.expires_at else ""
    text = f"Reminder: {exchange_title(exchange)} waits for {member.name} to {ask}.{when} {exchange.story}"
    notify_member([member], "proposals", text, page=exchange_page(exchange),
                  subject=f"Reminder: {exchange_title(exchange)} waits for your answer")
    record(actor, "exchange.reminded", exchange, f"Reminded {member.name} to answer", member_id=member.id,
           by="daily job" if actor is None else "coordinator")
    return True


def _confirm(leg: Leg, on: date, actor: User | None) -> bool:
    exchange, receiver = leg.exchange, leg.receiver
    if not _claim("confirm", exchange, leg, receiver, on, actor):
        return False
    due = confirmation_due(leg)
    text = (f"Reminder: {receiver.name} has not yet confirmed the help {leg.giver.name} gave in "
            f"{exchange_title(exchange)}: {leg.description}, {describe_planned(leg)}. It was due to be confirmed "
            f"by {_day(due)}. Confirm it (so it counts and any time credits post), or dispute it if it did not "
            "happen as planned.")
    notify_member([receiver], "exchanges", text, page=Page("exchanges.confirm_leg", leg_id=leg.id),
                  subject=f"Reminder: please confirm the help in {exchange_title(exchange)}")
    record(actor, "leg.reminded", exchange, f"Reminded {receiver.name} to confirm part {leg.position + 1}",
           member_id=receiver.id, leg_id=leg.id, by="daily job" if actor is None else "coordinator")
    return True


@dataclass
class Sent:
    answers: int = 0
    confirmations: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.answers + self.confirmations


def send_due_reminders(*, now: datetime | None = None, clock: datetime | None = None) -> Sent:
    """The daily job: expire what is past its date, then each reminder that is due and was never sent."""
    from timebank.exchanges.services import expire_proposals

    now, clock = now or utcnow(), clock or uk_now()
    on = clock.date()
    sent = Sent(expired=expire_proposals(now))
    soon = now + timedelta(days=remind_before_expiry_days())
    proposals = db.session.scalars(select(Exchange).where(
        Exchange.status == "proposed", Exchange.expires_at >= now, Exchange.expires_at <= soon)
        .order_by(Exchange.id)).all()
    for exchange in proposals:
        for party in exchange.parties:
            if party.status == "pending" and not _sent("answer", exchange.id, None, party.member_id, by_job=True) \
                    and _answer(exchange, party.member, on, None):
                sent.answers += 1
    legs = db.session.scalars(select(Leg).join(Exchange, Exchange.id == Leg.exchange_id).where(
        Exchange.status == "scheduled", Leg.status.in_(OPEN_LEG_STATUSES), Leg.scheduled_start.is_not(None))
        .order_by(Leg.id)).all()
    for leg in legs:
        due = confirmation_due(leg)
        if due is not None and due < clock and not _sent("confirm", leg.exchange_id, leg.id, leg.receiver_member_id,
                                                         by_job=True) and _confirm(leg, on, None):
            sent.confirmations += 1
    db.session.flush()
    return sent


@dataclass
class Reminded:
    sent: int
    already_today: list[str]


def remind(coordinator: User, *, exchange_ids: list[int] = (), leg_ids: list[int] = ()) -> Reminded:
    """A coordinator reminds, from the work queue: each proposal's members that have not answered,
    each overdue part's receiver. All or nothing: anything with no reminder to send refuses the lot."""
    require_coordinator(coordinator, "send reminders")
    if not exchange_ids and not leg_ids:
        raise DomainError("Choose at least one exchange or part to remind about", field="exchange_ids")
    on, clock = uk_today(), uk_now()
    exchanges, legs, problems = [], [], []
    for exchange_id in dict.fromkeys(exchange_ids):
        exchange = db.session.get(Exchange, exchange_id)
        if exchange is None:
            problems.append(f"There is no exchange {exchange_id}")
        elif exchange.status != "proposed":
            problems.append(f"{exchange_title(exchange)} is {exchange.status}: nobody has an answer to give")
        else:
            exchanges.append(exchange)
    for leg_id in dict.fromkeys(leg_ids):
        leg = db.session.get(Leg, leg_id)
        if leg is None:
            problems.append(f"There is no part {leg_id}")
        elif leg.exchange.status != "scheduled" or leg.status not in OPEN_LEG_STATUSES:
            problems.append(f"Part {leg.position + 1} of {exchange_title(leg.exchange)} is {leg.status}: "
                            "there is nothing to confirm")
        elif leg.scheduled_start is None or leg.scheduled_start > clock:
            problems.append(f"Part {leg.position + 1} of {exchange_title(leg.exchange)} has not started yet: "
                            "it cannot be confirmed before it happens")
        else:
            legs.append(leg)
    if problems:
        raise DomainError("Nothing was sent. " + " ".join(f"{p}." for p in problems),
                          field="exchange_ids" if exchange_ids else "leg_ids")
    sent, already = 0, []
    for exchange in exchanges:
        for party in exchange.parties:
            if party.status != "pending":
                continue
            if _answer(exchange, party.member, on, coordinator):
                sent += 1
            else:
                already.append(f"{party.member.name} about {exchange_title(exchange)}")
    for leg in legs:
        if _confirm(leg, on, coordinator):
            sent += 1
        else:
            already.append(f"{leg.receiver.name} about part {leg.position + 1} of {exchange_title(leg.exchange)}")
    db.session.flush()
    return Reminded(sent, already)


# -- command line -------------------------------------------------------------------------------------

exchanges_cli = AppGroup("exchanges", help="Daily work on exchanges: expiry and reminders.")


@exchanges_cli.command("remind")
def remind_command() -> None:
    """Expire proposals past their date; remind members of answers and confirmations due (run daily)."""
    sent = send_due_reminders()
    db.session.commit()
    click.echo(f"{sent.expired} proposals expired; {sent.answers} reminders to answer and "
               f"{sent.confirmations} reminders to confirm sent.")
