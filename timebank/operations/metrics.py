"""Prometheus metrics at /metrics, for a scraper that sends `Authorization: Bearer $METRICS_TOKEN`.

Requests are counted and timed in each process (prometheus_client; under gunicorn the workers
share a PROMETHEUS_MULTIPROC_DIR, set up by timebank/operations/gunicorn_config.py). What other
processes do (matcher runs on the RQ worker, the daily jobs, the ledger check) is read from the
database and Redis when scraped, so it is right whichever process did the work. Without
METRICS_TOKEN the endpoint answers 404. docs/operations.md lists each metric and what to alert on.
"""
from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, got_request_exception, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

REQUEST_SECONDS = Histogram(
    "timebank_http_request_duration_seconds", "Time to answer a request, by route",
    ["method", "route"], buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10))
REQUESTS = Counter("timebank_http_requests", "Requests answered, by route and status", ["method", "route", "status"])
EXCEPTIONS = Counter("timebank_http_exceptions", "Requests that raised an unhandled exception (a 500)", ["route"])
MATCHER_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800)

bp = Blueprint("metrics", __name__)


def _route() -> str:
    return request.url_rule.rule if request.url_rule else "unmatched"


def register_metrics(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def count_request(response):
        started = g.get("request_started") or g.get("metrics_started")
        route = _route()
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        if started is not None:
            REQUEST_SECONDS.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    @app.before_request
    def start_clock():
        g.metrics_started = time.perf_counter()

    got_request_exception.connect(_count_exception, app, weak=False)


def _count_exception(sender, exception, **extra) -> None:
    EXCEPTIONS.labels(_route()).inc()


@bp.route("/metrics")
def metrics():
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return Response("Send Authorization: Bearer <METRICS_TOKEN>\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"})
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    shared = CollectorRegistry(auto_describe=False)
    shared.register(ExchangeCollector(current_app.config))
    return Response(generate_latest(process_registry) + generate_latest(shared), 200,
                    {"Content-Type": CONTENT_TYPE_LATEST})


class ExchangeCollector(Collector):
    """Read at each scrape: matcher runs, the queue, the daily jobs and the ledger check."""

    def __init__(self, config) -> None:
        self.config = config

    def collect(self):
        yield from self._info()
        yield from self._matcher_runs()
        yield from self._queue()
        yield from self._jobs()

    def _info(self):
        from timebank import __version__

        info = GaugeMetricFamily("timebank_info", "The running release", labels=["version"])
        info.add_metric([__version__], 1)
        yield info

    def _matcher_runs(self):
        from sqlalchemy import func, select

        from timebank.matcher.models import RUN_STATUSES, MatcherRun
        from timebank.extensions import db

        counts = dict(db.session.execute(select(MatcherRun.status, func.count()).group_by(MatcherRun.status)).all())
        runs = GaugeMetricFamily("timebank_matcher_runs", "Matcher runs by status (queued and running are waiting "
                                 "or in progress; done and failed are finished)", labels=["status"])
        for status in RUN_STATUSES:
            runs.add_metric([status], counts.get(status, 0))
        yield runs
        durations = HistogramMetricFamily("timebank_matcher_run_duration_seconds",
                                          "How long finished matcher runs took, by outcome", labels=["outcome"])
        last = GaugeMetricFamily("timebank_matcher_last_run_finished_timestamp_seconds",
                                 "When the latest matcher run with this outcome finished", labels=["outcome"])
        for outcome in ("done", "failed"):
            rows = db.session.execute(select(MatcherRun.started_at, MatcherRun.finished_at).where(
                MatcherRun.status == outcome, MatcherRun.started_at.is_not(None),
                MatcherRun.finished_at.is_not(None))).all()
            seconds = [(finished - started).total_seconds() for started, finished in rows]
            buckets = [(str(bound), sum(1 for s in seconds if s <= bound)) for bound in MATCHER_BUCKETS]
            durations.add_metric([outcome], buckets + [("+Inf", len(seconds))], sum(seconds))
            if rows:
                last.add_metric([outcome], _epoch(max(finished for _, finished in rows)))
        yield durations
        yield last

    def _queue(self):
        depth = GaugeMetricFamily("timebank_queue_depth", "Jobs waiting on the RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("timebank_queue_failed_jobs", "Jobs in the RQ queue's failed registry",
                                   labels=["queue"])
        up = GaugeMetricFamily("timebank_queue_up", "1 if the RQ queue's Redis answered this scrape")
        if self.config.get("MATCHER_QUEUE") != "rq":
            return
        try:
            from redis import Redis
            from rq import Queue

            queue = Queue("matcher", connection=Redis.from_url(self.config["REDIS_URL"], socket_timeout=2))
            depth.add_metric(["matcher"], queue.count)
            failed.add_metric(["matcher"], queue.failed_job_registry.count)
            up.add_metric([], 1)
        except Exception:  # noqa: BLE001 - Redis down is reported as a metric, not an error page
            up.add_metric([], 0)
        yield from (depth, failed, up)

    def _jobs(self):
        from timebank.operations.jobs import JOBS, last_runs

        last_run = GaugeMetricFamily("timebank_job_last_run_timestamp_seconds", "When a daily job last finished",
                                     labels=["job"])
        last_ok = GaugeMetricFamily("timebank_job_last_success_timestamp_seconds",
                                    "When a daily job last finished without failing", labels=["job"])
        outcome = GaugeMetricFamily("timebank_job_last_outcome", "1 if a daily job's latest run succeeded, 0 if "
                                    "it failed", labels=["job"])
        duration = GaugeMetricFamily("timebank_job_last_duration_seconds", "How long a daily job's latest run took",
                                     labels=["job"])
        ledger = GaugeMetricFamily("timebank_ledger_balanced", "1 if the latest ledger check found the ledger "
                                   "balanced, 0 if not (absent until the first check)")
        runs = last_runs()
        for name in JOBS:
            latest, latest_ok = runs.get(name, (None, None))
            if latest is not None:
                last_run.add_metric([name], _epoch(latest.finished_at))
                outcome.add_metric([name], 1 if latest.outcome == "ok" else 0)
                duration.add_metric([name], (latest.finished_at - latest.started_at).total_seconds())
            if latest_ok is not None:
                last_ok.add_metric([name], _epoch(latest_ok.finished_at))
        check = runs.get("ledger-check", (None, None))[0]
        if check is not None:
            ledger.add_metric([], 1 if check.outcome == "ok" else 0)
        yield from (last_run, last_ok, outcome, duration, ledger)


def _epoch(naive_utc) -> float:
    from datetime import UTC

    return naive_utc.replace(tzinfo=UTC).timestamp()
