"""The bookings' loaders, called directly: each answer the web pages and the API share.

`place` (tests/bookings/conftest.py): Kirkby Community Centre owns the hall, the projector and the
trolley; Halewood Youth Club borrows; Prescot Seniors has no part in it.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from flask_login import AnonymousUserMixin

from timebank.accounts.models import User
from timebank.bookings.access import load_asset, load_booking, load_loan, load_series
from timebank.bookings.models import Booking, BookingSeries, Loan, uk_today
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.members.models import Member

ANYONE = AnonymousUserMixin()


@pytest.fixture()
def rows(app, place, make_user):
    """A booking, a weekly booking and a loan of the owner's, by the borrower; and a coordinator."""
    day = uk_today() + timedelta(days=30)
    coordinator_id = make_user("desk@oneknowsley.example", coordinator=True)
    with app.app_context():
        booking = Booking(asset_id=place.hall_id, member_id=place.borrower_id, status="confirmed",
                          starts_at=datetime.combine(day, time(10)), ends_at=datetime.combine(day, time(12)))
        series = BookingSeries(asset_id=place.hall_id, member_id=place.borrower_id, first_day=day + timedelta(days=1),
                               starts_time=time(14), ends_time=time(16), times=4)
        loan = Loan(asset_id=place.trolley_id, member_id=place.borrower_id, starts_on=day, due_on=day + timedelta(days=2),
                    status="reserved")
        db.session.add_all([booking, series, loan])
        db.session.commit()
        ids = dict(booking=booking.id, series=series.id, loan=loan.id, coordinator=coordinator_id,
                   owner=place.owner_user_id, borrower=place.borrower_user_id, other=place.other_user_id)
    with app.test_request_context():
        yield ids


def user(rows, who):
    return ANYONE if who == "anyone" else db.session.get(User, rows[who])


# -- rooms and items -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["anyone", "other", "borrower", "owner", "coordinator"])
def test_anyone_sees_an_active_members_room(place, rows, who):
    assert load_asset(place.hall_id, user(rows, who)).name == "Community hall"


def test_a_room_that_does_not_exist_is_not_found(rows):
    with pytest.raises(NotFound, match="There is no room or item 999999") as raised:
        load_asset(999999, user(rows, "coordinator"))
    assert raised.value.field == "asset_id"  # the API's 422/404 names the field the id came in


def test_a_pending_members_room_is_only_for_its_own_people_and_coordinators(place, rows):
    db.session.get(Member, place.owner_id).status = "pending"
    db.session.flush()
    for who in ("anyone", "other", "borrower"):
        with pytest.raises(NotFound, match=f"There is no room or item {place.hall_id}"):
            load_asset(place.hall_id, user(rows, who))
    for who in ("owner", "coordinator"):
        assert load_asset(place.hall_id, user(rows, who)).id == place.hall_id


# -- bookings, weekly bookings and loans ------------------------------------------------------

LOADERS = [(load_booking, "booking", "booking", "the room owner's people can see or cancel this booking"),
           (load_series, "series", "weekly booking", "the room owner's people can see or cancel this weekly booking"),
           (load_loan, "loan", "loan", "the lender's people can see or cancel this loan")]


@pytest.mark.parametrize("load, key, noun, refusal", LOADERS)
def test_missing_is_not_found(rows, load, key, noun, refusal):
    with pytest.raises(NotFound, match=f"There is no {noun} 999999"):
        load(999999, user(rows, "coordinator"))


@pytest.mark.parametrize("who", ["anyone", "other"])
@pytest.mark.parametrize("load, key, noun, refusal", LOADERS)
def test_neither_side_is_not_allowed(rows, load, key, noun, refusal, who):
    with pytest.raises(NotAllowed, match=f"Only the borrower's and {refusal}"):
        load(rows[key], user(rows, who))


@pytest.mark.parametrize("who", ["borrower", "owner", "coordinator"])
@pytest.mark.parametrize("load, key, noun, refusal", LOADERS)
def test_either_side_and_coordinators_load_it(rows, load, key, noun, refusal, who):
    assert load(rows[key], user(rows, who)).id == rows[key]


@pytest.mark.parametrize("who", ["owner", "coordinator"])
def test_the_lender_and_coordinators_hand_an_item_over(rows, who):
    assert load_loan(rows["loan"], user(rows, who), need="lender").id == rows["loan"]


def test_only_the_lender_hands_an_item_over(rows):
    with pytest.raises(NotAllowed, match="Only Kirkby Community Centre can hand over Folding tables trolley"):
        load_loan(rows["loan"], user(rows, "borrower"), need="lender")
    for who in ("anyone", "other"):
        with pytest.raises(NotAllowed, match="Only the borrower's and the lender's people"):
            load_loan(rows["loan"], user(rows, who), need="lender")


def test_an_unknown_need_is_a_programming_error(rows):
    with pytest.raises(ValueError):
        load_loan(rows["loan"], user(rows, "owner"), need="borrower")


# -- both edges answer the same case ---------------------------------------------------------

def test_the_web_and_the_api_refuse_a_stranger_the_same_loan(app, client, auth, place, rows):
    from timebank.accounts import tokens

    with app.test_request_context():
        _token, secret = tokens.create_token(db.session.get(User, rows["other"]), name="API test", scope="read-write")
        db.session.commit()
    answer = client.get(f"/api/v1/loans/{rows['loan']}", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 403
    assert answer.json["detail"] == "Only the borrower's and the lender's people can see or cancel this loan"
    auth.login("seniors@example.org")
    page = client.get(f"/loans/{rows['loan']}/cancel")
    assert page.status_code == 403
    assert "Only the borrower&#39;s and the lender&#39;s people can see or cancel this loan" in page.get_data(as_text=True)
    assert client.get("/loans/999999/cancel").status_code == 404
