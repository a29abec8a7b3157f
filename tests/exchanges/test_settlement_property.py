"""Every approved exchange can finish, and no balance ever passes its limit (hypothesis).

Each example draws members with random limits and balances, and rings, gift chains and pairs
between them with random hours. The coordinator approves each in turn: the service must approve
exactly what the matcher's credit rule allows (each member's shortfall within its room: balance +
limit - what its approved exchanges reserve). Then, in a random order, receivers confirm legs
(as planned, or with other amounts), dispute them, coordinators settle disputes (confirm or
cancel) and take credits away with adjustments (some as if nothing were reserved). Every action runs in its own transaction, as a
request would; a refused one is rolled back. After each: no member is below its limit, the ledger
sums to zero. At the end every exchange still open is driven to its end by confirming what is
left as planned, and none of that may be refused.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from timebank.accounts.models import User
from timebank.errors import DomainError
from timebank.exchanges import services
from timebank.exchanges.models import Exchange, Leg, Party
from timebank.extensions import db
from timebank.ledger import services as ledger
from timebank.ledger.services import NotEnoughCredits
from timebank.members.models import Member

HOURS = st.sampled_from([Decimal(1), Decimal(2), Decimal(3), Decimal("4.5"), Decimal(6), Decimal(10)])
START = datetime(2030, 3, 4, 10, 0)  # the legs' start; actions happen a day later (`now`)
LATER = START + timedelta(days=1)


@st.composite
def markets(draw):
    n = draw(st.integers(3, 6))
    limits = draw(st.lists(st.sampled_from([0, 2, 5, 10, 20]), min_size=n, max_size=n))
    starts = [draw(st.integers(-limit, 15)) for limit in limits]
    exchanges = []
    for _ in range(draw(st.integers(1, 4))):
        shape = draw(st.sampled_from(["cycle", "chain", "pair"]))
        size = {"cycle": draw(st.integers(2, min(4, n))), "chain": draw(st.integers(2, min(4, n))), "pair": 2}[shape]
        members = draw(st.permutations(range(n)))[:size]
        if shape == "cycle":
            legs = [(members[i], members[(i + 1) % size], draw(HOURS)) for i in range(size)]
        else:
            legs = [(members[i], members[i + 1], draw(HOURS)) for i in range(size - 1)]
        exchanges.append((shape, legs))
    actions = draw(st.lists(st.tuples(
        st.sampled_from(["confirm", "confirm", "confirm_other", "dispute", "settle_confirm", "settle_cancel",
                         "adjust", "drain"]),
        st.integers(0, 1000), st.sampled_from([Decimal("0.5"), Decimal(2), Decimal(5), Decimal(12)])),
        max_size=25))
    return limits, starts, exchanges, actions


def _rule_shortfalls(shape, legs):
    """The matcher's credit rule, written out again: rings net, chains and pairs what is received."""
    short = defaultdict(Decimal)
    for i, (giver, receiver, hours) in enumerate(legs):
        credits = Decimal(0) if shape == "chain" and i == 0 else hours
        short[receiver] += credits
        if shape == "cycle":
            short[giver] -= credits
    return {m: v for m, v in short.items() if v > 0}


