"""Attacks on what a request may carry: huge bodies, huge page numbers, NUL bytes; what answers say.

Each test is the attack, as an outside tester ran it against a fresh install.
"""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from timebank.extensions import db
from timebank.members.models import Member
MAX_CONTENT_LENGTH = 256 * 1024  # timebank.security.MAX_CONTENT_LENGTH


def test_a_50_mb_json_body_is_refused_before_it_is_read(client, app, api_token):
    body = json.dumps({"title": "x" * (50 * 1024 * 1024)})
    response = client.post("/api/v1/listings", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert "larger than" in response.get_json()["detail"]


def test_a_20_mb_form_is_refused_with_a_page_not_parsed(client, auth, make_user):
    make_user("big@example.org")
    auth.login("big@example.org")
    response = client.post("/members/register", data={"name": "Big", "description": "x" * (20 * 1024 * 1024)})
    assert response.status_code == 413
    assert b"What you sent is too large" in response.data


def test_a_form_just_under_the_limit_is_still_read(client):
    response = client.post("/sign-in", data={"email": "a@example.org", "password": "p" * (MAX_CONTENT_LENGTH // 2)})
    assert response.status_code == 200
    assert b"Enter a correct email address and password" in response.data


@pytest.mark.parametrize("path", ["/listings?page=99999999999999999999", "/listings?page=-5",
                                  "/listings?page=%F0%9D%9F%9C", "/listings?page=1e400"])
def test_a_huge_or_strange_page_number_shows_a_page(client, categories, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"Offers and needs" in response.data or b"<h1" in response.data


def test_huge_page_numbers_on_signed_in_lists(client, auth, make_member):
    member_id, _ = make_member("Pages Group", admin_email="pages@example.org")
    auth.login("pages@example.org")
    assert client.get(f"/members/{member_id}/credits?page=99999999999999999999").status_code == 200


def test_huge_page_numbers_on_coordinator_lists(client, auth, make_user):
    make_user("boss@example.org", coordinator=True)
    auth.login("boss@example.org")
    for path in ("/coordinator/ledger?page=99999999999999999999", "/coordinator/audit?page=99999999999999999999"):
        assert client.get(path).status_code == 200, path


def test_a_nul_byte_typed_into_a_form_is_not_stored(client, auth, make_user, app):
    make_user("nul@example.org")
    auth.login("nul@example.org")
    response = client.post("/members/register", data={
        "name": "Nul\x00 Group", "type": "community_group", "postcode": "L36 9YS",
        "description": "We\x00 help"}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        member = db.session.scalar(select(Member))
        assert member.name == "Nul Group" and member.description == "We help"


def test_a_nul_byte_in_a_search_is_harmless(client, categories):
    response = client.get("/listings?q=food%00bank")
    assert response.status_code == 200


def test_the_api_refuses_a_nul_byte_with_a_message(client, api_member, categories):
    member_id, _, token = api_member
    response = client.post("/api/v1/listings", headers={"Authorization": f"Bearer {token}"}, json={
        "member_id": member_id, "direction": "need", "kind": "time", "category_id": categories["litter-picks-and-clean-ups"],
        "title": "Litter\x00 pick", "quantity": 3, "available_from": "2027-04-01", "available_until": "2027-04-30"})
    assert response.status_code == 422
    assert "Remove the NUL character" in response.get_json()["detail"]


def test_the_server_header_names_no_framework(app):
    """`flask serve` (what scripts/serve runs) says "exchange", not Werkzeug or Python and their versions."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    from timebank.security import QuietRequestHandler

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/accessibility") as response:
            servers = response.headers.get_all("Server")
    finally:
        server.shutdown()
        thread.join()
    assert servers == ["exchange"]


# -- how far ahead and how long a room or item can be booked ----------------------------------------

@pytest.fixture()
def hall_and_kit(app, make_member):
    """(owner admin email, borrower member id, borrower token, room id, item id): another member's room and item."""
    from timebank.accounts.models import User
    from timebank.accounts import tokens
    from timebank.members.assets import add_asset

    owner_id, owner_user = make_member("Hall Owners", admin_email="owner@example.org")
    borrower_id, borrower_user = make_member("Borrowers", admin_email="borrower@example.org")
    with app.test_request_context():
        owner = db.session.get(User, owner_user)
        room = add_asset(db.session.get(Member, owner_id), owner, kind="room", name="Main hall", capacity=60)
        kit = add_asset(db.session.get(Member, owner_id), owner, kind="equipment", name="Gazebo",
                                 condition="good")
        _, token = tokens.create_token(db.session.get(User, borrower_user), name="CRM", scope="read-write")
        db.session.commit()
        return "owner@example.org", borrower_id, token, room.id, kit.id


def test_a_ten_year_room_booking_is_refused(client, hall_and_kit, app):
    from timebank.bookings.models import Booking, uk_today

    _, borrower_id, token, room_id, _ = hall_and_kit
    start = uk_today() + timedelta(days=2)
    response = client.post("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"}, json={
        "asset_id": room_id, "member_id": borrower_id, "starts_at": f"{start.isoformat()}T10:00:00",
        "ends_at": f"{start.replace(year=start.year + 10).isoformat()}T10:00:00"})
    assert response.status_code == 422
    assert "Main hall can be booked for 12 hours at most" in response.get_json()["detail"]
    far = client.post("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"}, json={
        "asset_id": room_id, "member_id": borrower_id,
        "starts_at": f"{start.replace(year=start.year + 9).isoformat()}T10:00:00",
        "ends_at": f"{start.replace(year=start.year + 9).isoformat()}T12:00:00"})
    assert far.status_code == 422 and "can be booked up to 365 days ahead" in far.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(Booking)) is None


def test_a_ten_year_loan_is_refused(client, hall_and_kit, app):
    from timebank.bookings.models import Loan, uk_today

    _, borrower_id, token, _, kit_id = hall_and_kit
    start = uk_today() + timedelta(days=2)
    response = client.post("/api/v1/loans", headers={"Authorization": f"Bearer {token}"}, json={
        "asset_id": kit_id, "member_id": borrower_id, "starts_on": start.isoformat(),
        "due_on": start.replace(year=start.year + 10).isoformat()})
    assert response.status_code == 422
    assert "Gazebo can be borrowed for 14 days at most" in response.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(Loan)) is None


def _room_form(**changes) -> dict:
    return {"name": "Main hall", "capacity": "60", "step_free": "yes", "book_ahead_days": "365",
            "longest_booking_hours": "12", **changes}


def test_an_owner_bounds_how_far_ahead_and_how_long_its_room_is_booked(client, auth, hall_and_kit, app):
    from timebank.bookings.models import Booking, uk_today
    from timebank.members.models import Asset

    owner_email, borrower_id, token, room_id, _ = hall_and_kit
    with app.app_context():
        owner_member = db.session.get(Asset, room_id).member_id
    auth.login(owner_email)
    saved = client.post(f"/members/{owner_member}/assets/{room_id}/edit",
                        data=_room_form(book_ahead_days="30", longest_booking_hours="4"), follow_redirects=True)
    assert "\u201cMain hall\u201d saved." in saved.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token}"}

    def book(day, start, end):
        return client.post("/api/v1/bookings", headers=headers, json={
            "asset_id": room_id, "member_id": borrower_id, "starts_at": f"{day.isoformat()}T{start}",
            "ends_at": f"{day.isoformat()}T{end}"})

    too_far = book(uk_today() + timedelta(days=40), "10:00:00", "12:00:00")
    assert too_far.status_code == 422 and "up to 30 days ahead" in too_far.get_json()["detail"]
    too_long = book(uk_today() + timedelta(days=5), "09:00:00", "15:00:00")
    assert too_long.status_code == 422 and "4 hours at most" in too_long.get_json()["detail"]
    assert book(uk_today() + timedelta(days=5), "10:00:00", "13:00:00").status_code == 201
    with app.app_context():
        assert len(db.session.scalars(select(Booking)).all()) == 1


def test_an_owner_cannot_set_bounds_past_the_most_allowed(client, auth, hall_and_kit, app):
    from timebank.members.models import Asset

    owner_email, _, _, room_id, _ = hall_and_kit
    with app.app_context():
        owner_member = db.session.get(Asset, room_id).member_id
    auth.login(owner_email)
    page = client.post(f"/members/{owner_member}/assets/{room_id}/edit",
                       data=_room_form(book_ahead_days="3650", longest_booking_hours="abc")).get_data(as_text=True)
    assert "Enter a number of days between 1 and 730" in page
    assert "Enter the longest booking in hours, as a number" in page
    assert 'value="3650"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.get(Asset, room_id).book_ahead_days == 365
