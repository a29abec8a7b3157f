"""The daily jobs: each one a named function, run by `flask jobs run NAME` (a systemd timer) or
by `flask jobs schedule` (the container's scheduler), its outcome kept in `job_runs` and logged.

A job returns a one-line summary, or raises to fail; a failed job makes `flask jobs run` exit 1,
so the timer's unit fails, and `timebank_job_last_outcome` shows it (docs/operations.md, Alerts).
Add a job with `@job("name", at="HH:MM")`: the systemd timers in deploy/systemd must match
(tests/operations/test_deploy_files.py checks that they do).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from timebank.db import utcnow
from timebank.extensions import db

log = logging.getLogger("timebank.jobs")
TIMEZONE = "Europe/London"


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], str]
    at: str  # "HH:MM", UK time
    day_of_week: str = "*"  # "sun" for weekly jobs
    help: str = ""


JOBS: dict[str, Job] = {}


def job(name: str, *, at: str, day_of_week: str = "*"):
    def register(function: Callable[[], str]) -> Callable[[], str]:
        JOBS[name] = Job(name, function, at, day_of_week, (function.__doc__ or "").strip())
        return function

    return register


@job("expire-listings", at="00:15")
def expire_listings() -> str:
    """Open listings past their expiry date become expired."""
    from timebank.listings.services import expire_listings as expire

    return f"{expire()} listings expired"


@job("search-words", at="00:30")
def search_words() -> str:
    """The directory's vocabulary (typo-tolerant search) rebuilt from the open listings."""
    from timebank.listings.words import rebuild_vocabulary

    return f"{rebuild_vocabulary()} words in the directory's vocabulary"


@job("retention", at="01:00")
def retention() -> str:
    """The retention schedule: what has passed its period is deleted (DBS records 6 months after the
    decision, notifications after 12 months, ...), each deletion audited (docs/privacy.md)."""
    from timebank.privacy.retention import apply_retention, summary

    return summary(apply_retention())


@job("purge-idempotency-keys", at="01:10")
def purge_idempotency_keys() -> str:
    """The API's answers kept for Idempotency-Key retries are forgotten after a day."""
    from timebank.api.idempotency import purge

    return f"{purge()} kept answers forgotten"


@job("backup", at="02:00")
def backup() -> str:
    """An encrypted backup in BACKUP_DIR; older ones removed by the retention rule."""
    from timebank.backup import scheduled_backup

    return scheduled_backup()


@job("restore-drill", at="04:00", day_of_week="sun")
def restore_drill() -> str:
    """The newest backup restored into a scratch database, and its ledger checked (weekly)."""
    from timebank.backup import drill_job

    return drill_job()


@job("ledger-check", at="05:00")
def ledger_check() -> str:
    """Every ledger entry balances and all balances sum to zero."""
    from timebank.ledger.services import check_ledger, format_credits

    result = check_ledger()
    if not result.ok:
        raise RuntimeError(f"the ledger does not balance: postings sum to {format_credits(result.total)}; "
                           f"unbalanced entries {result.unbalanced_entry_ids[:20]}, "
                           f"entries without postings {result.entries_without_postings[:20]}")
    return f"{result.entries} entries balance"


@job("matcher", at="01:30")
def matcher() -> str:
    """On the nights the coordinators' schedule names, the matcher runs and proposes (or holds for review)."""
    from timebank.matcher.schedule import run_if_due

    return run_if_due()


@job("network-figures", at="06:00")
def network_figures() -> str:
    """The collaboration network's figures worked out for all time and the last five quarters (kept a day)."""
    from timebank.reports.network import work_out_usual

    return work_out_usual()


@job("bookings-remind", at="08:00")
def bookings_remind() -> str:
    """Borrowers of overdue loans are emailed (once a day per loan)."""
    from timebank.bookings.services import send_overdue_reminders

    return f"{send_overdue_reminders()} overdue reminders sent"


@job("exchanges-remind", at="08:10")
def exchanges_remind() -> str:
    """Proposals past their date expire; members are reminded of answers and confirmations due (never twice)."""
    from timebank.exchanges.reminders import send_due_reminders

    sent = send_due_reminders()
    return (f"{sent.expired} proposals expired; {sent.answers} reminders to answer and "
            f"{sent.confirmations} reminders to confirm sent")


@job("listings-expiring", at="08:20")
def listings_expiring() -> str:
    """Members are told (in the app and by email) of their listings that come down within a week, once each."""
    from timebank.listings.services import warn_expiring_listings

    return f"{warn_expiring_listings()} listings' members warned of their expiry"


