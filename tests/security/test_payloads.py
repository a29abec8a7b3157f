"""Stored XSS and SQL injection payloads typed into text fields are stored as text and shown inert."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from timebank.db import today
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Member

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
SQLI = "Robert'); DROP TABLE listings; -- ' OR '1'='1"
PAYLOADS = [pytest.param(XSS, id="xss"), pytest.param(SQLI, id="sqli")]


def _inert(page: str, payload: str) -> None:
    assert "<script>alert(" not in page
    assert "onerror=alert(1)>" not in page
    if payload == XSS:
        assert "&lt;script&gt;alert(" in page  # shown, as text
    else:
        assert "DROP TABLE listings" in page


def _tables_intact(app) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Listing)) is not None
        assert db.session.scalar(select(func.count()).select_from(Member)) is not None


@pytest.mark.parametrize("payload", PAYLOADS)
def test_member_profile_fields(client, auth, make_user, app, payload):
    make_user("xss@example.org")
    auth.login("xss@example.org")
    response = client.post("/members/register", data={
        "name": f"Group {payload}"[:160], "type": "community_group", "postcode": "L36 9YS",
        "description": payload, "areas_served": payload[:400]}, follow_redirects=True)
    assert response.status_code == 200
    _inert(response.data.decode(), payload)
    _tables_intact(app)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_listing_title_and_description(client, auth, make_member, categories, app, payload):
    member_id, _ = make_member("Payload Group", admin_email="payload@example.org")
    auth.login("payload@example.org")
    response = client.post(f"/members/{member_id}/listings/new", data={
        "direction": "need", "kind": "time", "category_id": categories["food-bank-shifts"],
        "title": payload[:140], "description": payload, "quantity": "2", "people": "1",
        "available_from": today().isoformat(), "available_until": (today() + timedelta(days=10)).isoformat(),
        "availability": "weekly", "week": ["monday-morning"], "location": "at_receiver", "travel_km": "5", "urgency": "2"},
        follow_redirects=True)
    _inert(response.data.decode(), payload)
    _inert(client.get("/listings").data.decode(), payload)
    _inert(client.get("/dashboard").data.decode(), payload)
    _tables_intact(app)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_directory_search_words(client, app, payload):
    response = client.get("/listings", query_string={"q": payload})
    assert response.status_code == 200
    page = response.data.decode()
    assert "<script>alert(" not in page
    _tables_intact(app)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_coordinator_reason_is_emailed_and_shown_as_text(client, auth, make_user, make_member, mailbox, app, payload):
    member_id, _ = make_member("Pending Group", status="pending", admin_email="pend@example.org")
    make_user("coord@example.org", coordinator=True)
    auth.login("coord@example.org")
    client.post(f"/coordinator/members/{member_id}/reject", data={"reason": payload})
    auth.logout()
    auth.login("pend@example.org")
    _inert(client.get(f"/members/{member_id}").data.decode(), payload)
    _tables_intact(app)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_recorded_help_description(client, auth, make_member, app, payload):
    giver, _ = make_member("Giver", admin_email="g@example.org")
    receiver, _ = make_member("Receiver", admin_email="r@example.org")
    auth.login("g@example.org")
    response = client.post(f"/members/{giver}/record-help", data={
        "direction": "gave", "other_member_id": receiver, "kind": "time", "hours": "1", "people": "1",
        "description": payload[:300], "happened_on": today().isoformat()}, follow_redirects=True)
    _inert(response.data.decode(), payload)
    _tables_intact(app)
