"""Direct asks that one person or one member could abuse: answering both sides of an ask, and
taking every open listing off the market with asks nobody answers (the API side is in
tests/api/test_direct.py and tests/security/test_api_auth.py)."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from timebank.db import today
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Membership


def _form(member_id, days=3):
    start = datetime.combine(today() + timedelta(days=days), datetime.min.time()).replace(hour=10)
    return {"member_id": member_id, "hours": "3", "people": "1", "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "message": "Hello from the food bank"}


def _no_approval(app):
    from timebank.accounts.models import User
    from timebank.exchanges import policy

    with app.app_context():
        policy.set_policy(db.session.scalar(select(User).where(User.email == "coord@direct.example")), approval="none")
        db.session.commit()


def test_the_person_who_asked_cannot_accept_or_counter_for_the_other_side(app, client, auth, pair):
    from timebank.accounts.models import User

    _no_approval(app)
    with app.app_context():  # the food bank's admin is staff of the firm too
        user = db.session.scalar(select(User).where(User.email == "food@direct.example"))
        db.session.add(Membership(member_id=pair["firm"], user_id=user.id, role="staff", status="active"))
        db.session.commit()
    auth.login("food@direct.example")
    client.post(f"/listings/{pair['offer']}/ask", data=_form(pair["food"]))
    with app.app_context():
        exchange_id = db.session.scalars(select(Exchange)).one().id
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert f"/exchanges/{exchange_id}/respond?member_id={pair['firm']}" not in page
    refused = client.post(f"/exchanges/{exchange_id}/respond?member_id={pair['firm']}",
                          data={"member_id": pair["firm"], "answer": "accept"}).data.decode()
    assert "someone else at Prescot Accountants must answer it" in refused
    countered = client.post(f"/exchanges/{exchange_id}/counter?member_id={pair['firm']}",
                            data={**_form(pair["firm"], days=4)}).data.decode()
    assert "someone else at Prescot Accountants must answer it" in countered
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "proposed"
        assert {p.member_id: p.status for p in exchange.parties} == {pair["food"]: "accepted", pair["firm"]: "pending"}
        assert exchange.legs[0].proposed_start.day == (today() + timedelta(days=3)).day


def test_someone_else_at_the_asking_member_cannot_answer_for_the_other_side_either(app, pair, make_user, ctx):
    from timebank.accounts.models import User
    from timebank.errors import NotAllowed
    from timebank.exchanges import direct, services
    from timebank.members.models import Member

    food, firm = db.session.get(Member, pair["food"]), db.session.get(Member, pair["firm"])
    food_admin = db.session.scalar(select(User).where(User.email == "food@direct.example"))
    both = db.session.get(User, make_user("both@direct.example"))
    db.session.add_all([Membership(member_id=food.id, user_id=both.id, role="staff", status="active"),
                        Membership(member_id=firm.id, user_id=both.id, role="staff", status="active")])
    db.session.flush()
    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    exchange = direct.ask(db.session.get(Listing, pair["offer"]), food, food_admin, hours=Decimal(3), start=start,
                          end=start + timedelta(hours=3), message="Please")
    with pytest.raises(NotAllowed, match="You are at Kirkby Food Bank, which asked for this, so someone else at "
                                         "Prescot Accountants must answer it"):
        services.respond(exchange, firm, both, accept=True)
    # A coordinator who is at neither may answer for the side that was asked; so may the firm's own people.
    coordinator = db.session.scalar(select(User).where(User.email == "coord@direct.example"))
    assert services.asker_answering(exchange, firm, coordinator) is None
    firm_admin = db.session.scalar(select(User).where(User.email == "firm@direct.example"))
    services.respond(exchange, firm, firm_admin, accept=True)
    assert exchange.status in ("accepted", "scheduled")


def test_a_member_can_have_only_so_many_asks_waiting(app, client, auth, pair, make_listing):
    from timebank.accounts.models import User

    limit = app.config["MAX_WAITING_ASKS"]
    with app.app_context():
        firm_admin = db.session.scalar(select(User).where(User.email == "firm@direct.example")).id
    offers = [make_listing(pair["firm"], firm_admin, direction="offer", title=f"Bookkeeping, slot {n}",
                           quantity=Decimal(6)) for n in range(limit)]
    auth.login("food@direct.example")
    for offer in [pair["offer"], *offers][:limit]:
        response = client.post(f"/listings/{offer}/ask", data={**_form(pair["food"]), "hours": "1"})
        assert response.status_code == 302, response.data.decode()
    last = offers[-1]
    page = client.post(f"/listings/{last}/ask", data={**_form(pair["food"]), "hours": "1",
                                                      "message": "Typed and kept"}).data.decode()
    assert f"Kirkby Food Bank already has {limit} asks waiting for an answer" in page
    assert "Typed and kept" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Exchange)) == limit
        assert db.session.get(Listing, last).status == "open"  # still in the directory and the matcher
