"""Members A, B and C, a coordinator, and three programmes, funds and grants:

- GRANT (a grant A is part of), OPEN (a programme open to every member), C-ONLY (a fund C is part of);
- an exchange between A and C (A helps C), and a listing of A and one of C.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest


@dataclass
class Funding:
    a: int
    b: int
    c: int
    admin_a: str
    admin_b: str
    admin_c: str
    coordinator: str
    grant: int
    open: int
    c_only: int
    exchange: int
    listing_a: int
    listing_c: int


@pytest.fixture()
def funding(app, make_member, make_user, make_listing):
    from timebank.accounts.models import User
    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.extensions import db
    from timebank.funding import services
    from timebank.members.models import Member

    a, admin_a = make_member("Kirkby Food Bank", admin_email="admin@a.example")
    b, admin_b = make_member("Halewood Youth Club", admin_email="admin@b.example")
    c, admin_c = make_member("Prescot Seniors", admin_email="admin@c.example")
    make_user("coord@funding.example", coordinator=True)
    listing_a = make_listing(a, admin_a, title="Volunteers for the food bank", direction="need", kind="time")
    listing_c = make_listing(c, admin_c, title="Help with our accounts")
    with app.test_request_context():
        coordinator = db.session.scalar(db.select(User).where(User.email == "coord@funding.example"))
        grant = services.create_tag(coordinator, code="nlcf-food-26", name="Food resilience in Kirkby", kind="grant",
                                    funder="The National Lottery Community Fund", starts_on=date(2026, 4, 1),
                                    ends_on=date(2027, 3, 31), open_to_all=False)
        services.add_member(grant, coordinator, db.session.get(Member, a))
        open_ = services.create_tag(coordinator, code="KVW-26", name="Knowsley Volunteers' Week", kind="programme",
                                    funder="Knowsley Council", starts_on=date(2026, 6, 1), ends_on=None,
                                    open_to_all=True)
        c_only = services.create_tag(coordinator, code="C-ONLY", name="Seniors' fund", kind="fund",
                                     funder="A trust", starts_on=date(2026, 1, 1), ends_on=None, open_to_all=False)
        services.add_member(c_only, coordinator, db.session.get(Member, c))
        exchange = Exchange(shape="direct", status="completed", story="A helps C")
        exchange.parties = [Party(member_id=a, status="accepted"), Party(member_id=c, status="accepted")]
        exchange.legs = [Leg(position=0, giver_member_id=a, receiver_member_id=c, kind="time", description="Lunch club",
                             hours=Decimal(2), people=1, status="confirmed")]
        db.session.add(exchange)
        db.session.commit()
        return Funding(a, b, c, "admin@a.example", "admin@b.example", "admin@c.example", "coord@funding.example",
                       grant.id, open_.id, c_only.id, exchange.id, listing_a, listing_c)
