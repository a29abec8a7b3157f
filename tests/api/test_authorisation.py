"""Who may do what through the API: member A's token and member B's data, read-only tokens, revoked
tokens, the session cookie, and coordinator scopes."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from timebank.db import today
from timebank.extensions import db


def test_a_token_of_member_a_cannot_read_member_bs_private_data(app, api, world, tokens):
    a = api(tokens["staff_a"])
    b = world.ids["member_b"]
    for url in (f"/api/v1/members/{b}/balance", f"/api/v1/members/{b}/statement",
                f"/api/v1/members/{b}/bookings", f"/api/v1/members/{b}/loans", f"/api/v1/exchanges?member_id={b}"):
        response = a.get(url)
        assert response.status_code == 403, url
        assert response.content_type == "application/problem+json"
        assert response.json["status"] == 403 and response.json["detail"]
    profile = a.get(f"/api/v1/members/{b}").json
    assert profile["name"].startswith("Member B")
    assert profile["contact_email"] is None and profile["contact_phone"] is None
    # B's own people see B's contact details and balance.
    own = api(tokens["staff_b"])
    assert own.get(f"/api/v1/members/{b}").json["contact_email"] == "contact.member.b@example.org"
    assert own.get(f"/api/v1/members/{b}/balance").status_code == 200


def test_outsiders_are_not_told_an_exchange_exists(api, world, tokens):
    exchange = world.ids["exchange"]
    assert api(tokens["staff_b"]).get(f"/api/v1/exchanges/{exchange}").status_code == 404
    assert api(tokens["staff_b"]).post(f"/api/v1/proposals/{exchange}/accept").status_code == 404
    assert api(tokens["staff_b"]).post(f"/api/v1/legs/{world.ids['leg']}/confirm",
                                       json={"actual_hours": 2}).status_code == 404
    assert api(tokens["staff_a"]).get(f"/api/v1/exchanges/{exchange}").status_code == 200


def test_a_token_of_member_a_cannot_change_member_bs_data(app, api, world, tokens):
    from timebank.listings.models import Listing
    from timebank.members.models import Member

    b_admin = api(tokens["admin_b"])
    listing_a, member_a = world.ids["listing_a"], world.ids["member_a"]
    assert b_admin.patch(f"/api/v1/listings/{listing_a}", json={"title": "Taken over"}).status_code == 403
    assert b_admin.post(f"/api/v1/listings/{listing_a}/withdraw").status_code == 403
    assert b_admin.patch(f"/api/v1/members/{member_a}", json={"description": "Ours now"}).status_code == 403
    response = b_admin.post("/api/v1/listings", json={
        "member_id": member_a, "direction": "need", "kind": "time", "category_id": 1, "title": "Posted for A",
        "quantity": 2, "available_from": str(today()), "available_until": str(today() + timedelta(days=9))})
    assert response.status_code == 403
    # Staff of A may post and change listings, but only admins change the profile.
    assert api(tokens["staff_a"]).patch(f"/api/v1/members/{member_a}", json={"description": "x"}).status_code == 403
    with app.app_context():
        listing = db.session.get(Listing, listing_a)
        assert (listing.title, listing.status) == ("Help with our accounts", "open")
        assert db.session.get(Member, member_a).description == ""
        assert db.session.scalar(select(Listing).where(Listing.title == "Posted for A")) is None


def test_a_read_only_token_cannot_write(app, api, world, tokens):
    from timebank.listings.models import Listing

    reader = api(tokens["read_a"])
    assert reader.get(f"/api/v1/members/{world.ids['member_a']}/balance").status_code == 200
    response = reader.post(f"/api/v1/listings/{world.ids['listing_a']}/withdraw")
    assert response.status_code == 403
    assert "read-only" in response.json["detail"]
    assert reader.patch(f"/api/v1/listings/{world.ids['listing_a']}", json={"title": "Changed"}).status_code == 403
    with app.app_context():
        listing = db.session.get(Listing, world.ids["listing_a"])
        assert (listing.title, listing.status) == ("Help with our accounts", "open")
    # The same person's read-write token may.
    assert api(tokens["staff_a"]).post(f"/api/v1/listings/{world.ids['listing_a']}/withdraw").status_code == 200


def test_a_revoked_token_is_refused(app, client, auth, api, world, make_user, make_token):
    from timebank.accounts.tokens import ApiToken

    user_id = make_user("integrator@example.org")
    secret = make_token(user_id, "read")
    assert api(secret).get("/api/v1/me").status_code == 200
    auth.login("integrator@example.org")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))
    page = client.post(f"/account/tokens/{token_id}/revoke", follow_redirects=True).get_data(as_text=True)
    assert "is revoked" in page
    response = api(secret).get("/api/v1/me")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_no_token_a_wrong_token_and_the_session_cookie_are_all_refused(client, auth, make_user, api):
    assert api(None).get("/api/v1/me").status_code == 401
    assert api("tbk_not-a-real-token").get("/api/v1/me").status_code == 401
    assert api("").get("/api/v1/members").headers["WWW-Authenticate"].startswith("Bearer")
    make_user("signed.in@example.org")
    auth.login("signed.in@example.org")
    assert client.get("/account").status_code == 200  # signed in on the web...
    response = client.get("/api/v1/me")  # ...but the API wants a token, never the cookie
    assert response.status_code == 401


def test_coordinator_scope_only_for_coordinators(app, client, auth, api, world, tokens, make_user):
    from timebank.accounts.tokens import ApiToken

    make_user("not.a.coordinator@example.org")
    auth.login("not.a.coordinator@example.org")
    page = client.get("/account/tokens").get_data(as_text=True)
    assert 'value="read-write"' in page and 'value="coordinator"' not in page
    response = client.post("/account/tokens", data={"name": "Sneaky", "scope": "coordinator"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.name == "Sneaky")) is None
    pending = world.ids["pending_member"]
    # A coordinator's read-write token acts as staff, not as a coordinator.
    assert api(tokens["coordinator"]).post(f"/api/v1/coordinator/members/{pending}/approve").status_code == 403
    assert api(tokens["coordinator"]).get(f"/api/v1/members/{world.ids['member_b']}/balance").status_code == 403
    assert api(tokens["admin_a"]).get("/api/v1/coordinator/members").status_code == 403
    response = api(tokens["coordinator_scope"]).post(f"/api/v1/coordinator/members/{pending}/approve")
    assert response.status_code == 200 and response.json["status"] == "active"


def test_a_coordinator_token_stops_being_one_when_its_person_stops_being_a_coordinator(app, api, world, tokens):
    from timebank.accounts.models import Coordinator

    with app.app_context():
        db.session.delete(db.session.get(Coordinator, world.user_ids["coordinator"]))
        db.session.commit()
    assert api(tokens["coordinator_scope"]).get("/api/v1/coordinator/members").status_code == 403
