"""A three-member ring, ready to propose: A gives to B, B to C, C to A."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from timebank.db import today


@pytest.fixture()
def ring(app, make_member, make_listing, categories, make_user):
    """Returns dict(members=[ids], admins=[emails], offers=[ids], needs=[ids], coordinator=email)."""
    names = ["Kirkby Food Bank", "Halewood Youth Club", "Prescot Seniors"]
    members, admins, offers, needs = [], [], [], []
    for i, name in enumerate(names):
        email = f"admin{i}@ring.example"
        member_id, user_id = make_member(name, admin_email=email)
        members.append(member_id)
        admins.append(email)
        offers.append(make_listing(member_id, user_id, direction="offer", kind="skill",
                                   category_id=categories["bookkeeping"], title=f"{name} offers bookkeeping",
                                   quantity=Decimal(3)))
        needs.append(make_listing(member_id, user_id, direction="need", kind="skill",
                                  category_id=categories["bookkeeping"], title=f"{name} needs bookkeeping",
                                  quantity=Decimal(3)))
    make_user("coord@ring.example", coordinator=True)
    return {"members": members, "admins": admins, "offers": offers, "needs": needs,
            "coordinator": "coord@ring.example"}


@pytest.fixture()
def propose_ring(app, ring):
    """Store the ring as a proposal through the service; returns the exchange id."""
    from timebank.exchanges.services import LegPlan, create_proposal
    from timebank.extensions import db

    def propose():
        m, o, n = ring["members"], ring["offers"], ring["needs"]
        legs = [LegPlan(giver_member_id=m[i], receiver_member_id=m[(i + 1) % 3], kind="skill", hours=Decimal(3),
                        offer_id=o[i], need_id=n[(i + 1) % 3], score=10, reason="Same category, close by")
                for i in range(3)]
        with app.test_request_context():
            exchange = create_proposal("cycle", legs, story="A helps B, B helps C, C helps A.", score=30)
            db.session.commit()
            return exchange.id

    return propose


def after_start(days: int = 4):
    """The clock moved past the legs that schedule_data schedules (3 days from now), for confirming."""
    import time_machine

    return time_machine.travel(datetime.now() + timedelta(days=days), tick=True)


def schedule_data(app, exchange_id):
    from timebank.exchanges.models import Exchange
    from timebank.extensions import db

    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        data = {}
        for leg in exchange.legs:
            data[f"start_{leg.id}"] = start.strftime("%Y-%m-%dT%H:%M")
            data[f"end_{leg.id}"] = (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
        return data


@pytest.fixture()
def pair(app, make_member, make_listing, make_user):
    """A food bank that needs help, a firm that offers bookkeeping, and a coordinator."""
    food, food_admin = make_member("Kirkby Food Bank", admin_email="food@direct.example")
    firm, firm_admin = make_member("Prescot Accountants", admin_email="firm@direct.example", type="business")
    offer = make_listing(firm, firm_admin, direction="offer", title="Bookkeeping for charities", quantity=Decimal(6))
    need = make_listing(food, food_admin, direction="need", title="Someone to check our accounts")
    make_user("coord@direct.example", coordinator=True)
    return {"food": food, "firm": firm, "offer": offer, "need": need}
