"""Listings coming down: their members are warned a week before (in the app and by email, once per
date), and renew them in one click on the listing's page or through the API."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from timebank.db import today
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.notifications.models import Notification


@pytest.fixture()
def owner(make_member, auth):
    member_id, user_id = make_member("Prescot Seniors Club", admin_email="owner@example.org")
    return member_id, user_id


def listing(app, listing_id: int) -> Listing:
    with app.app_context():
        found = db.session.get(Listing, listing_id)
        db.session.expunge(found)
        return found


def notifications_of(app, user_id: int) -> list[Notification]:
    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.user_id == user_id)).all()


def test_members_are_warned_once_a_week_before_a_listing_comes_down(app, runner, owner, make_listing, mailbox):
    member_id, user_id = owner
    soon = make_listing(member_id, user_id, title="Coach trip helpers", expires_on=today() + timedelta(days=7))
    make_listing(member_id, user_id, title="Gardening volunteers", expires_on=today() + timedelta(days=8))
    result = runner.invoke(args=["jobs", "run", "listings-expiring"])
    assert result.exit_code == 0 and "1 listings' members warned" in result.output, result.output
    [message] = mailbox.to("owner@example.org")
    body = mailbox.body(message)
    assert "\u201cCoach trip helpers\u201d comes down from the directory on" in body
    assert f"http://exchange.test/listings/{soon}" in body
    [note] = notifications_of(app, user_id)
    assert note.topic == "listings" and note.url == f"/listings/{soon}" and "Coach trip helpers" in note.text
    # Not twice for the same date; the listing's own change time is untouched.
    before = listing(app, soon).updated_at
    runner.invoke(args=["jobs", "run", "listings-expiring"])
    assert len(mailbox.to("owner@example.org")) == 1 and len(notifications_of(app, user_id)) == 1
    assert listing(app, soon).updated_at == before


def test_renewing_in_one_click_keeps_it_up_and_the_new_date_is_warned_of_in_turn(app, client, auth, owner,
                                                                                make_listing):
    member_id, user_id = owner
    listing_id = make_listing(member_id, user_id, title="Coach trip helpers", expires_on=today() + timedelta(days=3))
    auth.login("owner@example.org")
    page = client.get(f"/listings/{listing_id}").data.decode()
    assert "Renew for 90 days" in page
    page = client.post(f"/listings/{listing_id}/renew", follow_redirects=True).data.decode()
    until = today() + timedelta(days=90)
    assert "in the directory until" in page
    renewed = listing(app, listing_id)
    assert (renewed.status, renewed.expires_on, renewed.available_until) == ("open", until, until)
    assert "Renew for 90 days" not in client.get(f"/listings/{listing_id}").data.decode()
    # Renewing again at once would change nothing: refused, clearly.
    page = client.post(f"/listings/{listing_id}/renew", follow_redirects=True).data.decode()
    assert "It is already in the directory until" in page


def test_an_expired_listing_is_renewed_back_into_the_directory(app, client, auth, owner, make_listing):
    from timebank.listings import services

    member_id, user_id = owner
    listing_id = make_listing(member_id, user_id, title="Minibus driver wanted", available_from=today(),
                              available_until=today() + timedelta(days=2))
    with app.app_context():
        services.expire_listings(on=today() + timedelta(days=3))
        db.session.commit()
    assert "Minibus driver wanted" not in client.get("/listings").data.decode()
    auth.login("owner@example.org")
    client.post(f"/listings/{listing_id}/renew")
    assert listing(app, listing_id).status == "open"
    assert "Minibus driver wanted" in client.get("/listings", query_string={"q": "minibus"}).data.decode()


def test_only_the_members_own_people_renew_and_a_withdrawn_listing_cannot_be(app, client, auth, owner, make_listing,
                                                                            make_member):
    from timebank.accounts.models import User
    from timebank.listings import services

    member_id, user_id = owner
    listing_id = make_listing(member_id, user_id, expires_on=today() + timedelta(days=3))
    make_member(admin_email="outsider@example.org")
    auth.login("outsider@example.org")
    assert client.post(f"/listings/{listing_id}/renew").status_code == 403
    assert listing(app, listing_id).expires_on == today() + timedelta(days=3)
    with app.test_request_context():
        services.withdraw_listing(db.session.get(Listing, listing_id), db.session.get(User, user_id))
        db.session.commit()
    auth.logout()
    auth.login("owner@example.org")
    page = client.post(f"/listings/{listing_id}/renew", follow_redirects=True).data.decode()
    assert "only an open or expired listing can be renewed" in page
    assert listing(app, listing_id).status == "withdrawn"


def test_renewing_through_the_api(app, client, owner, make_listing):
    from timebank.accounts.models import User
    from timebank.accounts import tokens

    member_id, user_id = owner
    listing_id = make_listing(member_id, user_id, expires_on=today() + timedelta(days=3))
    with app.test_request_context():
        _, secret = tokens.create_token(db.session.get(User, user_id), name="Our system", scope="read-write")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post(f"/api/v1/listings/{listing_id}/renew", headers=headers)
    assert response.status_code == 200 and response.json["expires_on"] == (today() + timedelta(days=90)).isoformat()
    again = client.post(f"/api/v1/listings/{listing_id}/renew", headers=headers)
    assert again.status_code == 422 and "already in the directory" in again.json["detail"]
    assert client.post("/api/v1/listings/999999/renew", headers=headers).status_code == 404
