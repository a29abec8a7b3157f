"""The matcher on a schedule: every night, or one night a week, as the coordinators set it.

The daily job `matcher` (`flask jobs run matcher`, its systemd timer, or the container's
scheduler; docs/operations.md) calls `run_if_due`. On a day the schedule names it starts a
matcher run with the coordinators' latest matcher settings, through the same queue as a run a
coordinator starts (`timebank.matcher.runs`: RQ when `MATCHER_QUEUE=rq`, else in the job's own
process), so a listing posted since the last run gets a proposal without anyone pressing a
button. The schedule also says where the run's proposals go: straight to the members (as a
coordinator's run does), or held (`Exchange.status == "held"`) until a coordinator has reviewed
them (the work queue's first list, or each exchange's page) and sent them on
(`exchanges.services.release`).

Changing the schedule is audited. Until a coordinator saves one, the matcher runs every night and
its proposals go straight to the members.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from timebank.accounts.access import require_coordinator
from timebank.audit.services import record
from timebank.db import in_list, utcnow
from timebank.errors import DomainError
from timebank.extensions import db
from timebank.listings.models import DAYS

CADENCES = {"off": "Never: only when a coordinator runs it", "daily": "Every night",
            "weekly": "One night a week"}
# The daily job's time (UK): operations.jobs registers it, and the pages say it.
RUNS_AT = "01:30"


class MatcherSchedule(db.Model):
    """The one row of the coordinators' schedule for the matcher."""

    __tablename__ = "matcher_schedule"
    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint(in_list("cadence", CADENCES), name="cadence_known"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("cadence != 'weekly' OR weekday IS NOT NULL", name="weekly_has_a_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cadence: Mapped[str] = mapped_column(String(8), default="daily")
    # Monday is 0: the night (starting at RUNS_AT, early that morning) a weekly run happens.
    weekday: Mapped[int | None]
    # True: proposals wait for a coordinator's review before members see them.
    review: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Schedule:
    cadence: str = "daily"
    weekday: int | None = None
    review: bool = False
    updated_at: datetime | None = None

    def describe(self) -> str:
        if self.cadence == "off":
            return "The matcher runs only when a coordinator runs it"
        when = "every night" if self.cadence == "daily" else f"every {DAYS[self.weekday]}"
        where = ("its proposals wait for a coordinator's review" if self.review
                 else "its proposals go straight to the members")
        return f"The matcher runs {when} at {RUNS_AT} (UK time); {where}"


def current() -> Schedule:
    row = db.session.get(MatcherSchedule, 1)
    if row is None:
        return Schedule()
    return Schedule(row.cadence, row.weekday, row.review, row.updated_at)


def set_schedule(coordinator, *, cadence: str, weekday: int | None = None, review: bool = False) -> Schedule:
    """A coordinator sets when the matcher runs by itself and where its proposals go (audited)."""
    require_coordinator(coordinator, "change the matcher's schedule")
    if cadence not in CADENCES:
        raise DomainError("Choose how often the matcher runs by itself", field="cadence")
    if cadence == "weekly":
        if weekday is None or not 0 <= int(weekday) <= 6:
            raise DomainError("Choose the day of the week it runs", field="weekday")
        weekday = int(weekday)
    else:
        weekday = None
    before = current()
    row = db.session.get(MatcherSchedule, 1)
    if row is None:
        row = MatcherSchedule(id=1)
        db.session.add(row)
    row.cadence, row.weekday, row.review = cadence, weekday, bool(review)
    row.updated_by_id, row.updated_at = coordinator.id, utcnow()
    db.session.flush()
    after = current()
    record(coordinator, "policy.matcher_schedule", row, after.describe(),
           before={"cadence": before.cadence, "weekday": before.weekday, "review": before.review},
           after={"cadence": after.cadence, "weekday": after.weekday, "review": after.review})
    return after


def is_due(schedule: Schedule, day: date) -> bool:
    if schedule.cadence == "off":
        return False
    return schedule.cadence == "daily" or day.weekday() == schedule.weekday


def run_if_due(day: date | None = None) -> str:
    """The daily job: start a matcher run if the schedule names `day` (UK), and say what happened.

    Commits: the run is handed to the queue (or run here) only once its row is committed.
    """
    from timebank.bookings.models import uk_today
    from timebank.matcher import runs
    from timebank.matcher.models import MatcherRun

    day = day or uk_today()
    schedule = current()
    if not is_due(schedule, day):
        return f"Not due today. {schedule.describe()}."
    busy = db.session.scalar(select(MatcherRun.id).where(MatcherRun.status.in_(("queued", "running"))).limit(1))
    if busy is not None:
        return f"Skipped: run {busy} is still going"
    policy = {key: value for key, value in runs.current_policy().items() if key not in runs.RUN_FLAGS}
    run = MatcherRun(status="queued", policy={**policy, "scheduled": True, "hold_for_review": schedule.review},
                     message="Waiting to start")
    db.session.add(run)
    db.session.flush()
    record(None, "matcher.started", run, f"Matcher run {run.id} started on the coordinators' schedule",
           policy=run.policy)
    db.session.commit()
    if current_app.config.get("MATCHER_QUEUE") == "rq":
        runs.dispatch(run.id)
        return f"Run {run.id} queued"
    # A thread would die with this job's process: run it here, where nobody waits for a page.
    runs.execute_run(run.id)
    run = db.session.get(MatcherRun, run.id)
    return f"Run {run.id}: {run.message}"