def test_every_approved_exchange_can_finish_within_every_limit(app, make_user):
    coordinator_id = make_user("coord@settle.example", coordinator=True)
    example = iter(range(1, 100_000))

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
    @given(markets())
    def check(market):
        limits, starts, plans, actions = market
        n = next(example)
        with app.test_request_context():
            coordinator = db.session.get(User, coordinator_id)
            members = [Member(name=f"Example {n} member {i}", type="charity", postcode="L36 9YS", town="Huyton",
                              latitude=53.41, longitude=-2.84, status="active", credit_limit=Decimal(limit),
                              created_at=START - timedelta(days=400))
                       for i, limit in enumerate(limits)]
            db.session.add_all(members)
            db.session.flush()
            for member, balance in zip(members, starts):
                if balance:
                    ledger.adjust(member, balance, "Starting balance for the example", coordinator)
            db.session.commit()
            ids = [m.id for m in members]

            # The coordinator approves each exchange in turn; the service approves what the rule allows.
            room = {m.id: Decimal(start + limit) for m, start, limit in zip(members, starts, limits)}
            approved = []
            for shape, legs in plans:
                exchange = Exchange(shape=shape, status="accepted", story="example")
                exchange.parties = [Party(member_id=ids[m], status="accepted")
                                    for m in dict.fromkeys(x for leg in legs for x in leg[:2])]
                exchange.legs = [Leg(position=i, giver_member_id=ids[g], receiver_member_id=ids[r], kind="time",
                                     description=f"{h} hours", hours=h, is_gift=shape == "chain" and i == 0)
                                 for i, (g, r, h) in enumerate(legs)]
                db.session.add(exchange)
                db.session.commit()
                short = {ids[m]: v for m, v in _rule_shortfalls(shape, legs).items()}
                allowed = all(v <= room[m] for m, v in short.items())
                try:
                    services.approve(exchange, coordinator, {leg.id: (START, START + timedelta(hours=2))
                                                             for leg in exchange.legs},
                                     override_reason="Example market", now=START - timedelta(days=1))
                except NotEnoughCredits:
                    db.session.rollback()
                    assert not allowed, f"refused an exchange the rule allows: {shape} {legs}"
                else:
                    db.session.commit()
                    assert allowed, f"approved an exchange the rule refuses: {shape} {legs}"
                    for m, v in short.items():
                        room[m] -= v
                    approved.append(exchange.id)

            def legs_in(statuses):
                return db.session.scalars(select(Leg).where(Leg.exchange_id.in_(approved), Leg.status.in_(statuses))
                                          .order_by(Leg.id)).all()

            def check_limits():
                balances = ledger.balances(ids)
                for member in members:
                    assert balances[member.id] >= -member.credit_limit, (member.name, balances[member.id])
                assert ledger.check_ledger().ok

            for action, pick, amount in actions:
                open_legs = legs_in(("scheduled",))
                disputed = legs_in(("disputed",))
                try:
                    if action in ("confirm", "confirm_other", "dispute") and open_legs:
                        leg = open_legs[pick % len(open_legs)]
                        if action == "dispute":
                            services.dispute_leg(leg, coordinator, "Not as agreed", now=LATER)
                        else:
                            hours = leg.hours if action == "confirm" else amount
                            services.confirm_leg(leg, coordinator, actual_hours=hours, now=LATER)
                    elif action.startswith("settle") and disputed:
                        leg = disputed[pick % len(disputed)]
                        services.settle_dispute(leg, coordinator, outcome=action.removeprefix("settle_"),
                                                note="Heard both sides", actual_hours=amount, now=LATER)
                    elif action == "adjust":
                        ledger.adjust(members[pick % len(members)], -amount, "Taken back", coordinator)
                    elif action == "drain":  # everything down to the limit, as if nothing were reserved
                        member = members[pick % len(members)]
                        spendable = ledger.balance(member) + member.credit_limit
                        if spendable > 0:
                            ledger.adjust(member, -spendable, "Taken back", coordinator)
                    db.session.commit()
                except DomainError:
                    db.session.rollback()
                check_limits()

            # Every exchange still open can finish: what is left is confirmed as planned, never refused.
            for leg in legs_in(("scheduled",)):
                services.confirm_leg(leg, coordinator, actual_hours=leg.hours, now=LATER)
                db.session.commit()
            for leg in legs_in(("disputed",)):
                services.settle_dispute(leg, coordinator, outcome="confirm", note="Agreed as planned",
                                        actual_hours=leg.hours, now=LATER)
                db.session.commit()
            check_limits()
            for exchange_id in approved:
                assert db.session.get(Exchange, exchange_id).status in ("completed", "cancelled")
            # Nothing is left reserved once every exchange has finished.
            assert not any(ledger.room(members)[m.id] != ledger.balance(m) + m.credit_limit for m in members)
            db.session.commit()

    check()
