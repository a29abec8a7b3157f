"""After approval: reschedule, cancel an exchange or one part, withdraw, ask for a change, and a
dispute where both sides are heard. On the web pages; tests/api covers the same services' routes."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.exchanges.conftest import after_start, schedule_data
from timebank.audit.models import AuditEvent
from timebank.bookings.models import Booking
from timebank.db import today
from timebank.exchanges.models import ChangeRequest, Exchange, Leg
from timebank.extensions import db
from timebank.ledger.models import LedgerEntry
from timebank.listings.models import Listing


def _approved_ring(app, client, auth, ring, propose_ring):
    exchange_id = propose_ring()
    for email, member_id in zip(ring["admins"], ring["members"]):
        auth.login(email)
        client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": member_id, "answer": "accept"})
        auth.logout()
    auth.login(ring["coordinator"])
    client.post(f"/exchanges/{exchange_id}/approve", data=schedule_data(app, exchange_id))
    auth.logout()
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "scheduled"
        legs = [(leg.id, leg.giver_member_id, leg.receiver_member_id)
                for leg in db.session.get(Exchange, exchange_id).legs]
    return exchange_id, legs


def _events(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_a_coordinator_reschedules_a_part_and_everyone_is_told_why(app, client, auth, ring, propose_ring, mailbox):
    exchange_id, legs = _approved_ring(app, client, auth, ring, propose_ring)
    leg_id = legs[0][0]
    auth.login(ring["coordinator"])
    page = client.get(f"/exchanges/{exchange_id}/reschedule").data.decode()
    assert "Reschedule exchange" in page and "Both can do" in page
    new_start = datetime.combine(today() + timedelta(days=9), datetime.min.time()).replace(hour=10)
    data = {f"start_{leg_id}": new_start.strftime("%Y-%m-%dT%H:%M"),
            f"end_{leg_id}": (new_start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")}
    for other, _, _ in legs[1:]:
        data[f"start_{other}"] = schedule_data(app, exchange_id)[f"start_{other}"]
        data[f"end_{other}"] = schedule_data(app, exchange_id)[f"end_{other}"]
    no_reason = client.post(f"/exchanges/{exchange_id}/reschedule", data=data).data.decode()
    assert "Enter the reason, which everyone in the exchange will see" in no_reason
    past = dict(data, reason="Room flooded", **{f"start_{leg_id}": "2020-01-06T10:00"})
    assert "the start is in the past" in client.post(f"/exchanges/{exchange_id}/reschedule", data=past).data.decode()
    outside = dict(data, reason="Room flooded", **{
        f"start_{leg_id}": (today() + timedelta(days=200)).strftime("%Y-%m-%dT10:00"),
        f"end_{leg_id}": (today() + timedelta(days=200)).strftime("%Y-%m-%dT12:00")})
    refused = client.post(f"/exchanges/{exchange_id}/reschedule", data=outside).data.decode()
    assert "are both available" in refused and "give a reason to schedule outside it" in refused
    before = len(mailbox.messages)
    done = client.post(f"/exchanges/{exchange_id}/reschedule", data=dict(data, reason="Room flooded"),
                       follow_redirects=True).data.decode()
    assert "is rescheduled" in done
    with app.app_context():
        assert db.session.get(Leg, leg_id).scheduled_start == new_start
    told = {m["To"] for m in mailbox.messages[before:]}
    assert all(any(email in to for to in told) for email in ring["admins"])
    body = mailbox.body(mailbox.to(ring["admins"][0])[-1])
    assert "Room flooded" in body and f"/exchanges/{exchange_id}" in body and f"Exchange ring {exchange_id}" in body
    assert _events(app, "exchange.rescheduled")


def test_a_party_asks_for_a_change_then_withdraws_and_the_exchange_is_off(app, client, auth, ring, propose_ring,
                                                                          mailbox):
    exchange_id, legs = _approved_ring(app, client, auth, ring, propose_ring)
    auth.login(ring["admins"][1])
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "Ask for a change" in page and "Withdraw" in page
    client.post(f"/exchanges/{exchange_id}/change", data={"member_id": ring["members"][1], "leg_id": 0,
                                                          "reason": "Can we move to the following week?"})
    with app.app_context():
        assert db.session.scalar(select(ChangeRequest.reason)) == "Can we move to the following week?"
    assert any("Can we move to the following week?" in mailbox.body(m) for m in mailbox.to(ring["coordinator"]))
    empty = client.post(f"/exchanges/{exchange_id}/withdraw", data={"member_id": ring["members"][1], "reason": ""})
    assert "Enter the reason" in empty.data.decode()
    client.post(f"/exchanges/{exchange_id}/withdraw", data={"member_id": ring["members"][1],
                                                            "reason": "Our volunteer has left"})
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "cancelled" and "Our volunteer has left" in exchange.decision_reason
        assert {leg.status for leg in exchange.legs} == {"cancelled"}
        assert {l.status for l in db.session.scalars(select(Listing))} == {"open"}
    assert any("Our volunteer has left" in mailbox.body(m) for m in mailbox.to(ring["admins"][0]))
    assert _events(app, "exchange.withdrawn")


def test_a_dispute_hears_both_sides_and_both_see_how_it_was_settled(app, client, auth, ring, propose_ring, mailbox):
    exchange_id, legs = _approved_ring(app, client, auth, ring, propose_ring)
    leg_id, giver, receiver = legs[0]
    giver_email, receiver_email = (ring["admins"][ring["members"].index(m)] for m in (giver, receiver))
    auth.login(receiver_email)
    early = client.post(f"/legs/{leg_id}/dispute", data={"reason": "Nobody came"}, follow_redirects=True)
    assert "it can be disputed once it has started" in early.data.decode()
    with after_start():
        auth.login(receiver_email)  # days later: a new session
        disputed = client.post(f"/legs/{leg_id}/dispute", data={"reason": "Only half the work was done"},
                               follow_redirects=True)
        assert "A coordinator has been told" in disputed.data.decode(), disputed.data.decode()[-3000:]
        auth.logout()
        asked = mailbox.to(giver_email)[-1]
        assert "Give your side" in mailbox.body(asked) and f"/legs/{leg_id}/side" in mailbox.body(asked)
        auth.login(giver_email)
        assert "Give your side" in client.get(f"/exchanges/{exchange_id}").data.decode()
        assert "Say what happened from your side" in client.post(f"/legs/{leg_id}/side", data={"side": " "}).data.decode()
        client.post(f"/legs/{leg_id}/side", data={"side": "We did all three hours; the files were missing"})
        auth.logout()
        auth.login(ring["coordinator"])
        settle = client.get(f"/legs/{leg_id}/settle").data.decode()
        assert "Only half the work was done" in settle and "We did all three hours; the files were missing" in settle
        client.post(f"/legs/{leg_id}/settle", data={"outcome": "confirm", "actual_hours": "2", "actual_people": "1",
                                                    "note": "Agreed two hours with both"})
        auth.logout()
    for email in (giver_email, receiver_email):
        auth.login(email)
        page = client.get(f"/exchanges/{exchange_id}").data.decode()
        assert "Agreed two hours with both" in page and "We did all three hours" in page
        auth.logout()
        assert any("Agreed two hours with both" in mailbox.body(m) for m in mailbox.to(email))


def test_cancelling_a_confirmed_part_reverses_its_credits_with_the_reason(app, make_member, make_user):
    from timebank.accounts.models import User
    from timebank.errors import DomainError
    from timebank.exchanges import services
    from timebank.exchanges.services import LegPlan, create_proposal
    from timebank.ledger.services import balance
    from timebank.members.models import Member

    made = [make_member(name) for name in ("Giver Trust", "Middle Group", "Last Group")]
    ids = [member_id for member_id, _ in made]
    coordinator_id = make_user("coord@chain.example", coordinator=True)
    start = datetime.combine(today() + timedelta(days=2), datetime.min.time()).replace(hour=10)
    with app.test_request_context():
        coordinator = db.session.get(User, coordinator_id)
        exchange = create_proposal("chain", [
            LegPlan(giver_member_id=ids[0], receiver_member_id=ids[1], kind="time", hours=Decimal(3), people=2),
            LegPlan(giver_member_id=ids[1], receiver_member_id=ids[2], kind="time", hours=Decimal(2))],
            story="A chain")
        for member_id, user_id in made:
            services.respond(exchange, db.session.get(Member, member_id), db.session.get(User, user_id), accept=True)
        services.approve(exchange, coordinator, {leg.id: (start, start + timedelta(hours=3)) for leg in exchange.legs})
        first = exchange.legs[0]
        services.confirm_leg(first, db.session.get(User, made[1][1]), actual_hours=Decimal(3), actual_people=2,
                             now=start + timedelta(hours=4))
        db.session.commit()
        giver, middle = db.session.get(Member, ids[0]), db.session.get(Member, ids[1])
        assert (balance(giver), balance(middle)) == (Decimal(6), Decimal(-6))
        with pytest.raises(DomainError, match="Enter the reason"):
            services.cancel_leg(first, coordinator, "")
        db.session.rollback()
        services.cancel_leg(first, coordinator, "Recorded against the wrong organisation")
        db.session.commit()
        assert (balance(giver), balance(middle)) == (Decimal(0), Decimal(0))
        reversal = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "reversal"))
        assert "Recorded against the wrong organisation" in reversal.reason
        assert db.session.get(Leg, first.id).status == "cancelled"
        assert db.session.get(Exchange, exchange.id).status == "scheduled"  # the second part is still to happen


def test_cancelling_a_ring_part_that_would_leave_a_member_past_its_limit_is_refused(app, ring, propose_ring):
    """In a ring 30 / 24 / 36 with limits of 10, cancelling the part A gives leaves A owing 36 for what it got."""
    from timebank.accounts.services import find_user
    from timebank.exchanges import services
    from timebank.ledger.services import NotEnoughCredits, balances
    from timebank.members.models import Member

    exchange_id = propose_ring()
    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        for leg, hours in zip(exchange.legs, (30, 24, 36)):
            leg.hours = Decimal(hours)
        for email, member_id in zip(ring["admins"], ring["members"]):
            services.respond(exchange, db.session.get(Member, member_id), find_user(email), accept=True)
        start = datetime.combine(today() + timedelta(days=2), datetime.min.time()).replace(hour=10)
        coordinator = find_user(ring["coordinator"])
        services.approve(exchange, coordinator, {leg.id: (start, start + timedelta(hours=3)) for leg in exchange.legs},
                         override_reason="A long ring for the test")
        db.session.commit()
        later = start + timedelta(hours=4)
        a_gives, b_gives, c_gives = exchange.legs
        for leg in (b_gives, c_gives):
            receiver = ring["admins"][ring["members"].index(leg.receiver_member_id)]
            services.confirm_leg(leg, find_user(receiver), actual_hours=leg.hours, now=later)
        db.session.commit()
        assert balances(ring["members"]) == dict.fromkeys(ring["members"], Decimal(0))  # a ring waits for its end
        with pytest.raises(NotEnoughCredits, match="Kirkby Food Bank would be 36 credits short"):
            services.cancel_leg(a_gives, coordinator, "It did not happen")
        db.session.rollback()
        # Confirmed as planned, the last part settles the ring within every limit, in this order too.
        receiver = ring["admins"][ring["members"].index(a_gives.receiver_member_id)]
        services.confirm_leg(a_gives, find_user(receiver), actual_hours=a_gives.hours, now=later)
        db.session.commit()
        assert balances(ring["members"]) == dict(zip(ring["members"], (Decimal(-6), Decimal(-6), Decimal(12))))
        assert db.session.get(Exchange, exchange_id).status == "completed"


def test_cancelling_a_room_part_frees_its_booking(app, client, auth, make_member, make_listing, make_user,
                                                  categories, mailbox):
    from timebank.accounts.models import User
    from timebank.exchanges import services
    from timebank.exchanges.services import LegPlan, create_proposal
    from timebank.members.assets import add_asset
    from timebank.members.models import Member

    owner_id, owner_user = make_member("Hall Owners", admin_email="owner@hall.example")
    user_id_member, borrower_user = make_member("Borrowing Group", admin_email="borrower@hall.example")
    make_user("coord@hall.example", coordinator=True)
    with app.test_request_context():
        room = add_asset(db.session.get(Member, owner_id), db.session.get(User, owner_user), kind="room",
                                 name="Main hall", description="A hall", capacity=40, step_free=True)
        db.session.commit()
        room_id = room.id
    offer = make_listing(owner_id, owner_user, direction="offer", kind="room", category_id=categories["meeting-room"],
                         title="Main hall", quantity=Decimal(3), asset_id=room_id)
    need = make_listing(user_id_member, borrower_user, direction="need", kind="room",
                        category_id=categories["meeting-room"], title="A hall for our AGM", quantity=Decimal(3))
    with app.test_request_context():
        exchange = create_proposal("pair", [LegPlan(giver_member_id=owner_id, receiver_member_id=user_id_member,
                                                    kind="room", hours=Decimal(3), offer_id=offer, need_id=need)],
                                   story="A hall for an AGM")
        for member_id, user_id in ((owner_id, owner_user), (user_id_member, borrower_user)):
            services.respond(exchange, db.session.get(Member, member_id), db.session.get(User, user_id), accept=True)
        db.session.commit()
        exchange_id, leg_id = exchange.id, exchange.legs[0].id
    auth.login("coord@hall.example")
    form = client.get(f"/exchanges/{exchange_id}/approve").data.decode()
    assert "Both can do" in form and "3 hours" in form
    client.post(f"/exchanges/{exchange_id}/approve", data=schedule_data(app, exchange_id))
    with app.app_context():
        assert db.session.scalar(select(Booking.status).where(Booking.leg_id == leg_id)) == "confirmed"
    client.post(f"/exchanges/{exchange_id}/cancel", data={"leg_id": leg_id, "reason": "The AGM moved online"})
    with app.app_context():
        assert db.session.scalar(select(Booking.status).where(Booking.leg_id == leg_id)) == "cancelled"
        assert db.session.get(Exchange, exchange_id).status == "cancelled"
    assert any("The AGM moved online" in mailbox.body(m) for m in mailbox.to("borrower@hall.example"))
