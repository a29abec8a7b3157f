"""Compliance counts people: a need for six DBS-checked volunteers is met only by checks that cover six."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from timebank.accounts.models import User
from timebank.db import today
from timebank.errors import DomainError
from timebank.exchanges import services
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.members.models import Member
from timebank.members.compliance import add_compliance_record


def test_approval_checks_that_the_givers_dbs_records_cover_every_person_on_the_leg(
        app, make_member, make_listing, make_user, categories):
    giver, giver_admin = make_member("Huyton Scouts")
    receiver, receiver_admin = make_member("Kirkby Youth Club")
    offer = make_listing(giver, giver_admin, direction="offer", kind="time", category_id=categories["bookkeeping"],
                         title="Six stewards", quantity=Decimal(2), people=6)
    need = make_listing(receiver, receiver_admin, kind="time", category_id=categories["bookkeeping"],
                        title="Stewards for our youth event", quantity=Decimal(2), people=6, min_dbs_level="enhanced")
    coordinator_id = make_user("coord@example.org", coordinator=True)
    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    with app.test_request_context():
        # 1.5 hours x 6 people: 9 credits, within the receiver's limit of 10 (approval reserves them).
        exchange = services.create_proposal("pair", [services.LegPlan(
            giver_member_id=giver, receiver_member_id=receiver, kind="time", hours=Decimal("1.5"), people=6,
            offer_id=offer, need_id=need)], story="Huyton Scouts steward Kirkby Youth Club's event.")
        for member_id, user_id in ((giver, giver_admin), (receiver, receiver_admin)):
            services.respond(exchange, db.session.get(Member, member_id), db.session.get(User, user_id), accept=True)
        add_compliance_record(db.session.get(Member, giver), db.session.get(User, giver_admin), kind="dbs",
                              holder="Scout leader", people=1, dbs_level="enhanced", issued_on=today())
        db.session.commit()
        exchange_id, leg_id = exchange.id, exchange.legs[0].id

    def approve():
        with app.test_request_context():
            exchange = db.session.get(Exchange, exchange_id)
            services.approve(exchange, db.session.get(User, coordinator_id),
                             {leg_id: (start, start + timedelta(hours=2))})
            db.session.commit()
            return exchange.status

    with pytest.raises(DomainError, match=r"Part 1: Huyton Scouts' DBS checks at enhanced level or above cover "
                                          r"1 person on .*; 6 are needed") as refused:
        approve()
    assert refused.value.field == f"leg-{leg_id}"
    with app.test_request_context():
        add_compliance_record(db.session.get(Member, giver), db.session.get(User, giver_admin), kind="dbs",
                              holder="Young leaders", people=5, dbs_level="enhanced_barred", issued_on=today())
        db.session.commit()
    assert approve() == "scheduled"
