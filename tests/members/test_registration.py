"""Registering a member, vetting by a coordinator, and registration numbers."""
import pytest
from sqlalchemy import select

from timebank.extensions import db
from timebank.members.models import Member, Membership
from timebank.members.services import clean_charity_number, clean_company_number
from timebank.errors import DomainError

GOOD = {"name": "Halewood Youth Club", "type": "community_group", "postcode": "l26 1uu",
        "description": "Evening youth sessions."}


def test_register_makes_a_pending_member_with_you_as_admin(client, auth, make_user, app):
    user_id = make_user("ann@example.org")
    auth.login("ann@example.org")
    response = client.post("/members/register", data=GOOD, follow_redirects=True)
    assert b"A coordinator will check it" in response.data
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.name == "Halewood Youth Club"))
        assert member.status == "pending"
        assert member.postcode == "L26 1UU" and member.town == "Halewood"
        # the postcode's own point (OS Code-Point Open), not Halewood's district centre (53.367, -2.835)
        assert (member.latitude, member.longitude, member.location_precision) == (53.36228, -2.83918, "postcode")
        membership = db.session.scalar(select(Membership).where(Membership.member_id == member.id))
        assert (membership.user_id, membership.role) == (user_id, "admin")


def test_bad_registration_keeps_input_and_saves_nothing(client, auth, make_user, app):
    make_user("bob@example.org")
    auth.login("bob@example.org")
    data = dict(GOOD, postcode="SW1A 1AA", charity_number="12")
    response = client.post("/members/register", data=data)
    page = response.data.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a charity number of 6 or 7 digits" in page or "Enter a postcode in or near Knowsley" in page
    assert 'value="Halewood Youth Club"' in page
    with app.app_context():
        assert db.session.scalar(select(Member).where(Member.name == "Halewood Youth Club")) is None


def test_coordinator_approves_and_the_admins_are_emailed(client, auth, make_user, make_member, mailbox, app):
    member_id, _ = make_member("Prescot Seniors Lunch Club", status="pending", admin_email="pat@example.org")
    make_user("coord@example.org", coordinator=True)
    auth.login("coord@example.org")
    assert b"Prescot Seniors Lunch Club" in client.get("/coordinator/").data
    response = client.post(f"/coordinator/members/{member_id}/approve", follow_redirects=True)
    assert b"is approved" in response.data
    with app.app_context():
        assert db.session.get(Member, member_id).status == "active"
    [message] = mailbox.to("pat@example.org")
    assert "approved" in message["Subject"]


def test_rejecting_needs_a_reason_which_is_emailed(client, auth, make_user, make_member, mailbox, app):
    member_id, _ = make_member("Mystery Group", status="pending", admin_email="quin@example.org")
    make_user("coord@example.org", coordinator=True)
    auth.login("coord@example.org")
    empty = client.post(f"/coordinator/members/{member_id}/reject", data={"reason": "  "})
    assert b"Enter the reason" in empty.data
    with app.app_context():
        assert db.session.get(Member, member_id).status == "pending"
    client.post(f"/coordinator/members/{member_id}/reject", data={"reason": "We could not find the group."})
    with app.app_context():
        member = db.session.get(Member, member_id)
        assert (member.status, member.status_reason) == ("rejected", "We could not find the group.")
    [message] = mailbox.to("quin@example.org")
    assert "We could not find the group." in mailbox.body(message)


def test_only_coordinators_reach_the_coordinator_desk(client, auth, make_member):
    member_id, _ = make_member(status="pending", admin_email="ray@example.org")
    auth.login("ray@example.org")
    assert client.get("/coordinator/").status_code == 403
    assert client.post(f"/coordinator/members/{member_id}/approve").status_code == 403


@pytest.mark.parametrize("raw, clean", [("1234567", "1234567"), ("123456", "123456"), ("1234567-1", "1234567-1"),
                                        ("sc012345", "SC012345"), ("", None), (" 1164 210 ", "1164210")])
def test_charity_numbers_accepted(raw, clean):
    assert clean_charity_number(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "12345678", "AB123456", "1234567-", "SC12345"])
def test_charity_numbers_refused(raw):
    with pytest.raises(DomainError, match="charity number"):
        clean_charity_number(raw)


@pytest.mark.parametrize("raw, clean", [("01234567", "01234567"), ("1234567", "01234567"), ("sc123456", "SC123456"),
                                        ("OC345678", "OC345678"), (None, None)])
def test_company_numbers_accepted(raw, clean):
    assert clean_company_number(raw) == clean


@pytest.mark.parametrize("raw", ["123456789", "S1234567", "ABC12345", "12-34567"])
def test_company_numbers_refused(raw):
    with pytest.raises(DomainError, match="company number"):
        clean_company_number(raw)
