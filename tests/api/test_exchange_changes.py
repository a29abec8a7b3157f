"""The API's side of an approved exchange: confirm only once started (dated when it happened),
both sides of a dispute, reschedule, cancel, withdraw and ask for a change, as problem+json 4xx
when refused. The same services as the web pages (tests/exchanges)."""
from datetime import datetime, timedelta

import time_machine

from timebank.bookings.models import uk_now


def _approved(api, world, tokens, *, days=2):
    exchange, leg = world.ids["exchange"], world.ids["leg"]
    api(tokens["staff_a"]).post(f"/api/v1/proposals/{exchange}/accept")
    api(tokens["admin_c"]).post(f"/api/v1/proposals/{exchange}/accept")
    start = (uk_now() + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    approved = api(tokens["coordinator_scope"]).post(f"/api/v1/coordinator/exchanges/{exchange}/approve", json={
        "schedule": [{"leg_id": leg, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}],
        "override_reason": "Arranged by phone"})
    assert approved.status_code == 200, approved.json
    return exchange, leg, start


def test_approval_refuses_the_past_as_a_problem(api, world, tokens):
    exchange, leg = world.ids["exchange"], world.ids["leg"]
    api(tokens["staff_a"]).post(f"/api/v1/proposals/{exchange}/accept")
    api(tokens["admin_c"]).post(f"/api/v1/proposals/{exchange}/accept")
    past = datetime(2021, 3, 1, 10, 0)
    refused = api(tokens["coordinator_scope"]).post(f"/api/v1/coordinator/exchanges/{exchange}/approve", json={
        "schedule": [{"leg_id": leg, "start": past.isoformat(), "end": (past + timedelta(hours=2)).isoformat()}]})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "the start is in the past" in refused.json["detail"]
    assert api(tokens["staff_a"]).get(f"/api/v1/exchanges/{exchange}").json["status"] == "accepted"


def test_a_leg_is_confirmed_once_it_has_started_and_dated_the_day_it_happened(api, world, tokens):
    exchange, leg, start = _approved(api, world, tokens)
    staff_a = api(tokens["staff_a"])
    early = staff_a.post(f"/api/v1/legs/{leg}/confirm", json={"actual_hours": 2})
    assert early.status_code == 409 and "once it has started" in early.json["detail"]
    with time_machine.travel(start + timedelta(days=3), tick=True):
        future = staff_a.post(f"/api/v1/legs/{leg}/confirm", json={
            "actual_hours": 2, "happened_on": str((start + timedelta(days=10)).date())})
        assert future.status_code == 422 and "cannot have happened in the future" in future.json["detail"]
        done = staff_a.post(f"/api/v1/legs/{leg}/confirm", json={
            "actual_hours": 2, "happened_on": str((start + timedelta(days=1)).date())})
        assert done.status_code == 200 and done.json["happened_on"] == str((start + timedelta(days=1)).date())
        line = staff_a.get(f"/api/v1/members/{world.ids['member_a']}/statement").json["items"][0]
        assert line["amount"] == -2 and line["happened_on"] == str((start + timedelta(days=1)).date())


def test_two_sided_dispute_and_settlement_through_the_api(api, world, tokens):
    exchange, leg, start = _approved(api, world, tokens)
    staff_a, admin_c, coordinator = api(tokens["staff_a"]), api(tokens["admin_c"]), api(tokens["coordinator_scope"])
    with time_machine.travel(start + timedelta(hours=3), tick=True):
        assert staff_a.post(f"/api/v1/legs/{leg}/dispute", json={"reason": "Only half done"}).status_code == 200
        assert staff_a.post(f"/api/v1/legs/{leg}/side", json={"side": "Not mine to say"}).status_code == 403
        side = admin_c.post(f"/api/v1/legs/{leg}/side", json={"side": "We finished; the keys were late"})
        assert side.status_code == 200 and side.json["giver_side"] == "We finished; the keys were late"
        settled = coordinator.post(f"/api/v1/coordinator/legs/{leg}/settle", json={
            "outcome": "confirm", "actual_hours": 1.5, "note": "Agreed 1.5 hours"})
        assert settled.status_code == 200 and settled.json["status"] == "confirmed"
        seen = staff_a.get(f"/api/v1/exchanges/{exchange}").json["legs"][0]
        assert seen["settlement_note"] == "Agreed 1.5 hours" and seen["dispute_reason"] == "Only half done"


def test_reschedule_change_request_and_withdraw_through_the_api(api, world, tokens):
    exchange, leg, start = _approved(api, world, tokens)
    staff_a, coordinator = api(tokens["staff_a"]), api(tokens["coordinator_scope"])
    asked = staff_a.post(f"/api/v1/exchanges/{exchange}/change-requests", json={"reason": "A week later, please"})
    assert asked.status_code == 201 and asked.json["reason"] == "A week later, please"
    later = start + timedelta(days=7)
    no_reason = coordinator.post(f"/api/v1/coordinator/exchanges/{exchange}/reschedule", json={
        "schedule": [{"leg_id": leg, "start": later.isoformat(), "end": (later + timedelta(hours=2)).isoformat()}]})
    assert no_reason.status_code == 422
    moved = coordinator.post(f"/api/v1/coordinator/exchanges/{exchange}/reschedule", json={
        "schedule": [{"leg_id": leg, "start": later.isoformat(), "end": (later + timedelta(hours=2)).isoformat()}],
        "reason": "As A asked", "override_reason": "Arranged by phone"})
    assert moved.status_code == 200, moved.json
    assert moved.json["legs"][0]["scheduled_start"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    gone = staff_a.post(f"/api/v1/exchanges/{exchange}/withdraw", json={"reason": "Our hall closed"})
    assert gone.status_code == 200 and gone.json["status"] == "cancelled"
    again = staff_a.post(f"/api/v1/exchanges/{exchange}/withdraw", json={"reason": "Twice"})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_a_coordinator_cancels_through_the_api(api, world, tokens):
    exchange, leg, _ = _approved(api, world, tokens)
    coordinator = api(tokens["coordinator_scope"])
    assert coordinator.post(f"/api/v1/coordinator/legs/{leg}/cancel", json={"reason": " "}).status_code == 422
    cancelled = coordinator.post(f"/api/v1/coordinator/exchanges/{exchange}/cancel", json={"reason": "Duplicate"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["legs"][0]["cancel_reason"] == "Duplicate"
