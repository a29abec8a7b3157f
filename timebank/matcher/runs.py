"""Matcher runs in the background: a thread in this process by default, or an RQ queue on Redis.

The request that starts a run only adds a `MatcherRun` row and hands its id to the queue; the
worker (a thread here, or `rq worker matcher` on any machine that shares the database) builds the
market from the database, solves it, stores each proposal, and writes its progress to the run's
row, which the run's page shows. Set `MATCHER_QUEUE=rq` and `REDIS_URL` to use RQ.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import select

from timebank.accounts.access import load_for_coordinator, require_coordinator
from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError
from timebank.exchanges import services as exchanges
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.matcher.models import IN_PROGRESS, MatcherRun

if TYPE_CHECKING:
    from matching.marketplace import ProposedExchange

DEFAULT_POLICY = {"max_cycle": 3, "max_chain": 3, "allow_pairs": True, "time_limit": 60, "objective": "points",
                  "weights": {"urgency": 4.0, "category_fit": 3.0, "distance": 2.0, "waiting": 1.0}}
# What a run aims for (matching.marketplace.Policy.objective), in the coordinators' words. "expected"
# weighs each exchange by the chance that all its members accept, learned from their own answers
# (timebank.matcher.answers; docs/matching.md, "Failure-aware matching and repair").
OBJECTIVES = {"points": "The most exchanges if everyone accepts",
              "expected": "The most exchanges expected to go ahead, allowing for declines"}
# What a run's stored policy says besides the matcher's settings: started on the coordinators'
# schedule (timebank.matcher.schedule), and whether its proposals wait for their review.
RUN_FLAGS = ("scheduled", "hold_for_review")


def to_policy(stored: dict):
    """The matcher's Policy from a run's stored policy (plain JSON)."""
    from matching.marketplace import Policy, ScoreWeights

    weights = {**DEFAULT_POLICY["weights"], **stored.get("weights", {})}
    return Policy(max_cycle=int(stored.get("max_cycle", 3)), max_chain=int(stored.get("max_chain", 3)),
                  allow_pairs=bool(stored.get("allow_pairs", True)), time_limit=stored.get("time_limit"),
                  objective=stored.get("objective", "points"),
                  weights=ScoreWeights(urgency=weights["urgency"], category_fit=weights["category_fit"],
                                       distance=weights["distance"], waiting=weights["waiting"]))

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def current_policy() -> dict:
    """The policy of the latest run, else the defaults: what a new run starts from."""
    last = db.session.scalar(select(MatcherRun).order_by(MatcherRun.id.desc()).limit(1))
    policy = dict(DEFAULT_POLICY)
    if last is not None and last.policy:
        policy.update(last.policy)
    return policy


def load_run(run_id: int, user: User) -> MatcherRun:
    """A matcher run, for coordinators."""
    return load_for_coordinator(MatcherRun, run_id, user, to="see matcher runs",
                                missing=f"There is no matcher run {run_id}")


def start_run(coordinator: User, policy: dict) -> MatcherRun:
    """Queue a run with this policy. Only one run may be queued or running at a time."""
    require_coordinator(coordinator, "run the matcher")
    busy = db.session.scalar(select(MatcherRun.id).where(MatcherRun.status.in_(IN_PROGRESS)))
    if busy is not None:
        raise Conflict(f"Run {busy} is still going. Wait for it to finish.")
    if policy.get("objective", DEFAULT_POLICY["objective"]) not in OBJECTIVES:
        raise DomainError("Choose what the matcher aims for", field="objective")
    before = current_policy()["objective"]
    run = MatcherRun(started_by_id=coordinator.id, status="queued", policy={**DEFAULT_POLICY, **policy},
                     message="Waiting to start")
    db.session.add(run)
    db.session.flush()
    record(coordinator, "matcher.started", run, f"Matcher run {run.id} started", policy=run.policy)
    after = run.policy["objective"]
    if after != before:  # what the matcher aims for is the coordinators' policy: its changes are audited
        record(coordinator, "policy.matcher_objective", run, f"The matcher aims for: {OBJECTIVES[after].lower()}",
               before=before, after=after)
    return run


def dispatch(run_id: int) -> None:
    """Hand a committed run to the configured queue."""
    app = current_app._get_current_object()
    if app.config.get("MATCHER_QUEUE") == "rq":
        from redis import Redis
        from rq import Queue

        Queue("matcher", connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
            "timebank.matcher.runs.rq_job", run_id, job_timeout=app.config.get("MATCHER_JOB_TIMEOUT", 1800))
    elif app.config.get("MATCHER_QUEUE") == "inline":
        execute_run(run_id)  # tests and the CLI's --wait: same code, no thread
    else:
        background().submit(_in_app_context, app, run_id)


def background() -> ThreadPoolExecutor:
    """The web process's one matcher thread (MATCHER_QUEUE=thread): runs and repairs, one at a time."""
    global _executor
    with _executor_lock:  # two requests at once must not make two matcher threads
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matcher")
        return _executor


