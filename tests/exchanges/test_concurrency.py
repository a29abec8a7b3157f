"""Two coordinators approving at once, two confirmations of one leg at once: one wins, nothing doubles.

Uses the ledger tests' overlapping runner: on PostgreSQL the second transaction really runs while
the first holds its row locks; on SQLite (one writer at a time) it runs right after.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.ledger.test_concurrency import run_overlapping
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
