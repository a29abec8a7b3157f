"""Help one member recorded, as the other side meets it: did it happen, and what does saying so do?"""
from decimal import Decimal

import pytest
from sqlalchemy import select

from timebank.db import today
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
from timebank.main.filters import format_date


@pytest.fixture()
def recorded(app, client, auth, make_member):
    """The men's shed records 2 people x 3 hours for the food bank, today; returns their ids."""
    shed, _ = make_member("Huyton Men's Shed", admin_email="shed@record.example")
    food, _ = make_member("Kirkby Food Bank", admin_email="food@record.example")
    auth.login("shed@record.example")
    response = client.post(f"/members/{shed}/record-help", data={
        "direction": "gave", "other_member_id": food, "kind": "time", "hours": "3", "people": "2",
        "description": "Sorted the Saturday deliveries", "happened_on": str(today())})
    assert response.status_code == 302
    auth.logout()
    with app.app_context():
        exchange_id = db.session.scalar(select(Exchange.id).where(Exchange.shape == "direct"))
    return {"shed": shed, "food": food, "exchange": exchange_id}


def test_the_other_side_is_asked_whether_the_help_happened_and_what_confirming_does(client, auth, recorded):
    auth.login("food@record.example")
    page = client.get(f"/exchanges/{recorded['exchange']}").data.decode()
    # The link offers what the answer page offers: there is no way to correct a record.
    assert "or correct" not in page
    assert "Confirm or say it is wrong" in page

    page = client.get(f"/exchanges/{recorded['exchange']}/respond?member_id={recorded['food']}").data.decode()
    assert "Did this happen?" in page
    assert "Will you do your part" not in page and "accept our part" not in page
    assert "Yes, this happened" in page and "No, it did not happen as recorded" in page
    # Who, what, when, how much, and what it does to each side's credits.
    assert "Huyton Men&#39;s Shed" in page and "Sorted the Saturday deliveries" in page
    assert format_date(today()) in page
    assert "6 person-hours (2 people x 3 hours)" in page
    assert "Huyton Men&#39;s Shed earns 6 credits" in page
    assert "Kirkby Food Bank spends 6 credits" in page


def test_saying_it_did_not_happen_needs_a_reason_and_cancels_the_record(app, client, auth, recorded):
    auth.login("food@record.example")
    url = f"/exchanges/{recorded['exchange']}/respond?member_id={recorded['food']}"
    page = client.post(url, data={"member_id": recorded["food"], "answer": "decline", "reason": ""}).data.decode()
    assert "Say what is wrong with the record" in page
    page = client.post(url, data={"member_id": recorded["food"], "answer": "decline",
                                  "reason": "Only one person came"}, follow_redirects=True).data.decode()
    assert "You said it did not happen as recorded" in page and "You declined" not in page
    with app.app_context():
        exchange = db.session.get(Exchange, recorded["exchange"])
        assert exchange.status == "voided" and "Only one person came" in exchange.decision_reason


def test_confirming_says_so_and_moves_the_credits(app, client, auth, recorded):
    from timebank.ledger.services import balance
    from timebank.members.models import Member

    auth.login("food@record.example")
    page = client.post(f"/exchanges/{recorded['exchange']}/respond?member_id={recorded['food']}",
                       data={"member_id": recorded["food"], "answer": "accept"}, follow_redirects=True).data.decode()
    assert "You confirmed it" in page
    with app.app_context():
        assert balance(db.session.get(Member, recorded["shed"])) == Decimal(6)
        assert balance(db.session.get(Member, recorded["food"])) == Decimal(-6)


def test_recorded_help_has_the_day_it_happened_and_no_made_up_time(app, client, auth, recorded):
    with app.app_context():
        leg = db.session.scalar(select(Leg).where(Leg.exchange_id == recorded["exchange"]))
        assert leg.happened_on == today()
        assert leg.scheduled_start is None and leg.scheduled_end is None
    auth.login("food@record.example")
    for url in (f"/exchanges/{recorded['exchange']}",
                f"/exchanges/{recorded['exchange']}/respond?member_id={recorded['food']}"):
        page = client.get(url).data.decode()
        assert format_date(today()) in page
        assert "12:00pm" not in page


def test_a_pending_member_is_told_it_can_record_help_once_approved(app, client, auth, make_member):
    waiting, _ = make_member("Whiston Walkers", status="pending", admin_email="walk@record.example")
    other, _ = make_member("Prescot Seniors")
    auth.login("walk@record.example")
    page = client.get(f"/members/{waiting}/record-help").data.decode()
    assert "Whiston Walkers can record help once it is approved" in page and "Record it" not in page
    page = client.post(f"/members/{waiting}/record-help", data={
        "direction": "gave", "other_member_id": other, "kind": "time", "hours": "3", "people": "1",
        "description": "Walk leaders", "happened_on": str(today())}).data.decode()
    assert "Whiston Walkers can record help once a coordinator has approved it" in page
    with app.app_context():
        assert db.session.scalar(select(Exchange)) is None


def test_a_pending_member_asking_from_a_listing_is_told_it_waits_for_approval(client, auth, make_member,
                                                                               make_listing):
    owner, owner_admin = make_member("Kirkby Food Bank")
    listing = make_listing(owner, owner_admin, direction="offer", title="Van and driver")
    make_member("Whiston Walkers", status="pending", admin_email="walk@record.example")
    auth.login("walk@record.example")
    page = client.get(f"/listings/{listing}/ask").data.decode()
    assert "Register your organisation" not in page
    assert "Whiston Walkers can ask once it is approved" in page