def _in_app_context(app: Flask, run_id: int) -> None:
    with app.app_context():
        started = time.perf_counter()
        execute_run(run_id)
        run = db.session.get(MatcherRun, run_id)
        logging.getLogger("timebank.jobs").info(
            "matcher run %s %s", run_id, run.status if run else "missing",
            extra={"event": "job", "job": "matcher-run", "run_id": run_id, "outcome": run.status if run else None,
                   "duration_ms": round((time.perf_counter() - started) * 1000, 1)})


def rq_job(run_id: int) -> None:
    """Entry point for `rq worker matcher`: builds its own app from the environment."""
    from timebank import create_app

    _in_app_context(create_app(), run_id)


def _progress(run: MatcherRun, percent: int, message: str) -> None:
    run.progress, run.message = percent, message
    db.session.commit()


def execute_run(run_id: int) -> None:
    """Do the run: expire stale proposals, build the market, solve, store proposals. Commits as it goes."""
    run = db.session.get(MatcherRun, run_id)
    if run is None or run.status != "queued":
        return
    run.status, run.started_at = "running", utcnow()
    _progress(run, 5, "Expiring unanswered proposals")
    try:
        exchanges.expire_proposals()
        _progress(run, 15, "Reading open listings")
        # The engine (numpy, SciPy, HiGHS) is loaded by the process that solves, not by every web worker.
        from matching.marketplace import match
        from timebank.matcher.market import build_market

        started = time.perf_counter()
        market = build_market()
        _progress(run, 35, f"Finding the best exchanges among {len(market.listings):,} listings")
        result = match(market, to_policy(run.policy))
        _progress(run, 80, f"Storing {len(result.exchanges)} proposals")
        held = bool(run.policy.get("hold_for_review"))
        created = len(store_proposals(result.exchanges, run_id=run.id, held=held))
        stats = result.stats if isinstance(result.stats, dict) else asdict(result.stats) if is_dataclass(result.stats) else {}
        run.stats = {**_jsonable(stats), "proposals": created, "seconds": round(time.perf_counter() - started, 3),
                     "expected_exchanges": expected_exchanges(result.exchanges)}
        run.status, run.progress, run.finished_at = "done", 100, utcnow()
        run.message = f"Done: {created} proposed exchanges"
        record(None, "matcher.finished", run, run.message, proposals=created)
        if held and created:
            exchanges.tell_coordinators_of_held(run.id, created)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - a failed run is recorded and shown, never lost
        db.session.rollback()
        run = db.session.get(MatcherRun, run_id)
        run.status, run.finished_at = "failed", utcnow()
        run.message = f"Failed: {type(error).__name__}: {error}"[:300]
        run.error = traceback.format_exc()
        record(None, "matcher.failed", run, run.message)
        db.session.commit()
        current_app.logger.exception("Matcher run %s failed", run_id)


def expected_exchanges(proposed: Iterable[ProposedExchange]) -> float:
    """How many of these proposals are expected to go ahead whole: for each, the chance that every
    member accepts (a ring's and a pair's every leg carry it; a chain's last leg, the smallest)."""
    return round(sum(min((leg.chance for leg in ex.legs), default=0.0) for ex in proposed), 3)


# What the engine says of a proposed leg that its Leg row does not keep: the chance that it goes
# ahead (failure-aware matching) is a figure of the run. Any other new field fails loudly here.
NOT_STORED = frozenset({"chance"})


def store_proposal(proposed: ProposedExchange, *, run_id: int | None = None, held: bool = False) -> Exchange:
    """What the matcher proposed as a proposed (or `held`) Exchange, each leg passed whole (its
    description, category and credits are the matcher's, never worked out again here)."""
    legs = [exchanges.LegPlan(**{k: v for k, v in asdict(leg).items() if k not in NOT_STORED}) for leg in proposed.legs]
    return exchanges.create_proposal(proposed.shape, legs, story=proposed.story, score=float(proposed.score),
                                     run_id=run_id, held=held)


def store_proposals(proposals: Iterable[ProposedExchange], *, run_id: int | None = None,
                    held: bool = False) -> list[Exchange]:
    """Store each proposal in a savepoint of its own; one whose listings another transaction took since
    the market was read (a repair and a run, two workers) is skipped, and the log says so."""
    stored = []
    for proposed in proposals:
        try:
            with db.session.begin_nested():
                stored.append(store_proposal(proposed, run_id=run_id, held=held))
        except Conflict as error:
            logging.getLogger("timebank.jobs").warning("a proposal of run %s was skipped: %s", run_id, error,
                                                       extra={"event": "proposal-skipped", "run_id": run_id})
    return stored


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    return str(value)
