"""What each API resource does, as an integrating system would notice it."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import select

from timebank.db import today
from timebank.extensions import db


def _need(member_id: int, category_id: int, **overrides) -> dict:
    body = {"member_id": member_id, "direction": "need", "kind": "time", "category_id": category_id,
            "title": "Volunteers for a litter pick", "quantity": 6, "available_from": str(today()),
            "available_until": str(today() + timedelta(days=30)), "postcode": "L36 9YS"}
    body.update(overrides)
    return body


def test_a_token_is_shown_once_stored_hashed_and_notes_when_it_was_used(app, client, auth, make_user, api):
    from timebank.accounts.tokens import ApiToken

    make_user("it@example.org")
    auth.login("it@example.org")
    page = client.post("/account/tokens", data={"name": "Our CRM", "scope": "read-write"}).get_data(as_text=True)
    secret = re.search(r'<pre id="token-secret">(tbk_[A-Za-z0-9_-]+)</pre>', page).group(1)
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Our CRM"))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.last_used_at is None and token.scope == "read-write"
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and token.prefix in listing and "Never" in listing
    me = api(secret).get("/api/v1/me").json
    assert me["email"] == "it@example.org" and me["token_scope"] == "read-write" and me["is_coordinator"] is False
    with app.app_context():
        assert db.session.get(ApiToken, token.id).last_used_at is not None
    # A blank name is refused beside the field, and nothing is made.
    page = client.post("/account/tokens", data={"name": "", "scope": "read"}).get_data(as_text=True)
    assert "Enter a name" in page
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 1


def test_post_a_need_then_find_it_in_the_directory_near_a_postcode(api, world, tokens, categories):
    staff_a = api(tokens["staff_a"])
    response = staff_a.post("/api/v1/listings", json=_need(world.ids["member_a"], categories["bookkeeping"]))
    assert response.status_code == 201, response.json
    created = response.json
    assert created["status"] == "open" and created["town"] == "Huyton" and created["unit"] == "hours"
    assert response.headers["Location"].endswith(f"/api/v1/listings/{created['id']}")
    found = staff_a.get("/api/v1/listings?q=litter&direction=need").json
    assert [item["id"] for item in found["items"]] == [created["id"]]
    near = staff_a.get("/api/v1/listings?postcode=L36 9YS&within_km=1&kind=time").json
    assert near["items"][0]["id"] == created["id"] and near["items"][0]["distance_km"] == 0
    assert staff_a.get("/api/v1/listings?postcode=L32 1TA&within_km=1&kind=time").json["total"] == 0


def test_bad_input_is_a_problem_with_each_field_named_and_nothing_is_saved(app, api, world, tokens, categories):
    from timebank.listings.models import Listing

    staff_a = api(tokens["staff_a"])
    gift_need = staff_a.post("/api/v1/listings", json=_need(world.ids["member_a"], categories["bookkeeping"],
                                                            is_gift=True))
    assert gift_need.status_code == 422 and gift_need.content_type == "application/problem+json"
    assert gift_need.json["errors"] == {"is_gift": ["Only an offer can be a gift"]}
    typed = staff_a.post("/api/v1/listings", json=_need(world.ids["member_a"], categories["bookkeeping"],
                                                        quantity="6", colour="red", postcode="ZZ99 9ZZ"))
    assert typed.status_code == 422
    assert set(typed.json["errors"]) == {"quantity", "colour"}
    outside = staff_a.post("/api/v1/listings", json=_need(world.ids["member_a"], categories["bookkeeping"],
                                                          postcode="ZZ99 9ZZ"))
    assert outside.status_code == 422 and "postcode" in outside.json["errors"]
    broken = staff_a.post("/api/v1/listings", data="{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json["type"] == "/api/v1/problems/malformed"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Listing)) == 1  # only the world's own


def test_change_and_withdraw_a_listing_and_sync_by_updated_since(api, world, tokens):
    staff_a = api(tokens["staff_a"])
    listing = world.ids["listing_a"]
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    first = staff_a.get(f"/api/v1/listings/{listing}")
    assert staff_a.get(f"/api/v1/listings/{listing}", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    changed = staff_a.patch(f"/api/v1/listings/{listing}", json={"title": "Help with our year-end accounts"})
    assert changed.status_code == 200 and changed.json["title"] == "Help with our year-end accounts"
    again = staff_a.get(f"/api/v1/listings/{listing}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert staff_a.post(f"/api/v1/listings/{listing}/withdraw").json["status"] == "withdrawn"
    again = staff_a.post(f"/api/v1/listings/{listing}/withdraw")  # already withdrawn
    assert again.status_code == 409 and again.json["type"] == "/api/v1/problems/wrong-state"
    # The directory no longer shows it; the sync feed does, with its new status.
    assert listing not in [i["id"] for i in staff_a.get("/api/v1/listings").json["items"]]
    synced = staff_a.get("/api/v1/listings", query_string={"updated_since": before.isoformat()}).json
    assert [(i["id"], i["status"]) for i in synced["items"]] == [(listing, "withdrawn")]


def test_lists_are_paged_with_links_in_the_body_and_the_link_header(api, world, tokens, make_member):
    for n in range(3):
        make_member(f"Paging Trust {n}")
    staff_a = api(tokens["staff_a"])
    first = staff_a.get("/api/v1/members?per_page=2")
    body = first.json
    assert body["page"] == 1 and body["per_page"] == 2 and body["total"] == 6 and body["pages"] == 3
    assert body["links"]["prev"] is None and "page=2" in body["links"]["next"]
    assert 'rel="next"' in first.headers["Link"] and "page=3" in first.headers["Link"]
    last = staff_a.get(body["links"]["last"]).json
    assert last["links"]["next"] is None and len(last["items"]) == 2
    names = {m["name"] for page in (body, staff_a.get(body["links"]["next"]).json, last) for m in page["items"]}
    assert len(names) == 6


def test_a_proposal_accepted_approved_and_confirmed_moves_credits(app, api, world, tokens):
    exchange, leg = world.ids["exchange"], world.ids["leg"]
    a, c = world.ids["member_a"], world.ids["member_c"]
    staff_a, admin_c = api(tokens["staff_a"]), api(tokens["admin_c"])
    assert [p["id"] for p in staff_a.get("/api/v1/proposals").json["items"]] == [exchange]
    assert staff_a.post(f"/api/v1/proposals/{exchange}/accept").json["status"] == "proposed"
    assert staff_a.post(f"/api/v1/proposals/{exchange}/accept").status_code == 409  # answered already
    assert admin_c.post(f"/api/v1/proposals/{exchange}/accept").json["status"] == "accepted"
    coordinator = api(tokens["coordinator_scope"])
    start = (datetime.now() + timedelta(days=2)).replace(microsecond=0)
    approved = coordinator.post(f"/api/v1/coordinator/exchanges/{exchange}/approve", json={"schedule": [
        {"leg_id": leg, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}]})
    assert approved.status_code == 200 and approved.json["status"] == "scheduled"
    assert admin_c.post(f"/api/v1/legs/{leg}/confirm", json={"actual_hours": 2}).status_code == 403  # C gave it
    early = staff_a.post(f"/api/v1/legs/{leg}/confirm", json={"actual_hours": 2.5, "actual_people": 1})
    assert early.status_code == 409  # it has not happened yet
    with time_machine.travel(start + timedelta(hours=3), tick=True):
        confirmed = staff_a.post(f"/api/v1/legs/{leg}/confirm", json={"actual_hours": 2.5, "actual_people": 1})
        assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
        assert staff_a.get(f"/api/v1/members/{a}/balance").json["balance"] == -2.5
        assert admin_c.get(f"/api/v1/members/{c}/balance").json["balance"] == 2.5
        lines = staff_a.get(f"/api/v1/members/{a}/statement").json["items"]
        assert [(line["kind"], line["amount"], line["balance"]) for line in lines] == [("leg", -2.5, -2.5)]
        assert staff_a.get(f"/api/v1/exchanges/{exchange}").json["status"] == "completed"


def test_declining_needs_a_reason_and_voids_the_exchange(api, world, tokens):
    exchange = world.ids["exchange"]
    staff_a = api(tokens["staff_a"])
    no_reason = staff_a.post(f"/api/v1/proposals/{exchange}/decline", json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    declined = staff_a.post(f"/api/v1/proposals/{exchange}/decline", json={"reason": "We found a volunteer"})
    assert declined.json["status"] == "voided"
    assert api(tokens["coordinator_scope"]).post(
        f"/api/v1/coordinator/exchanges/{exchange}/reject", json={"reason": "Too late"}).status_code == 409


def test_record_help_given_directly_and_the_other_side_confirms_it(api, world, tokens):
    staff_a, admin_b = api(tokens["staff_a"]), api(tokens["admin_b"])
    a, b = world.ids["member_a"], world.ids["member_b"]
    recorded = staff_a.post("/api/v1/exchanges", json={
        "member_id": a, "other_member_id": b, "we_gave": True, "kind": "skill", "hours": 3,
        "description": "Payroll set-up", "happened_on": str(today())})
    assert recorded.status_code == 201 and recorded.json["shape"] == "direct"
    leg = recorded.json["legs"][0]  # only the day was given: no time is made up
    assert leg["happened_on"] == str(today()) and leg["scheduled_start"] is None and leg["scheduled_end"] is None
    assert admin_b.get(f"/api/v1/members/{b}/balance").json["balance"] == 0  # counts once B confirms
    assert admin_b.post(f"/api/v1/proposals/{recorded.json['id']}/accept").json["status"] == "completed"
    assert staff_a.get(f"/api/v1/members/{a}/balance").json["balance"] == 3


def test_bookings_and_loans_listed_requested_refused_when_taken_and_cancelled(api, world, tokens):
    staff_a = api(tokens["staff_a"])
    a = world.ids["member_a"]
    bookings = staff_a.get(f"/api/v1/members/{a}/bookings").json["items"]
    assert [(b["id"], b["side"], b["status"]) for b in bookings] == [(world.ids["booking_by_a_of_cs_room"],
                                                                     "borrower", "confirmed")]
    taken = bookings[0]
    clash = staff_a.post("/api/v1/bookings", json={"asset_id": world.ids["room_c"], "member_id": a,
                                                   "starts_at": taken["starts_at"], "ends_at": taken["ends_at"]})
    assert clash.status_code == 409 and "already booked" in clash.json["detail"]
    loans = staff_a.get(f"/api/v1/members/{a}/loans").json["items"]
    assert loans[0]["status"] == "reserved" and loans[0]["side"] == "borrower"
    day = today() + timedelta(days=20)
    loan = staff_a.post("/api/v1/loans", json={"asset_id": world.ids["kit_c"], "member_id": a,
                                               "starts_on": str(day), "due_on": str(day + timedelta(days=1))})
    assert loan.status_code == 201 and loan.json["status"] == "reserved"
    cancelled = staff_a.post(f"/api/v1/bookings/{taken['id']}/cancel", json={"reason": "Event moved"})
    assert cancelled.json["status"] == "cancelled" and cancelled.json["cancel_reason"] == "Event moved"
    assert staff_a.post(f"/api/v1/loans/{loan.json['id']}/cancel", json={"reason": ""}).status_code == 422


def test_the_sector_summary_matches_the_impact_page(app, api, tokens):
    summary = api(tokens["staff_b"]).get("/api/v1/reports/sector-summary?from=2020-01-01")
    assert summary.status_code == 200
    assert summary.json["period"].startswith("from 1 January 2020")
    assert set(summary.json["time_value"]) == {"low", "central", "high"}
    bad = api(tokens["staff_b"]).get("/api/v1/reports/sector-summary?from=2027-01-02&to=2027-01-01")
    assert bad.status_code == 422 and "to" in bad.json["errors"]


def test_coordinators_vet_members_run_the_matcher_and_adjust_credits(app, api, world, tokens):
    app.config["MATCHER_QUEUE"] = "inline"
    coordinator = api(tokens["coordinator_scope"])
    pending = coordinator.get("/api/v1/coordinator/members").json["items"]
    assert [m["id"] for m in pending] == [world.ids["pending_member"]]
    refused = coordinator.post(f"/api/v1/coordinator/members/{world.ids['pending_member']}/reject", json={"reason": " "})
    assert refused.status_code == 422 and refused.json["errors"] == {"reason": [
        "Enter the reason, which will be emailed to the organisation"]}
    started = coordinator.post("/api/v1/coordinator/matcher-runs", json={"max_cycle": 3, "time_limit": 10})
    assert started.status_code == 202 and started.json["policy"]["max_cycle"] == 3
    status = coordinator.get(started.headers["Location"]).json
    assert status["status"] == "done" and status["progress"] == 100
    adjusted = coordinator.post("/api/v1/coordinator/ledger/adjustments", json={
        "member_id": world.ids["member_b"], "amount": 1.5, "reason": "Hours missed from March"})
    assert adjusted.status_code == 201 and adjusted.json["member_balance"] == 1.5
    too_fine = coordinator.post("/api/v1/coordinator/ledger/adjustments", json={
        "member_id": world.ids["member_b"], "amount": 0.001, "reason": "x"})
    assert too_fine.status_code == 422 and "amount" in too_fine.json["errors"]


def test_the_reference_page_lists_every_operation_without_scripts(client):
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True).replace("<wbr>", "")  # paths may wrap on a phone
    assert page.status_code == 200 and "<script" not in html.split("</main>")[0].split("<main")[1]
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    for path, item in spec["paths"].items():
        for method in item:
            if method != "parameters":
                assert f"{method.upper()} {path}" in html


def test_each_token_is_limited_to_120_requests_a_minute(app, world, tokens):
    from timebank import create_app

    limited = create_app({**app.config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    client = limited.test_client()
    busy = {"Authorization": f"Bearer {tokens['staff_a']}"}
    answers = [client.get("/api/v1/me", headers=busy).status_code for _ in range(121)]
    assert answers[:120] == [200] * 120 and answers[120] == 429
    refused = client.get("/api/v1/me", headers=busy)
    assert refused.content_type == "application/problem+json" and refused.json["status"] == 429
    # Another system's token, from the same address, is not held up.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['staff_b']}"}).status_code == 200


def test_a_moment_at_the_edge_of_the_calendar_is_a_clear_422(api, world, tokens):
    """0001-01-01T00:00Z moved to the UK clock falls out of the calendar (was a 500)."""
    staff_a = api(tokens["staff_a"])
    sent = staff_a.post("/api/v1/bookings", json={"asset_id": world.ids["room_c"], "member_id": world.ids["member_a"],
                                                  "starts_at": "0001-01-01T00:00:00Z", "ends_at": "2000-01-01T00:00:00Z"})
    assert sent.status_code == 422 and sent.json["type"] == "/api/v1/problems/validation"
    assert sent.json["errors"]["starts_at"] == ["Give a date and time like 2027-03-27T10:00 (UK time), or with an offset"]
