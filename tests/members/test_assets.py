"""Rooms and equipment: add, change, remove, and PAT test warnings for electrical items."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from timebank.db import today
from timebank.extensions import db
from timebank.members.models import Asset


def _assets(app, member_id: int) -> list[Asset]:
    with app.app_context():
        return list(db.session.scalars(select(Asset).where(Asset.member_id == member_id).order_by(Asset.id)))


@pytest.fixture()
def signed_in_staff(client, auth, app, make_user, make_member):
    from timebank.members.models import Membership

    member_id, _ = make_member("Halewood Youth Club")
    user_id = make_user("staff@youthclub.example")
    with app.app_context():
        db.session.add(Membership(member_id=member_id, user_id=user_id, role="staff"))
        db.session.commit()
    auth.login("staff@youthclub.example")
    return member_id


def _item(**overrides):
    tested = today() - timedelta(days=100)
    data = {"name": "PA system", "condition": "good", "electrical": "yes", "pat_tested_on": tested.isoformat(),
            "pat_result": "pass", "pat_due_on": (tested + timedelta(days=365)).isoformat(), "deposit": "25"}
    data.update(overrides)
    return data


def test_staff_add_a_room_change_it_and_remove_it(client, app, signed_in_staff):
    member_id = signed_in_staff
    client.post(f"/members/{member_id}/assets/new/room", data={
        "name": "Main hall", "capacity": "80", "step_free": "yes", "facilities": "kitchen, hearing loop",
        "opening_hours": "Weekdays 9am to 5pm"})
    page = client.get(f"/members/{member_id}/assets").data.decode()
    assert "Main hall" in page and "kitchen, hearing loop" in page and "Weekdays 9am to 5pm" in page
    [room] = _assets(app, member_id)
    assert (room.capacity, room.step_free) == (80, True)
    form = client.get(f"/members/{member_id}/assets/{room.id}/edit").data.decode()
    assert 'value="80"' in form
    client.post(f"/members/{member_id}/assets/{room.id}/edit", data={
        "name": "Main hall", "capacity": "60", "step_free": "no"})
    assert (_assets(app, member_id)[0].capacity, _assets(app, member_id)[0].step_free) == (60, False)
    client.post(f"/members/{member_id}/assets/{room.id}/remove")
    assert _assets(app, member_id) == []


def test_bad_room_input_keeps_what_was_typed_and_saves_nothing(client, app, signed_in_staff):
    member_id = signed_in_staff
    page = client.post(f"/members/{member_id}/assets/new/room",
                       data={"name": "Back room", "capacity": "lots"}).data.decode()
    assert "There is a problem" in page
    assert "Enter how many people the room holds, as a number" in page
    assert "Say whether there is step-free access" in page
    assert 'value="Back room"' in page and 'value="lots"' in page
    assert _assets(app, member_id) == []


@pytest.mark.parametrize("overrides, warning", [
    ({}, None),
    ({"pat_result": "fail"}, "Failed PAT test"),
    ({"pat_tested_on": (today() - timedelta(days=400)).isoformat(),
      "pat_due_on": (today() - timedelta(days=35)).isoformat()}, "PAT test overdue"),
    ({"pat_tested_on": (today() - timedelta(days=340)).isoformat(),
      "pat_due_on": (today() + timedelta(days=25)).isoformat()}, "PAT test due soon"),
    ({"pat_tested_on": "", "pat_result": "", "pat_due_on": ""}, "No PAT test recorded"),
])
def test_electrical_items_warn_about_their_pat_test(client, app, signed_in_staff, overrides, warning):
    member_id = signed_in_staff
    response = client.post(f"/members/{member_id}/assets/new/equipment", data=_item(**overrides))
    assert response.status_code == 302
    page = client.get(f"/members/{member_id}/assets").data.decode()
    dashboard = client.get("/dashboard").data.decode()
    for text in ("Failed PAT test", "PAT test overdue", "PAT test due soon", "No PAT test recorded"):
        assert (text in page) == (text == warning)
        assert (text in dashboard) == (text == warning)


def test_items_that_do_not_plug_in_need_no_pat_test(client, app, signed_in_staff):
    member_id = signed_in_staff
    client.post(f"/members/{member_id}/assets/new/equipment",
                data=_item(name="Gazebo", electrical="no", pat_result="fail", insurance_required="y", deposit=""))
    [item] = _assets(app, member_id)
    assert (item.electrical, item.pat_result, item.pat_tested_on, item.insurance_required) == (False, None, None, True)
    assert item.deposit is None  # left blank: no deposit
    assert "Not electrical" in client.get(f"/members/{member_id}/assets").data.decode()


@pytest.mark.parametrize("overrides, message", [
    ({"pat_due_on": (today() - timedelta(days=200)).isoformat()}, "The next test must be due after the last one"),
    ({"pat_result": ""}, "Enter both the date of the last PAT test and its result, or neither"),
    ({"pat_tested_on": (today() + timedelta(days=2)).isoformat()}, "The PAT test date must be today or in the past"),
    ({"pat_due_on": ""}, "Enter when the next PAT test is due"),
    ({"deposit": "-5"}, "Enter a deposit between £0 and £99,999"),
    ({"condition": ""}, "Choose the condition it is in"),
])
def test_bad_equipment_input_is_refused(client, app, signed_in_staff, overrides, message):
    member_id = signed_in_staff
    page = client.post(f"/members/{member_id}/assets/new/equipment", data=_item(**overrides)).data.decode()
    assert message in page and 'value="PA system"' in page
    assert _assets(app, member_id) == []


def test_an_asset_with_an_open_offer_cannot_be_removed(client, app, signed_in_staff, make_listing):
    from timebank.members.models import Membership

    member_id = signed_in_staff
    client.post(f"/members/{member_id}/assets/new/room", data={"name": "Hall", "capacity": "40", "step_free": "yes"})
    [room] = _assets(app, member_id)
    with app.app_context():
        staff_id = db.session.scalar(select(Membership.user_id).where(Membership.member_id == member_id,
                                                                      Membership.role == "staff"))
    make_listing(member_id, staff_id, direction="offer", kind="room", title="Our hall", asset_id=room.id)
    page = client.post(f"/members/{member_id}/assets/{room.id}/remove").data.decode()
    assert "Your offer \u201cOur hall\u201d is for this room. Withdraw it first." in page
    assert len(_assets(app, member_id)) == 1