@job("saved-searches", at="07:00", day_of_week="mon")
def saved_searches() -> str:
    """Each person with saved searches is emailed the matching listings posted in the week (weekly)."""
    from timebank.saved_searches.services import send_digests

    return f"{send_digests()} saved-search digests sent"


def run_job(name: str):
    """Run one job now, keep its outcome in job_runs, log one line; returns the JobRun."""
    from timebank.operations.models import JobRun

    selected = JOBS[name]
    started, clock = utcnow(), time.perf_counter()
    try:
        detail, outcome = selected.run(), "ok"
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - a failed job is recorded, logged and reported
        db.session.rollback()
        detail, outcome = f"{type(error).__name__}: {error}", "failed"
        log.exception("job %s failed", name, extra={"event": "job", "job": name})
    seconds = time.perf_counter() - clock
    run = JobRun(name=name, started_at=started, finished_at=utcnow(), outcome=outcome, detail=detail[:300])
    db.session.add(run)
    db.session.commit()
    log.info("job %s %s: %s", name, outcome, detail[:300],
             extra={"event": "job", "job": name, "outcome": outcome, "duration_ms": round(seconds * 1000, 1)})
    return run


def last_runs() -> dict:
    """The latest JobRun of each job, and the latest that succeeded: {name: (last, last_ok)}."""
    from timebank.operations.models import JobRun

    latest = {}
    for outcome_filter in (None, "ok"):
        newest = select(JobRun.name, func.max(JobRun.id).label("id")).group_by(JobRun.name)
        if outcome_filter:
            newest = newest.where(JobRun.outcome == outcome_filter)
        newest = newest.subquery()
        for run in db.session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id)):
            latest.setdefault(run.name, [None, None])[0 if outcome_filter is None else 1] = run
    return {name: tuple(pair) for name, pair in latest.items()}


jobs_cli = AppGroup("jobs", help="The daily jobs: run them, list them, or schedule them all.")


@jobs_cli.command("run")
@click.argument("names", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every job, in the order of the day.")
def run_command(names: tuple[str, ...], run_all: bool) -> None:
    """Run the jobs NAMES now (exit 1 if any failed)."""
    chosen = sorted(JOBS, key=lambda n: JOBS[n].at) if run_all else list(names)
    unknown = [n for n in chosen if n not in JOBS]
    if unknown or not chosen:
        raise click.UsageError(f"Name a job ({', '.join(sorted(JOBS))}) or use --all")
    failed = []
    for name in chosen:
        run = run_job(name)
        click.echo(f"{name}: {run.outcome}: {run.detail}")
        if run.outcome != "ok":
            failed.append(name)
    if failed:
        raise click.ClickException(f"Failed: {', '.join(failed)}")


@jobs_cli.command("list")
def list_command() -> None:
    """Each job, when it runs, and how its last run went."""
    runs = last_runs()
    for name, entry in sorted(JOBS.items(), key=lambda item: item[1].at):
        last, last_ok = runs.get(name, (None, None))
        when = f"{'daily' if entry.day_of_week == '*' else entry.day_of_week} {entry.at}"
        state = f"last {last.outcome} at {last.finished_at:%Y-%m-%d %H:%M} UTC" if last else "never run"
        click.echo(f"{name:<16} {when:<10} {state}. {entry.help}")


def build_scheduler(app):
    """A scheduler (not started) that runs each job at its time, UK time, in `app`'s context."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    def run_in_context(name: str) -> None:
        with app.app_context():
            run_job(name)
            db.session.remove()

    scheduler = BlockingScheduler(timezone=TIMEZONE)
    for entry in JOBS.values():
        hour, minute = entry.at.split(":")
        # A job missed while the scheduler was down runs when it is back, within 6 hours.
        scheduler.add_job(run_in_context, CronTrigger(hour=hour, minute=minute, day_of_week=entry.day_of_week,
                                                      timezone=TIMEZONE),
                          args=[entry.name], id=entry.name, coalesce=True, misfire_grace_time=6 * 3600)
    return scheduler


@jobs_cli.command("schedule")
def schedule_command() -> None:
    """Run each job at its time (UK time), until stopped: the container's scheduler."""
    from flask import current_app

    scheduler = build_scheduler(current_app._get_current_object())
    log.info("scheduler started: %s", ", ".join(f"{j.name} {j.at}" for j in JOBS.values()),
             extra={"event": "scheduler"})
    scheduler.start()
