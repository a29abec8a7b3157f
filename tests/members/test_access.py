"""The members' loaders, called directly: each answer the web pages and the API share.

The web passes `current_user` and turns NotFound / NotAllowed into its 404 / 403 page; the API
passes its token's person and answers a problem. The last tests follow one case through both edges.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from timebank.accounts.models import User
from timebank.db import today
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.members.access import (load_asset, load_invitation, load_member, load_membership, load_record)
from timebank.members.models import Asset, ComplianceRecord, Invitation, Membership

ANYONE = AnonymousUserMixin()


@pytest.fixture()
def people(app, make_user, make_member):
    """An active member with an admin and a staff member, a pending one, an outsider and a coordinator,
    and one of each of the active member's rows (a room, a record, an invitation, the staff's place)."""
    active_id, admin_id = make_member("Halewood Youth Club", admin_email="admin@youth.example")
    pending_id, pending_admin_id = make_member("Prescot Newcomers", status="pending")
    other_id, outsider_id = make_member("Kirkby Seniors")
    staff_id = make_user("staff@youth.example")
    coordinator_id = make_user("coordinator@example.org", coordinator=True)
    with app.app_context():
        staff = Membership(member_id=active_id, user_id=staff_id, role="staff")
        room = Asset(member_id=active_id, kind="room", name="Sports hall", capacity=40)
        other_room = Asset(member_id=other_id, kind="room", name="Lounge", capacity=20)
        record = ComplianceRecord(member_id=active_id, kind="safeguarding", policy_held=True,
                                  expires_on=today() + timedelta(days=300))
        invitation = Invitation(member_id=active_id, email="new@youth.example", role="staff")
        db.session.add_all([staff, room, other_room, record, invitation])
        db.session.commit()
        ids = dict(active=active_id, pending=pending_id, other=other_id, admin=admin_id, staff=staff_id,
                   pending_admin=pending_admin_id, outsider=outsider_id, coordinator=coordinator_id,
                   staff_place=staff.id, room=room.id, other_room=other_room.id, record=record.id,
                   invitation=invitation.id)
    with app.test_request_context():
        yield ids


def user(ids, who):
    return ANYONE if who == "anyone" else db.session.get(User, ids[who])


def test_a_member_that_does_not_exist_is_not_found(people):
    with pytest.raises(NotFound, match="There is no member 999999"):
        load_member(999999, user(people, "coordinator"), need="view")


@pytest.mark.parametrize("need", ["view", "act", "manage"])
@pytest.mark.parametrize("who", ["anyone", "outsider", "staff"])
def test_a_pending_member_is_not_found_by_anyone_who_does_not_act_for_it(people, who, need):
    """Not "not allowed": that would tell an outsider the member exists."""
    with pytest.raises(NotFound, match=f"There is no member {people['pending']}"):
        load_member(people["pending"], user(people, who), need=need)


@pytest.mark.parametrize("who", ["pending_admin", "coordinator"])
@pytest.mark.parametrize("need", ["view", "act", "manage"])
def test_a_pending_member_is_found_by_its_own_people_and_coordinators(people, who, need):
    assert load_member(people["pending"], user(people, who), need=need).name == "Prescot Newcomers"


@pytest.mark.parametrize("who", ["anyone", "outsider", "staff", "admin", "coordinator"])
def test_anyone_may_view_an_active_member(people, who):
    assert load_member(people["active"], user(people, who)).name == "Halewood Youth Club"


@pytest.mark.parametrize("who", ["anyone", "outsider"])
def test_only_its_people_act_for_a_member(people, who):
    with pytest.raises(NotAllowed, match="You do not act for Halewood Youth Club"):
        load_member(people["active"], user(people, who), need="act")


@pytest.mark.parametrize("who", ["staff", "admin", "coordinator"])
def test_its_people_and_coordinators_act_for_a_member(people, who):
    assert load_member(people["active"], user(people, who), need="act").id == people["active"]


@pytest.mark.parametrize("who", ["anyone", "outsider", "staff"])
def test_only_its_admins_and_coordinators_manage_a_member(people, who):
    with pytest.raises(NotAllowed, match="Only admins of Halewood Youth Club and coordinators can change"):
        load_member(people["active"], user(people, who), need="manage")


@pytest.mark.parametrize("who", ["admin", "coordinator"])
def test_admins_and_coordinators_manage_a_member(people, who):
    assert load_member(people["active"], user(people, who), need="manage").id == people["active"]


def test_an_unknown_need_is_a_programming_error(people):
    with pytest.raises(ValueError):
        load_member(people["active"], user(people, "admin"), need="own")


# -- a member's rows -----------------------------------------------------------------------

def test_a_room_is_loaded_for_its_members_people_and_coordinators(people):
    for who in ("staff", "admin", "coordinator"):
        assert load_asset(people["active"], people["room"], user(people, who)).name == "Sports hall"


def test_a_room_is_not_found_through_another_member_or_when_missing(people):
    for asset_id in (people["other_room"], 999999):
        with pytest.raises(NotFound, match=f"There is no room or item {asset_id} at Halewood Youth Club"):
            load_asset(people["active"], asset_id, user(people, "admin"))


def test_an_outsider_is_not_allowed_a_room_and_a_pending_members_room_is_not_found(people):
    with pytest.raises(NotAllowed, match="You do not act for Halewood Youth Club"):
        load_asset(people["active"], people["room"], user(people, "outsider"))
    with pytest.raises(NotFound, match=f"There is no member {people['pending']}"):
        load_asset(people["pending"], people["room"], user(people, "outsider"))


def test_a_compliance_record_is_for_the_members_people_and_coordinators_only(people):
    for who in ("staff", "admin", "coordinator"):
        assert load_record(people["active"], people["record"], user(people, who)).kind == "safeguarding"
    with pytest.raises(NotAllowed):
        load_record(people["active"], people["record"], user(people, "outsider"))
    with pytest.raises(NotFound, match=f"There is no record {people['record']} at Kirkby Seniors"):
        load_record(people["other"], people["record"], user(people, "outsider"))  # its own member, not this record's


def test_invitations_and_peoples_places_are_for_admins_and_coordinators(people):
    for who in ("admin", "coordinator"):
        assert load_invitation(people["active"], people["invitation"], user(people, who)).email == "new@youth.example"
        assert load_membership(people["active"], people["staff_place"], user(people, who)).role == "staff"
    with pytest.raises(NotAllowed, match="Only admins of Halewood Youth Club"):
        load_invitation(people["active"], people["invitation"], user(people, "staff"))
    with pytest.raises(NotAllowed, match="Only admins of Halewood Youth Club"):
        load_membership(people["active"], people["staff_place"], user(people, "staff"))
    assert load_membership(people["active"], people["staff_place"], user(people, "staff"), need="act").role == "staff"
    with pytest.raises(NotFound, match="There is no invitation 999999 at Halewood Youth Club"):
        load_invitation(people["active"], 999999, user(people, "admin"))


# -- both edges answer the same case -------------------------------------------------------

def test_an_outsider_is_told_a_pending_member_is_not_found_on_the_web_and_in_the_api(
        app, client, auth, make_user, make_member):
    from timebank.accounts import tokens

    pending_id, _ = make_member("Prescot Newcomers", status="pending")
    make_member("Kirkby Seniors", admin_email="seniors@example.org")
    auth.login("seniors@example.org")
    for path in (f"/members/{pending_id}", f"/members/{pending_id}/edit", f"/members/{pending_id}/assets"):
        assert client.get(path).status_code == 404, path
    with app.test_request_context():
        outsider = db.session.scalar(db.select(User).where(User.email == "seniors@example.org"))
        _token, secret = tokens.create_token(outsider, name="API test", scope="read-write")
        db.session.commit()
    answer = client.get(f"/api/v1/members/{pending_id}/balance", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 404
    assert answer.json["detail"] == f"There is no member {pending_id}"


def test_the_web_shows_the_loaders_reason_on_its_403_page(client, auth, make_member):
    member_id, _ = make_member("Halewood Youth Club")
    make_member("Kirkby Seniors", admin_email="seniors@example.org")
    auth.login("seniors@example.org")
    page = client.get(f"/members/{member_id}/edit")
    assert page.status_code == 403
    assert "Only admins of Halewood Youth Club and coordinators can change its profile" in page.get_data(as_text=True)
