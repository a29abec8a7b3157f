"""One JSON line per request and per job, with no email or token in it; metrics for a scraper with the token."""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest

from timebank.db import utcnow
from timebank.extensions import db

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture()
def lines(caplog):
    """The JSON lines the app logged during the test, parsed."""
    from timebank.operations.logs import JsonFormatter

    caplog.set_level(logging.INFO, logger="timebank")
    formatter = JsonFormatter()
    return lambda: [json.loads(formatter.format(record)) for record in caplog.records
                    if record.name.startswith("timebank")]


def test_each_request_is_one_json_line_with_who_what_and_how_long(client, auth, make_member, lines):
    member_id, _ = make_member(admin_email="admin@food-bank.example")
    auth.login("admin@food-bank.example")
    response = client.get(f"/members/{member_id}", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-123"
    line = [entry for entry in lines() if entry.get("request_id") == "req-123"][-1]
    assert line["event"] == "request"
    assert line["method"] == "GET" and line["status"] == 200
    assert line["route"] == "/members/<int:member_id>" and line["member_id"] == member_id
    assert isinstance(line["user_id"], int) and line["duration_ms"] >= 0
    # A request without an id of its own gets one, and says it back.
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz").headers["X-Request-ID"])


def test_no_email_address_or_token_reaches_a_log_line(client, auth, make_member, mailbox, lines):
    member_id, _ = make_member(admin_email="admin@food-bank.example")
    client.post("/sign-in", data={"email": "someone.else@example.org", "password": "wrong password"})
    client.post("/forgot-password", data={"email": "admin@food-bank.example"})
    reset_link = re.search(r"http://exchange\.test(/reset-password/\S+)", mailbox.body(mailbox.messages[-1])).group(1)
    client.get(reset_link)
    client.get("/invitations/not-a-real-token-but-long-enough-to-look-like-one")
    client.get("/listings?q=admin@food-bank.example&page=2")
    client.get("/confirm-email/dGhpc2lzYXRva2VuLXRoYXQtaXMtYmFzZTY0LWVtYWls")
    logged = lines()
    text = "\n".join(json.dumps(line) for line in logged)
    assert not EMAIL.search(text), EMAIL.search(text)
    token = reset_link.rsplit("/", 1)[1]
    assert token not in text
    paths = {line["path"] for line in logged if line.get("event") == "request"}
    assert "/reset-password/[redacted]" in paths
    assert "/confirm-email/[redacted]" in paths
    queries = {line["query"] for line in logged if line.get("path") == "/listings"}
    assert queries == {"q=[redacted]&page=2"}


def test_a_daily_job_logs_a_line_and_keeps_its_outcome(app, runner, lines):
    result = runner.invoke(args=["jobs", "run", "expire-listings", "ledger-check"])
    assert result.exit_code == 0, result.output
    assert "expire-listings: ok: 0 listings expired" in result.output
    jobs = [line for line in lines() if line.get("event") == "job"]
    assert [(line["job"], line["outcome"]) for line in jobs] == [("expire-listings", "ok"), ("ledger-check", "ok")]
    assert all(line["duration_ms"] >= 0 for line in jobs)
    listing = runner.invoke(args=["jobs", "list"])
    assert "ledger-check" in listing.output and "last ok" in listing.output
    assert "bookings-remind" in listing.output and "never run" in listing.output


def test_a_failing_job_exits_non_zero_and_says_why(app, runner, lines):
    from timebank.operations import jobs

    def broken() -> str:
        raise RuntimeError("the mail server refused us")

    jobs.JOBS["test-broken"] = jobs.Job("test-broken", broken, at="03:00")
    try:
        result = runner.invoke(args=["jobs", "run", "test-broken"])
    finally:
        del jobs.JOBS["test-broken"]
    assert result.exit_code == 1
    assert "Failed: test-broken" in result.output
    with app.app_context():
        from timebank.operations.models import JobRun

        run = db.session.query(JobRun).filter_by(name="test-broken").one()
        assert run.outcome == "failed" and "mail server refused" in run.detail


def _scrape(client, token="scrape-me"):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def _value(text: str, name: str, **labels) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} " if labels else f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_need_the_token(app, client):
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN: no endpoint
    app.config["METRICS_TOKEN"] = "scrape-me"
    assert client.get("/metrics").status_code == 401
    assert _scrape(client, "wrong").status_code == 401
    assert _scrape(client).status_code == 200


def test_metrics_count_requests_matcher_runs_jobs_and_the_ledger(app, client, runner, make_user):
    from timebank.matcher.models import MatcherRun

    app.config["METRICS_TOKEN"] = "scrape-me"
    before = _value(_scrape(client).text, "timebank_http_requests_total", method="GET", route="/healthz",
                    status="200") or 0
    for _ in range(3):
        client.get("/healthz")
    client.get("/no-such-page")
    coordinator = make_user(coordinator=True)
    with app.app_context():
        now = utcnow()
        db.session.add_all([
            MatcherRun(started_by_id=coordinator, status="done", started_at=now - timedelta(seconds=40),
                       finished_at=now),
            MatcherRun(started_by_id=coordinator, status="failed", started_at=now - timedelta(seconds=3),
                       finished_at=now),
        ])
        db.session.commit()
    assert runner.invoke(args=["jobs", "run", "ledger-check"]).exit_code == 0
    text = _scrape(client).text
    assert _value(text, "timebank_http_requests_total", method="GET", route="/healthz", status="200") == before + 3
    assert _value(text, "timebank_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert _value(text, "timebank_http_request_duration_seconds_count", method="GET", route="/healthz") >= 3
    assert _value(text, "timebank_matcher_runs", status="done") == 1
    assert _value(text, "timebank_matcher_runs", status="failed") == 1
    assert 'timebank_matcher_run_duration_seconds_bucket{le="60",outcome="done"} 1.0' in text
    assert 'timebank_matcher_run_duration_seconds_bucket{le="30",outcome="done"} 0.0' in text
    assert _value(text, "timebank_job_last_outcome", job="ledger-check") == 1
    assert _value(text, "timebank_ledger_balanced") == 1
    assert _value(text, "timebank_job_last_outcome", job="bookings-remind") is None  # never run: no series


def test_an_unbalanced_ledger_shows_in_the_metrics(app, client, runner):
    from timebank.ledger.models import LedgerEntry

    app.config["METRICS_TOKEN"] = "scrape-me"
    with app.app_context():
        db.session.add(LedgerEntry(kind="adjustment", description="an entry with no postings", reason="a test"))
        db.session.commit()
    result = runner.invoke(args=["jobs", "run", "ledger-check"])
    assert result.exit_code == 1 and "does not balance" in result.output
    text = _scrape(client).text
    assert _value(text, "timebank_ledger_balanced") == 0
    assert _value(text, "timebank_job_last_outcome", job="ledger-check") == 0


def test_the_scheduler_runs_each_job_at_its_uk_time(app):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from timebank.operations.jobs import JOBS, build_scheduler

    scheduler = build_scheduler(app)
    london = ZoneInfo("Europe/London")
    summer = datetime(2027, 7, 1, 0, 0, tzinfo=london)  # British Summer Time: UK time, not UTC
    fires = {job.id: job.trigger.get_next_fire_time(None, summer) for job in scheduler.get_jobs()}
    assert set(fires) == set(JOBS)
    for name, when in fires.items():
        assert when.astimezone(london).strftime("%H:%M") == JOBS[name].at, name
    assert fires["restore-drill"].astimezone(london).strftime("%A") == "Sunday"
    assert fires["ledger-check"].astimezone(london).date() == summer.date()
