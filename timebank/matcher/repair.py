"""Repair on decline: when a member declines its part of a ring, chain or pair the matcher proposed,
propose at once what the others can still do without it, instead of leaving them with nothing.

`exchanges.services.respond` sends `declined`, which calls `after_decline` (web and API declines alike), once the declined
exchange is voided and its listings are open again. Building a borough's market takes seconds
(3.5 s at 100,000 listings) and the search up to REPAIR_TIME_LIMIT more, so the repair is not done
inside the member's request: once the decline is committed it is handed to the matcher's queue
(REPAIR_QUEUE, else MATCHER_QUEUE: the web process's matcher thread, or an RQ worker), where
`repair_job` calls `propose_repairs` in a transaction of its own, after any matcher run queued
before it. Under "inline" (the test suite's setting) it is done at once in the decline's own
transaction. If the queue cannot take it (Redis down), the decline stands and the log says which
repair was lost. It builds the market as a run does (with the
learned acceptance model) and asks the matching library's `repair` for the best of: the remaining
members' listings alone (a ring of four closing as a ring of three, pairs, a chain cut before the
member who declined) and the same with one replacement member. Each is an ordinary match on a
small market, so every requirement holds (categories, windows, places, DBS cover, insurance,
assets); no listing promised to another live exchange is used; and the credit rule counts what
each member is already short in its other proposals not yet approved (approved ones are taken out
of its balance by `build_market`). What it finds is stored by `create_proposal`, as a run's
proposals are: the members are told and answer, and a coordinator approves it as usual; when the
declined exchange's run held its proposals for review, the repair is held too and the coordinators
are told it waits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import logging
import time

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, selectinload

from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.exchanges import services as exchanges
from timebank.exchanges.models import Exchange
from timebank.exchanges.settlement import shortfalls
from timebank.extensions import db
from timebank.matcher import runs
from timebank.matcher.models import MatcherRun
from timebank.members.models import Member

# The shapes a repair is looked for after (a direct ask is between two members who chose each other).
REPAIRED_SHAPES = ("cycle", "chain", "pair")
# Live proposals whose credits are not yet reserved out of a member's balance (docs/ledger.md).
NOT_YET_RESERVED = ("held", "proposed", "accepted")
_HELD = "timebank.repairs_after_commit"
log = logging.getLogger("timebank.jobs")


@exchanges.declined.connect
def _on_decline(exchange: Exchange, *, member: Member, actor: User | None) -> None:
    after_decline(exchange, member, actor)


def after_decline(exchange: Exchange, declined: Member, actor: User | None) -> None:
    """Repair `exchange` (just voided by `declined`'s decline): at once under MATCHER_QUEUE=inline,
    else on the matcher's queue once the decline is committed (never if it is rolled back)."""
    if exchange.shape not in REPAIRED_SHAPES or exchange.is_direct:
        return
    if _queue(current_app) == "inline":
        propose_repairs(exchange, declined, actor)
        return
    held = db.session().info.setdefault(_HELD, [])
    held.append((current_app._get_current_object(), exchange.id, declined.id, actor.id if actor else None))


def _queue(app: Flask) -> str:
    return app.config.get("REPAIR_QUEUE") or app.config.get("MATCHER_QUEUE", "thread")


@event.listens_for(Session, "after_commit")
def _dispatch_held(session: Session) -> None:
    for app, *ids in session.info.pop(_HELD, []):
        # The decline is committed: whatever goes wrong here must not reach the member as an error (it
        # would escape session.commit()). The repair is lost, and the log says which.
        try:
            if _queue(app) == "rq":
                from redis import Redis
                from rq import Queue

                Queue("matcher", connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
                    "timebank.matcher.repair.rq_job", *ids, job_timeout=app.config.get("MATCHER_JOB_TIMEOUT", 1800))
            else:
                runs.background().submit(_in_app_context, app, *ids)
        except Exception:  # noqa: BLE001 - Redis down, or the thread pool shut: the decline stands
            log.exception("repair of exchange %s could not be queued", ids[0],
                          extra={"event": "job", "job": "repair", "exchange_id": ids[0], "outcome": "not queued"})


@event.listens_for(Session, "after_transaction_end")
def _drop_held(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:  # rolled back or closed: no repair
        session.info.pop(_HELD, None)


def repair_job(exchange_id: int, declined_id: int, actor_id: int | None) -> list[int]:
    """The queue's work: propose what the others can still do, and commit it; the ids proposed."""
    exchange = db.session.get(Exchange, exchange_id)
    declined = db.session.get(Member, declined_id)
    actor = db.session.get(User, actor_id) if actor_id else None
    if exchange is None or declined is None:
        return []
    made = [proposal.id for proposal in propose_repairs(exchange, declined, actor)]
    db.session.commit()
    return made


def _in_app_context(app: Flask, exchange_id: int, declined_id: int, actor_id: int | None) -> None:
    with app.app_context():
        started, outcome = time.perf_counter(), "failed"
        try:
            made = repair_job(exchange_id, declined_id, actor_id)
            outcome = f"{len(made)} proposed"
        except Exception:  # a failed repair leaves the decline as it was; the log says why
            db.session.rollback()
            log.exception("repair of exchange %s failed", exchange_id)
        log.info("repair of exchange %s: %s", exchange_id, outcome,
                 extra={"event": "job", "job": "repair", "exchange_id": exchange_id, "outcome": outcome,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1)})


def rq_job(exchange_id: int, declined_id: int, actor_id: int | None) -> None:
    """Entry point for `rq worker matcher`: builds its own app from the environment."""
    from timebank import create_app

    _in_app_context(create_app(), exchange_id, declined_id, actor_id)


def propose_repairs(exchange: Exchange, declined: Member, actor: User | None = None) -> list[Exchange]:
    """The exchanges proposed at once to the members still in `exchange`, which `declined` declined
    (it is voided already); none when nothing valid is left. Flushes; commits nothing."""
    if exchange.shape not in REPAIRED_SHAPES or exchange.is_direct or exchange.status != "voided":
        return []
    from matching.marketplace import ProposedExchange, ProposedLeg
    from matching.marketplace.repair import repair
    from timebank.matcher.market import build_market

    run = db.session.get(MatcherRun, exchange.run_id) if exchange.run_id else None
    policy = replace(runs.to_policy(run.policy if run is not None and run.policy else runs.current_policy()),
                     report_cycle_lengths=(), time_limit=current_app.config["REPAIR_TIME_LIMIT"])
    market = build_market()
    was = ProposedExchange(exchange.shape, tuple(ProposedLeg(
        offer_id=leg.offer_listing_id, need_id=leg.need_listing_id, giver_member_id=leg.giver_member_id,
        receiver_member_id=leg.receiver_member_id, kind=leg.kind, category_id=leg.category_id, hours=leg.hours,
        people=leg.people, is_gift=leg.is_gift, score=int(leg.score), reason=leg.reason, credits=leg.credits,
        description=leg.description) for leg in exchange.legs if leg.offer_listing_id and leg.need_listing_id),
        int(exchange.score), exchange.story)
    found = repair(market, was, declined.id, policy, reserved=_short_elsewhere(),
                   max_replacements=current_app.config["REPAIR_MAX_REPLACEMENTS"])
    # A run whose policy says "review first" holds its repairs too, as it held its own proposals.
    held = bool(run is not None and run.policy and run.policy.get("hold_for_review"))
    why = f"Proposed at once when {declined.name} declined {exchanges.title(exchange)}. "
    made = runs.store_proposals([replace(proposed, story=why + proposed.story) for proposed in found],
                                run_id=exchange.run_id, held=held)
    if made:
        record(actor, "exchange.repaired", exchange,
               f"{len(made)} smaller exchange{'' if len(made) == 1 else 's'} proposed at once without {declined.name}",
               member_id=declined.id, proposed=[e.id for e in made], held=held)
        if held:
            exchanges.tell_coordinators_of_repair_held(exchange, declined, len(made))
    return made


def _short_elsewhere() -> dict[int, Decimal]:
    """{member id: credits it is short, by the credit rule, in its live proposals not yet approved}."""
    short: dict[int, Decimal] = defaultdict(Decimal)
    query = (select(Exchange).where(Exchange.status.in_(NOT_YET_RESERVED)).options(selectinload(Exchange.legs)))
    for other in db.session.scalars(query):
        for member_id, amount in shortfalls(other.shape, other.legs).items():
            short[member_id] += amount
    return short
