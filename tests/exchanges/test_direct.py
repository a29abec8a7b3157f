"""Direct exchanges through the pages: ask for an offer or offer to help with a need, counter,
accept or decline, approve, confirm; and the rules a matched exchange keeps (credit limit, DBS,
one live exchange per listing)."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.exchanges.conftest import after_start
from timebank.conversations.models import Message
from timebank.db import today
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.listings.models import Listing


def _slot(days: int, hour: int = 10, hours: int = 3):
    start = datetime.combine(today() + timedelta(days=days), datetime.min.time()).replace(hour=hour)
    return start, start + timedelta(hours=hours)


def _form(member_id, hours="3", days=3, hour=10, message="Hello from the food bank", people="1", length=None):
    start, end = _slot(days, hour, length or int(Decimal(hours).to_integral_value(rounding="ROUND_CEILING")))
    return {"member_id": member_id, "hours": hours, "people": people, "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"), "message": message}


def _exchanges(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Exchange))


def test_ask_counter_accept_approve_confirm_moves_credits(app, client, auth, pair, mailbox):
    from timebank.ledger.services import balances

    auth.login("food@direct.example")
    page = client.get(f"/listings/{pair['offer']}").data.decode()
    assert "Ask for this" in page and f"/listings/{pair['offer']}/ask" in page
    form = client.get(f"/listings/{pair['offer']}/ask").data.decode()
    assert "Bookkeeping for charities" in form and "Kirkby Food Bank" in form

    # Bad input: a clear message beside the field, what was typed kept, nothing saved.
    bad = _form(pair["food"], message="")
    response = client.post(f"/listings/{pair['offer']}/ask", data=bad)
    assert "Write a short message" in response.data.decode()
    start, _ = _slot(3)
    backwards = {**_form(pair["food"], message="Typed and kept"), "end": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    page = client.post(f"/listings/{pair['offer']}/ask", data=backwards).data.decode()
    assert "The end must be after the start" in page and "Typed and kept" in page
    assert _exchanges(app) == 0

    message = "We need our year-end accounts checked. <script>alert(1)</script>\nThank you!"
    response = client.post(f"/listings/{pair['offer']}/ask", data=_form(pair["food"], message=message),
                           follow_redirects=True)
    page = response.data.decode()
    assert "has been told and can accept, decline or suggest" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    with app.app_context():
        exchange = db.session.scalars(select(Exchange)).one()
        exchange_id = exchange.id
        assert (exchange.shape, exchange.status, exchange.asked_by_member_id) == ("pair", "proposed", pair["food"])
        assert {p.member_id: p.status for p in exchange.parties} == {pair["food"]: "accepted", pair["firm"]: "pending"}
        leg = exchange.legs[0]
        assert (leg.giver_member_id, leg.receiver_member_id, leg.hours) == (pair["firm"], pair["food"], Decimal(3))
        assert db.session.get(Listing, pair["offer"]).status == "matched"
        assert db.session.scalars(select(Message.body)).all() == [message.replace("\n", "\n")]
    # The firm is told by email, with a link and without the message.
    sent = mailbox.to("firm@direct.example")
    assert sent and f"/exchanges/{exchange_id}" in mailbox.body(sent[-1])
    assert "year-end" not in mailbox.body(sent[-1])
    auth.logout()

    # The firm answers with fewer hours on another day.
    auth.login("firm@direct.example")
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "Suggest other hours or dates" in page and "year-end accounts" in page
    same = client.post(f"/exchanges/{exchange_id}/counter", data={**_form(pair["firm"]), "message": ""})
    assert "These are the hours and dates already asked for" in same.data.decode()
    response = client.post(f"/exchanges/{exchange_id}/counter",
                           data={**_form(pair["firm"], hours="2", days=4, hour=14), "message": "Thursday suits us"},
                           follow_redirects=True)
    assert "The other side has been told" in response.data.decode()
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert {p.member_id: p.status for p in exchange.parties} == {pair["food"]: "pending", pair["firm"]: "accepted"}
        assert (exchange.legs[0].hours, exchange.legs[0].proposed_start) == (Decimal(2), _slot(4, 14)[0])
    assert mailbox.to("food@direct.example")
    auth.logout()

    # The food bank accepts; the coordinators' policy (by default: approve every one) asks for approval.
    auth.login("food@direct.example")
    response = client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": pair["food"], "answer": "accept"},
                           follow_redirects=True)
    assert "Your answer is saved" in response.data.decode()
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "accepted"
    assert mailbox.to("coord@direct.example")
    auth.logout()

    auth.login("coord@direct.example")
    form = client.get(f"/exchanges/{exchange_id}/approve").data.decode()
    start, end = _slot(4, 14, 2)
    assert start.strftime("%Y-%m-%dT%H:%M") in form and end.strftime("%Y-%m-%dT%H:%M") in form
    with app.app_context():
        leg_id = db.session.get(Exchange, exchange_id).legs[0].id
    response = client.post(f"/exchanges/{exchange_id}/approve", data={
        f"start_{leg_id}": start.strftime("%Y-%m-%dT%H:%M"), f"end_{leg_id}": end.strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=True)
    assert "is approved and scheduled" in response.data.decode()
    auth.logout()

    with after_start(days=5):
        auth.login("food@direct.example")
        response = client.post(f"/legs/{leg_id}/confirm", data={"actual_hours": "2", "actual_people": "1"},
                               follow_redirects=True)
        assert b"Confirmed." in response.data
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "completed"
        assert balances([pair["food"], pair["firm"]]) == {pair["food"]: Decimal(-2), pair["firm"]: Decimal(2)}


def test_offer_to_help_declined_with_a_reason_opens_the_need_again(app, client, auth, pair, mailbox):
    auth.login("firm@direct.example")
    assert "Offer to help" in client.get(f"/listings/{pair['need']}").data.decode()
    client.post(f"/listings/{pair['need']}/ask", data=_form(pair["firm"], message="We can help"))
    with app.app_context():
        exchange = db.session.scalars(select(Exchange)).one()
        exchange_id = exchange.id
        leg = exchange.legs[0]
        assert (leg.giver_member_id, leg.receiver_member_id, leg.need_listing_id) == (pair["firm"], pair["food"],
                                                                                     pair["need"])
    auth.logout()
    auth.login("food@direct.example")
    empty = client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": pair["food"], "answer": "decline"})
    assert b"Tell the others why you are declining" in empty.data
    client.post(f"/exchanges/{exchange_id}/respond",
                data={"member_id": pair["food"], "answer": "decline", "reason": "Someone else is helping now"})
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "voided" and "Someone else is helping now" in exchange.decision_reason
        assert db.session.get(Listing, pair["need"]).status == "open"
    assert any("declined" in mailbox.body(m) for m in mailbox.to("firm@direct.example"))


def test_with_no_approval_needed_an_agreed_ask_is_scheduled_at_its_dates(app, pair, ctx):
    from timebank.accounts.models import User
    from timebank.exchanges import direct, policy, services
    from timebank.members.models import Member

    coordinator = db.session.scalar(select(User).where(User.email == "coord@direct.example"))
    policy.set_policy(coordinator, approval="none")
    food, firm = db.session.get(Member, pair["food"]), db.session.get(Member, pair["firm"])
    food_admin = db.session.scalar(select(User).where(User.email == "food@direct.example"))
    firm_admin = db.session.scalar(select(User).where(User.email == "firm@direct.example"))
    start, end = _slot(3)
    exchange = direct.ask(db.session.get(Listing, pair["offer"]), food, food_admin, hours=Decimal(3), start=start,
                          end=end, message="Please")
    services.respond(exchange, firm, firm_admin, accept=True)
    assert exchange.status == "scheduled"
    assert (exchange.legs[0].scheduled_start, exchange.legs[0].scheduled_end) == (start, end)
    assert exchange.decided_by_id is None


def test_the_rules_of_a_matched_exchange_hold_for_a_direct_ask(app, client, auth, pair, make_listing, ctx):
    from timebank.accounts.models import User
    from timebank.errors import Conflict, DomainError, NotAllowed
    from timebank.exchanges import direct
    from timebank.members.models import Member

    food, firm = db.session.get(Member, pair["food"]), db.session.get(Member, pair["firm"])
    food_admin = db.session.scalar(select(User).where(User.email == "food@direct.example"))
    firm_admin = db.session.scalar(select(User).where(User.email == "firm@direct.example"))
    offer = db.session.get(Listing, pair["offer"])
    start, end = _slot(3)
    # The food bank's credit limit is 10: 4 people for 3 hours is 12 credits.
    with pytest.raises(DomainError, match="would be 12 credits short") as error:
        direct.ask(offer, food, food_admin, hours=Decimal(3), people=4, start=start, end=end, message="Hi")
    assert error.value.field == "hours"
    with pytest.raises(DomainError, match="own listing"):
        direct.ask(offer, firm, firm_admin, hours=Decimal(3), start=start, end=end, message="Hi")
    with pytest.raises(NotAllowed):
        direct.ask(offer, food, firm_admin, hours=Decimal(3), start=start, end=end, message="Hi")
    with pytest.raises(DomainError, match="start is in the past"):
        direct.ask(offer, food, food_admin, hours=Decimal(3), start=start - timedelta(days=5),
                   end=end - timedelta(days=5), message="Hi")
    db.session.rollback()
    # A need that asks for an enhanced DBS check: the firm has none recorded.
    dbs_need = db.session.get(Listing, make_listing(pair["food"], food_admin.id, direction="need",
                                                    title="Mentoring for young people",
                                                    min_dbs_level="enhanced"))
    with pytest.raises(DomainError, match="DBS") as error:
        direct.ask(dbs_need, firm, firm_admin, hours=Decimal(2), start=start, end=end - timedelta(hours=1),
                   message="We can mentor")
    assert error.value.field == "start"
    db.session.rollback()
    # One live exchange per listing: the second ask is refused, and nothing was half-saved.
    offer = db.session.get(Listing, pair["offer"])
    direct.ask(offer, food, food_admin, hours=Decimal(3), start=start, end=end, message="First")
    db.session.commit()
    with pytest.raises(Conflict, match="already part of an exchange"):
        direct.ask(db.session.get(Listing, pair["offer"]), food, food_admin, hours=Decimal(1), start=start,
                   end=end, message="Again")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Exchange)) == 1
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_a_listing_says_when_as_people_say_it(app, client, make_member, make_listing):
    member, admin = make_member("Page Moss Tenants")
    tuesday_mornings = 1 << 3
    listing = make_listing(member, admin, direction="offer", title="Tea and a chat", weekly_pattern=tuesday_mornings)
    page = client.get(f"/listings/{listing}").data.decode()
    assert "Every Tuesday morning, from" in page
