"""Retention as code: the periods of the retention schedule that end in a deletion, enforced daily.

`apply_retention()` is the daily job `retention` (timebank/operations/jobs.py): each rule below
deletes (or, for people, erases) what has passed its period, and writes one audit event with the
count. docs/privacy.md holds the whole schedule, printed from timebank/privacy/inventory.py; a
test runs every rule on aged data.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from timebank.accounts.models import AccountLink, Coordinator, LoginSession, User
from timebank.accounts.tokens import ApiToken
from timebank.audit.models import AuditEvent
from timebank.bookings.models import Booking, BookingSeries, Loan
from timebank.db import utcnow
from timebank.exchanges.models import Exchange, Leg
from timebank.exchanges.reminders import Reminder
from timebank.extensions import db
from timebank.ledger.models import LedgerEntry
from timebank.matcher.models import MatcherRun
from timebank.members.models import ComplianceRecord, Invitation, Member, Membership
from timebank.members.compliance import add_months, purge_dbs_records
from timebank.notifications.models import Notification
from timebank.privacy.erasure import erase_person, remove_after_commit

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class Rule:
    name: str
    table: str  # where the rows are ("outbox" for the outbox folder)
    says: str   # what goes, in words: "notifications older than 12 months"
    apply: Callable[[datetime, bool], int]  # (now, really delete?) -> how many


def _delete_where(model, condition) -> Callable[[datetime, bool], int]:
    def apply(now: datetime, really: bool) -> int:
        where = condition(now)
        if not really:
            return db.session.scalar(select(func.count()).select_from(model).where(where)) or 0
        return db.session.execute(delete(model).where(where)).rowcount or 0
    return apply


def _dbs(now: datetime, really: bool) -> int:
    if really:
        return purge_dbs_records(now.date())
    from timebank.members.compliance import dbs_delete_on

    return sum(1 for record in db.session.scalars(select(ComplianceRecord).where(ComplianceRecord.kind == "dbs"))
               if dbs_delete_on(record) <= now.date())


def _not_named_by_the_ledger():
    return ~exists().where(LedgerEntry.created_by_id == User.id)


def _unconfirmed(now: datetime):
    return and_(User.email_confirmed_at.is_(None), User.erased_at.is_(None), User.created_at < now - timedelta(days=30),
                ~exists().where(Membership.user_id == User.id), _not_named_by_the_ledger())


def _dormant(now: datetime):
    last_seen = func.coalesce(User.last_login_at, User.created_at)
    return and_(User.erased_at.is_(None), User.email_confirmed_at.is_not(None), last_seen < now - 3 * YEAR,
                ~exists().where(Membership.user_id == User.id), ~exists().where(Coordinator.user_id == User.id))


def _erase_dormant(now: datetime, really: bool) -> int:
    people = db.session.scalars(select(User).where(_dormant(now)).order_by(User.id)).all()
    if really:
        for person in people:
            erase_person(person, None, "No membership and no sign-in for 3 years (the retention schedule)")
    return len(people)


def _delete_each(model, condition) -> Callable[[datetime, bool], int]:
    """Delete row by row, each in a savepoint: a row something still needs (a RESTRICT reference,
    perhaps one added later) is kept, and the rest of the job goes on."""
    def apply(now: datetime, really: bool) -> int:
        ids = db.session.scalars(select(model.id).where(condition(now)).order_by(model.id)).all()
        if not really:
            return len(ids)
        deleted = 0
        for row_id in ids:
            try:
                with db.session.begin_nested():
                    db.session.execute(delete(model).where(model.id == row_id))
                deleted += 1
            except IntegrityError:
                continue
        return deleted
    return apply


def _ended_exchanges(now: datetime):
    ended = func.coalesce(Exchange.decided_at, Exchange.expires_at, Exchange.created_at)
    posted = exists().where(Leg.exchange_id == Exchange.id, LedgerEntry.leg_id == Leg.id)
    return and_(Exchange.status.in_(("voided", "rejected", "expired")), ended < now - YEAR, ~posted)


def _outbox(now: datetime, really: bool) -> int:
    if current_app.config.get("MAIL_BACKEND") != "file":
        return 0
    folder = Path(current_app.config["MAIL_FILE_PATH"])
    cutoff = (now - timedelta(days=30)).timestamp()
    old = [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < cutoff] if folder.is_dir() else []
    if really:
        remove_after_commit(old)
    return len(old)


def _job_runs(now: datetime, really: bool) -> int:
    from timebank.operations.models import JobRun

    return _delete_where(JobRun, lambda now: JobRun.started_at < now - YEAR)(now, really)


SIX_YEARS = lambda now: datetime.combine(add_months(now.date(), -72), now.time())  # noqa: E731

RULES: tuple[Rule, ...] = (
    Rule("dbs-records", "compliance_records", "DBS records 6 months after the decision", _dbs),
    Rule("lapsed-compliance", "compliance_records", "insurance and safeguarding records 6 years after they lapsed",
         _delete_where(ComplianceRecord, lambda now: and_(ComplianceRecord.kind != "dbs",
                                                          ComplianceRecord.expires_on < SIX_YEARS(now).date()))),
    Rule("notifications", "notifications", "notifications older than 12 months",
         _delete_where(Notification, lambda now: Notification.created_at < now - YEAR)),
    Rule("invitations", "invitations", "invitations 90 days after they were answered, cancelled or sent",
         _delete_where(Invitation, lambda now: func.coalesce(Invitation.answered_at, Invitation.created_at)
                       < now - timedelta(days=90))),
    Rule("login-sessions", "login_sessions", "signed-in sessions 30 days after they ended or expired",
         _delete_where(LoginSession, lambda now: func.coalesce(LoginSession.ended_at, LoginSession.expires_at)
                       < now - timedelta(days=30))),
    Rule("account-links", "account_links", "emailed links 30 days after they were used or expired",
         _delete_where(AccountLink, lambda now: func.coalesce(AccountLink.used_at, AccountLink.expires_at)
                       < now - timedelta(days=30))),
    Rule("revoked-tokens", "api_tokens", "API tokens 90 days after they were revoked",
         _delete_where(ApiToken, lambda now: ApiToken.revoked_at < now - timedelta(days=90))),
    Rule("unconfirmed-accounts", "users", "sign-ups never confirmed, after 30 days",
         _delete_each(User, _unconfirmed)),
    Rule("dormant-accounts", "users", "accounts with no membership and no sign-in for 3 years (erased)",
         _erase_dormant),
    Rule("erased-people", "users", "erased people's rows once no ledger entry names them",
         _delete_each(User, lambda now: and_(User.erased_at.is_not(None), _not_named_by_the_ledger()))),
    Rule("rejected-members", "members", "rejected applications 12 months after the decision",
         _delete_each(Member, lambda now: and_(Member.status == "rejected", Member.decided_at < now - YEAR))),
    Rule("matcher-runs", "matcher_runs", "matcher runs 2 years after they finished",
         _delete_where(MatcherRun, lambda now: func.coalesce(MatcherRun.finished_at, MatcherRun.created_at)
                       < now - 2 * YEAR)),
    Rule("ended-exchanges", "exchanges", "exchanges that never went ahead, 12 months after they ended",
         _delete_each(Exchange, _ended_exchanges)),
    Rule("reminders", "reminders", "reminders sent more than 12 months ago",
         _delete_where(Reminder, lambda now: Reminder.sent_at < now - YEAR)),
    Rule("bookings", "bookings", "room bookings 6 years after they ended",
         _delete_where(Booking, lambda now: Booking.ends_at < SIX_YEARS(now))),
    Rule("booking-series", "booking_series", "weekly bookings 6 years after they were made, once none of their "
         "bookings is left",
         _delete_where(BookingSeries, lambda now: and_(BookingSeries.created_at < SIX_YEARS(now),
                                                       ~exists().where(Booking.series_id == BookingSeries.id)))),
    Rule("loans", "loans", "equipment loans 6 years after they were returned or cancelled",
         _delete_where(Loan, lambda now: and_(Loan.status.in_(("returned", "cancelled")), or_(
             Loan.returned_at < SIX_YEARS(now), Loan.cancelled_at < SIX_YEARS(now))))),
    Rule("audit-events", "audit_events", "audit events older than 6 years",
         _delete_where(AuditEvent, lambda now: AuditEvent.at < SIX_YEARS(now))),
    Rule("job-runs", "job_runs", "daily job outcomes older than 12 months", _job_runs),
    Rule("outbox", "outbox", "outbox files older than 30 days", _outbox),
)


def apply_retention(now: datetime | None = None, *, really: bool = True) -> dict[str, int]:
    """Run every rule; {rule name: how many went (or would go)}. Each deletion is audited with its count."""
    now = now or utcnow()
    counts = {}
    for rule in RULES:
        counts[rule.name] = rule.apply(now, really)
        if really and counts[rule.name]:
            summary_text = f"Retention: {counts[rule.name]:,} {rule.says} deleted"
            db.session.add(AuditEvent(actor_id=None, action="retention.applied", subject_type=rule.table,
                                      subject_id=0, summary=summary_text[:500],
                                      details={"rule": rule.name, "count": counts[rule.name],
                                               "as_of": now.isoformat()}))
    db.session.flush()
    return counts


def summary(counts: dict[str, int]) -> str:
    done = [f"{name} {count}" for name, count in counts.items() if count]
    return "retention: " + (", ".join(done) if done else "nothing past its period")
