"""Joining a member, invitations, roles, removing people and leaving."""
import re

from sqlalchemy import select

from tests.conftest import PASSWORD
from timebank.accounts.models import User
from timebank.extensions import db
from timebank.members.models import Invitation, Membership


def _link(mailbox, address: str) -> str:
    body = mailbox.body(mailbox.to(address)[-1])
    return re.search(r"http://exchange\.test(/\S+)", body).group(1)


def _membership(app, member_id: int, email: str) -> Membership | None:
    with app.app_context():
        return db.session.scalar(select(Membership).join(User).where(
            Membership.member_id == member_id, User.email == email))


def _add(app, member_id: int, user_id: int, role: str = "staff", status: str = "active") -> int:
    with app.app_context():
        membership = Membership(member_id=member_id, user_id=user_id, role=role, status=status)
        db.session.add(membership)
        db.session.commit()
        return membership.id


def test_a_person_finds_a_member_asks_to_join_and_an_admin_lets_them_in(
        client, auth, app, make_user, make_member, mailbox):
    member_id, _ = make_member("Kirkby Community Food Bank", admin_email="admin@foodbank.example")
    make_member("Halewood Youth Club")
    make_user("newcomer@example.org", name="Nia Newcomer")
    auth.login("newcomer@example.org")
    found = client.get("/members/join?q=food+bank").data.decode()
    assert "Kirkby Community Food Bank" in found and "Halewood Youth Club" not in found

    asked = client.post(f"/members/{member_id}/join", follow_redirects=True).data.decode()
    assert "You have asked to join Kirkby Community Food Bank" in asked
    assert "Waiting for an answer" in asked
    [email] = mailbox.to("admin@foodbank.example")
    assert "Nia Newcomer asked to join" in email["Subject"]
    people_url = _link(mailbox, "admin@foodbank.example")
    assert people_url == f"/members/{member_id}/people"
    # A second request is refused, not duplicated.
    again = client.post(f"/members/{member_id}/join", follow_redirects=True).data.decode()
    assert "You have already asked to join" in again

    auth.logout()
    auth.login("admin@foodbank.example")
    page = client.get(people_url).data.decode()
    assert "Asking to join" in page and "newcomer@example.org" in page
    request_id = _membership(app, member_id, "newcomer@example.org").id
    done = client.post(f"/members/{member_id}/people/{request_id}/approve", follow_redirects=True).data.decode()
    assert "Nia Newcomer has joined" in done
    assert _membership(app, member_id, "newcomer@example.org").status == "active"
    assert "You have joined Kirkby Community Food Bank" in mailbox.to("newcomer@example.org")[-1]["Subject"]


def test_declining_a_request_tells_the_person_and_removes_it(client, auth, app, make_user, make_member, mailbox):
    member_id, _ = make_member("Prescot Seniors", admin_email="admin@prescot.example")
    asker = make_user("asker@example.org")
    request_id = _add(app, member_id, asker, status="requested")
    auth.login("admin@prescot.example")
    client.post(f"/members/{member_id}/people/{request_id}/decline")
    assert _membership(app, member_id, "asker@example.org") is None
    [email] = mailbox.to("asker@example.org")
    assert "did not accept your request" in mailbox.body(email)


def test_staff_cannot_approve_requests(client, auth, app, make_user, make_member):
    member_id, _ = make_member()
    staff = make_user("staff@example.org")
    _add(app, member_id, staff)
    request_id = _add(app, member_id, make_user("asker@example.org"), status="requested")
    auth.login("staff@example.org")
    assert client.post(f"/members/{member_id}/people/{request_id}/approve").status_code == 403
    assert _membership(app, member_id, "asker@example.org").status == "requested"


def test_an_invitation_lets_someone_without_an_account_create_one_and_join(
        client, auth, app, make_member, mailbox):
    member_id, _ = make_member("Huyton Men's Shed", admin_email="admin@shed.example")
    auth.login("admin@shed.example")
    sent = client.post(f"/members/{member_id}/people/invite", data={"email": "New.Person@Example.org", "role": "staff"},
                       follow_redirects=True).data.decode()
    assert "We have emailed an invitation to new.person@example.org" in sent
    assert "Invitations waiting to be accepted" in sent and "new.person@example.org" in sent
    link = _link(mailbox, "new.person@example.org")
    auth.logout()

    page = client.get(link).data.decode()
    assert "Create your account" in page
    bad = client.post(link, data={"display_name": "Pat", "password": "short", "confirm": "short"}).data.decode()
    assert "Password must be at least 10 characters" in bad and 'value="Pat"' in bad
    assert _membership(app, member_id, "new.person@example.org") is None
    joined = client.post(link, data={"display_name": "Pat", "password": PASSWORD, "confirm": PASSWORD},
                         follow_redirects=True).data.decode()
    assert "Welcome to Huyton Men&#39;s Shed" in joined and "Signed in as" in joined
    membership = _membership(app, member_id, "new.person@example.org")
    assert (membership.role, membership.status) == ("staff", "active")
    # The link is single-use.
    again = client.get(link)
    assert again.status_code == 404 and b"already been accepted" in again.data


