"""Two coordinators approving at once, two confirmations of one leg at once: one wins, nothing doubles.

Uses the ledger tests' overlapping runner: on PostgreSQL the second transaction really runs while
the first holds its row locks; on SQLite (one writer at a time) it runs right after.
"""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.races import run_overlapping
from timebank.accounts.services import find_user
from timebank.audit.models import AuditEvent
from timebank.db import today
from timebank.errors import Conflict
from timebank.exchanges import services
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
from timebank.ledger.models import LedgerEntry
from timebank.members.models import Member


def _accept_all(app, ring, exchange_id):
    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        for email, member_id in zip(ring["admins"], ring["members"]):
            services.respond(exchange, db.session.get(Member, member_id), find_user(email), accept=True)
        db.session.commit()


def _schedule(exchange):
    start = datetime.combine(today() + timedelta(days=2), datetime.min.time()).replace(hour=10)
    return {leg.id: (start, start + timedelta(hours=2)) for leg in exchange.legs}


def test_two_coordinators_approving_at_once_approve_once(app, ring, propose_ring, make_user):
    exchange_id = propose_ring()
    _accept_all(app, ring, exchange_id)
    make_user("second.coord@ring.example", coordinator=True)

    def approve_as(email):
        def action():
            exchange = db.session.get(Exchange, exchange_id)
            return services.approve(exchange, find_user(email), _schedule(exchange)).status
        return action

    one, two = run_overlapping(app, approve_as(ring["coordinator"]), approve_as("second.coord@ring.example"))
    # One approves; the other is refused as a conflict: "already approved" when it read the exchange
    # after the winner committed, or a ConcurrentChange (a Conflict) when both read it first.
    assert sorted(w.result for w in (one, two) if not w.error) == ["scheduled"]
    loser = one if one.error else two
    assert isinstance(loser.error, Conflict)
    with app.app_context():
        approvals = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "exchange.approved", AuditEvent.subject_id == exchange_id))
        assert approvals == 1
        assert db.session.get(Exchange, exchange_id).status == "scheduled"


def test_two_confirmations_of_a_rings_last_leg_settle_it_once(app, ring, propose_ring):
    """The last confirmation settles the whole ring; confirming it twice at once posts each leg once."""
    exchange_id = propose_ring()
    _accept_all(app, ring, exchange_id)
    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        services.approve(exchange, find_user(ring["coordinator"]), _schedule(exchange))
        db.session.commit()
        started = exchange.legs[0].scheduled_start + timedelta(hours=1)
        receivers = [(leg.id, ring["admins"][ring["members"].index(leg.receiver_member_id)]) for leg in exchange.legs]
        for leg_id, email in receivers[:2]:
            services.confirm_leg(db.session.get(Leg, leg_id), find_user(email), actual_hours=Decimal(2), now=started)
        db.session.commit()
    leg_id, receiver_email = receivers[2]

    def confirm():
        leg = db.session.get(Leg, leg_id)
        return services.confirm_leg(leg, find_user(receiver_email), actual_hours=Decimal(2), actual_people=1,
                                    now=started).status

    one, two = run_overlapping(app, confirm, confirm)
    # The second either sees the leg already confirmed (and does nothing) or loses the race cleanly.
    for worker in (one, two):
        assert worker.error is None or isinstance(worker.error, Conflict), worker.error
    assert "confirmed" in (one.result, two.result)
    with app.app_context():
        for each, _ in receivers:
            entries = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.leg_id == each))
            assert entries == 1
        assert db.session.get(Exchange, exchange_id).status == "completed"


def test_two_answers_at_once_one_wins_and_the_other_is_told_to_look_again(app, ring, propose_ring):
    """B declines from what it read before A's decline committed: B's answer is a clear Conflict
    (409 from the API, a message beside the form on the web), not a lost race escaping from an
    autoflush as a 500, and A's answer stands."""
    exchange_id = propose_ring()
    with app.test_request_context():  # B reads the exchange ...
        exchange = db.session.get(Exchange, exchange_id)
        member_b, admin_b = db.session.get(Member, ring["members"][1]), find_user(ring["admins"][1])
        assert [p.status for p in exchange.parties] == ["pending"] * 3
        with app.app_context(), app.test_request_context():  # ... A answers and commits in its own session ...
            services.respond(db.session.get(Exchange, exchange_id), db.session.get(Member, ring["members"][0]),
                             find_user(ring["admins"][0]), accept=False, reason="We have found a bookkeeper")
            db.session.commit()
        with pytest.raises(Conflict, match="Someone else changed this exchange at the same moment"):
            services.respond(exchange, member_b, admin_b, accept=False, reason="Our needs have changed")
        db.session.rollback()
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "voided" and "We have found a bookkeeper" in exchange.decision_reason
        assert [p.status for p in exchange.parties] == ["declined", "pending", "pending"]