def test_an_existing_account_signs_in_to_accept_and_only_the_invited_address_can(
        client, auth, app, make_user, make_member, mailbox):
    member_id, _ = make_member(admin_email="admin@org.example")
    make_user("invitee@example.org")
    make_user("someone.else@example.org")
    auth.login("admin@org.example")
    client.post(f"/members/{member_id}/people/invite", data={"email": "invitee@example.org", "role": "admin"})
    link = _link(mailbox, "invitee@example.org")
    auth.logout()
    assert b"Sign in to accept" in client.get(link).data

    auth.login("someone.else@example.org")
    assert b"but the invitation is for invitee@example.org" in client.get(link).data
    client.post(link)
    assert _membership(app, member_id, "someone.else@example.org") is None
    auth.logout()

    auth.login("invitee@example.org")
    client.post(link)
    assert _membership(app, member_id, "invitee@example.org").role == "admin"


def test_a_cancelled_invitation_link_stops_working(client, auth, app, make_member, mailbox):
    member_id, _ = make_member(admin_email="admin@org.example")
    auth.login("admin@org.example")
    client.post(f"/members/{member_id}/people/invite", data={"email": "later@example.org", "role": "staff"})
    link = _link(mailbox, "later@example.org")
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    client.post(f"/members/{member_id}/invitations/{invitation_id}/cancel")
    auth.logout()
    response = client.get(link)
    assert response.status_code == 404 and b"cancelled" in response.data
    assert client.get(link[:-3] + "abc").status_code == 404  # a tampered link


def test_inviting_someone_already_in_the_member_is_refused_beside_the_field(client, auth, app, make_member):
    member_id, _ = make_member(admin_email="admin@org.example")
    auth.login("admin@org.example")
    page = client.post(f"/members/{member_id}/people/invite",
                       data={"email": "admin@org.example", "role": "staff"}).data.decode()
    assert "There is a problem" in page and "admin@org.example is already part of" in page
    bad = client.post(f"/members/{member_id}/people/invite", data={"email": "not an email", "role": "staff"})
    assert b"Enter an email address in the right format" in bad.data and b'value="not an email"' in bad.data
    with app.app_context():
        assert db.session.scalar(select(Invitation.id)) is None


def test_roles_change_but_a_member_always_keeps_an_admin(client, auth, app, make_user, make_member):
    member_id, admin_id = make_member(admin_email="admin@org.example")
    admin_membership = _membership(app, member_id, "admin@org.example").id
    staff_membership = _add(app, member_id, make_user("staff@example.org"))
    auth.login("admin@org.example")
    refused = client.post(f"/members/{member_id}/people/{admin_membership}/role", data={"role": "staff"})
    assert b"is the only admin" in refused.data
    assert _membership(app, member_id, "admin@org.example").role == "admin"
    removed = client.post(f"/members/{member_id}/people/{admin_membership}/remove")
    assert b"is the only admin" in removed.data
    left = client.post(f"/members/{member_id}/leave")
    assert b"You are the only admin" in left.data
    assert _membership(app, member_id, "admin@org.example") is not None

    client.post(f"/members/{member_id}/people/{staff_membership}/role", data={"role": "admin"})
    assert _membership(app, member_id, "staff@example.org").role == "admin"
    # With a second admin the first may step down, and then leave.
    client.post(f"/members/{member_id}/people/{admin_membership}/role", data={"role": "staff"})
    assert _membership(app, member_id, "admin@org.example").role == "staff"
    done = client.post(f"/members/{member_id}/leave", follow_redirects=True).data.decode()
    assert "You have left" in done
    assert _membership(app, member_id, "admin@org.example") is None


def test_an_admin_removes_staff_after_a_confirmation_page(client, auth, app, make_user, make_member):
    member_id, _ = make_member("Stockbridge Village Trust", admin_email="admin@org.example")
    staff_membership = _add(app, member_id, make_user("staff@example.org", name="Sam Staff"))
    auth.login("admin@org.example")
    confirm = client.get(f"/members/{member_id}/people/{staff_membership}/remove").data.decode()
    assert "Remove Sam Staff?" in confirm
    assert _membership(app, member_id, "staff@example.org") is not None  # looking is not removing
    done = client.post(f"/members/{member_id}/people/{staff_membership}/remove", follow_redirects=True)
    assert b"Sam Staff has been removed from Stockbridge Village Trust" in done.data
    assert _membership(app, member_id, "staff@example.org") is None


def test_staff_see_their_colleagues_but_cannot_change_them(client, auth, app, make_user, make_member):
    member_id, _ = make_member(admin_email="admin@org.example")
    staff_membership = _add(app, member_id, make_user("staff@example.org"))
    auth.login("staff@example.org")
    page = client.get(f"/members/{member_id}/people").data.decode()
    assert "admin@org.example" in page and "Invite someone" not in page and "Change role" not in page
    assert client.post(f"/members/{member_id}/people/{staff_membership}/role", data={"role": "admin"}).status_code == 403
    assert client.get(f"/members/{member_id}/people/invite").status_code == 403


def test_a_coordinator_manages_any_members_people(client, auth, app, make_user, make_member, mailbox):
    member_id, _ = make_member(admin_email="admin@org.example")
    staff_membership = _add(app, member_id, make_user("staff@example.org"))
    make_user("coord@example.org", coordinator=True)
    auth.login("coord@example.org")
    client.post(f"/members/{member_id}/people/{staff_membership}/role", data={"role": "admin"})
    assert _membership(app, member_id, "staff@example.org").role == "admin"
    client.post(f"/members/{member_id}/people/invite", data={"email": "helper@example.org", "role": "staff"})
    assert len(mailbox.to("helper@example.org")) == 1