def test_the_last_two_answers_at_once_cannot_leave_an_accepted_exchange_waiting(app, ring, propose_ring):
    """Each of the last two members reads the other as still pending: without a claim on the
    exchange both would save, and nobody would mark it accepted."""
    exchange_id = propose_ring()
    with app.test_request_context():
        services.respond(db.session.get(Exchange, exchange_id), db.session.get(Member, ring["members"][0]),
                         find_user(ring["admins"][0]), accept=True)
        db.session.commit()
    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        member_c, admin_c = db.session.get(Member, ring["members"][2]), find_user(ring["admins"][2])
        assert [p.status for p in exchange.parties] == ["accepted", "pending", "pending"]
        with app.app_context(), app.test_request_context():  # its own session
            services.respond(db.session.get(Exchange, exchange_id), db.session.get(Member, ring["members"][1]),
                             find_user(ring["admins"][1]), accept=True)
            db.session.commit()
        with pytest.raises(Conflict):
            services.respond(exchange, member_c, admin_c, accept=True)
        db.session.rollback()
        services.respond(db.session.get(Exchange, exchange_id), member_c, admin_c, accept=True)  # again: it works
        db.session.commit()
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "accepted"


def test_two_proposals_of_one_listing_at_once_promise_it_once(app, ring):
    """A repair and a matcher run (or two workers) storing proposals that share a listing a decline just
    reopened: one is stored, the other is refused as a conflict, and the listing is in one live exchange."""
    from decimal import Decimal

    from timebank.exchanges.models import LIVE_EXCHANGE_STATUSES
    from timebank.listings.models import Listing

    m, o, n = ring["members"], ring["offers"], ring["needs"]

    def propose(receiver):  # member 0's offer, to member 1 or to member 2
        def action():
            plan = services.LegPlan(giver_member_id=m[0], receiver_member_id=m[receiver], kind="skill",
                                    hours=Decimal(3), offer_id=o[0], need_id=n[receiver], score=10, reason="Close by")
            return services.create_proposal("pair", [plan], story="A helps B.", score=10).id
        return action

    one, two = run_overlapping(app, propose(1), propose(2))
    assert len([w for w in (one, two) if w.error is None]) == 1
    loser = one if one.error else two
    assert isinstance(loser.error, Conflict), loser.error
    with app.app_context():
        live = db.session.scalars(select(Leg).join(Exchange).where(
            Leg.offer_listing_id == o[0], Exchange.status.in_(LIVE_EXCHANGE_STATUSES))).all()
        assert len(live) == 1
        assert db.session.get(Listing, o[0]).status == "matched"


def test_a_run_that_meets_a_listing_another_just_took_skips_that_proposal_and_finishes(app, ring):
    """A matcher run solved while another transaction (a repair) was taking one of its listings: the run
    stores what it still can and finishes, rather than failing, and no listing is in two live exchanges."""
    from decimal import Decimal

    from timebank.exchanges.models import LIVE_EXCHANGE_STATUSES
    from timebank.matcher import runs
    from timebank.matcher.models import MatcherRun

    m, o, n = ring["members"], ring["offers"], ring["needs"]
    with app.test_request_context():
        run_id = runs.start_run(find_user(ring["coordinator"]), {}).id
        db.session.commit()

    def take():  # member 0's offer to member 1's need, as a repair would
        plan = services.LegPlan(giver_member_id=m[0], receiver_member_id=m[1], kind="skill", hours=Decimal(3),
                                offer_id=o[0], need_id=n[1], score=10, reason="Close by")
        return services.create_proposal("pair", [plan], story="A helps B.", score=10).id

    one, two = run_overlapping(app, take, lambda: runs.execute_run(run_id))
    assert one.error is None and two.error is None, (one.error, two.error)
    with app.app_context():
        run = db.session.get(MatcherRun, run_id)
        assert run.status == "done", run.message
        used = [i for row in db.session.execute(select(Leg.offer_listing_id, Leg.need_listing_id).join(Exchange)
                                                .where(Exchange.status.in_(LIVE_EXCHANGE_STATUSES)))
                for i in row if i is not None]
        assert o[0] in used and len(used) == len(set(used))
