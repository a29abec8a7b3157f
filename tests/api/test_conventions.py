"""The conventions every API operation keeps, as an integrating system would notice them.

Idempotency-Key retries, ETags and If-Match, problem types, Retry-After, pages past the end,
Location on 201s, CORS for the websites coordinators allow, and the names of things.
"""
from __future__ import annotations

import html
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import func, select

from timebank.db import today, utcnow
from timebank.extensions import db

PROBLEMS = "/api/v1/problems/"


def _need(world, category_id: int, **overrides) -> dict:
    body = {"member_id": world.ids["member_a"], "direction": "need", "kind": "time", "category_id": category_id,
            "title": "Volunteers for a litter pick", "quantity": 6, "available_from": str(today()),
            "available_until": str(today() + timedelta(days=30)), "postcode": "L36 9YS"}
    body.update(overrides)
    return body


def _listings(app) -> int:
    from timebank.listings.models import Listing

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Listing))


# -- Idempotency-Key -----------------------------------------------------------------------------

def test_a_post_retried_with_its_key_answers_as_the_first_time_and_does_nothing_twice(app, api, world, tokens,
                                                                                       categories):
    staff_a = api(tokens["staff_a"])
    before = _listings(app)
    body = _need(world, categories["bookkeeping"])
    first = staff_a.post("/api/v1/listings", json=body, headers={"Idempotency-Key": "listing-0001"})
    again = staff_a.post("/api/v1/listings", json=dict(reversed(body.items())),  # same body, keys in another order
                         headers={"Idempotency-Key": "listing-0001"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"] and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _listings(app) == before + 1
    # The same key with another body is refused, and makes nothing.
    other = staff_a.post("/api/v1/listings", json={**body, "title": "Something else"},
                         headers={"Idempotency-Key": "listing-0001"})
    assert other.status_code == 422 and other.json["type"] == PROBLEMS + "idempotency-key-reused"
    assert _listings(app) == before + 1
    # Keys are per token: another token's same key is another request.
    other_token = api(tokens["admin_a"]).post("/api/v1/listings", json=body, headers={"Idempotency-Key": "listing-0001"})
    assert other_token.status_code == 201 and other_token.json["id"] != first.json["id"]
    # Without a key, a retry is a new request.
    assert staff_a.post("/api/v1/listings", json=body).json["id"] not in (first.json["id"], other_token.json["id"])


def test_a_failed_request_leaves_its_key_free_and_a_day_old_key_is_forgotten(app, api, world, tokens, categories):
    from timebank.api.idempotency import purge
    from timebank.api.models import IdempotentRequest

    staff_a = api(tokens["staff_a"])
    refused = staff_a.post("/api/v1/listings", json=_need(world, categories["bookkeeping"], is_gift=True),
                           headers={"Idempotency-Key": "key-2"})
    assert refused.status_code == 422 and refused.json["type"] == PROBLEMS + "rule"
    fixed = staff_a.post("/api/v1/listings", json=_need(world, categories["bookkeeping"]),
                         headers={"Idempotency-Key": "key-2"})
    assert fixed.status_code == 201
    bad_key = staff_a.post("/api/v1/listings", json=_need(world, categories["bookkeeping"]),
                           headers={"Idempotency-Key": "no spaces allowed"})
    assert bad_key.status_code == 422 and "Idempotency-Key" in bad_key.json["errors"]
    with time_machine.travel(datetime.now() + timedelta(days=1, minutes=1)):
        later = staff_a.post("/api/v1/listings", json=_need(world, categories["bookkeeping"]),
                             headers={"Idempotency-Key": "key-2"})
        assert later.status_code == 201 and later.json["id"] != fixed.json["id"]
        with app.app_context():
            db.session.add(IdempotentRequest(token_id=1, key="old", fingerprint="x" * 64,
                                             created_at=utcnow() - timedelta(days=2)))
            db.session.commit()
            assert purge() == 1
            db.session.commit()
            assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 1  # `later`'s


def test_retries_are_consistent_without_a_key_and_answered_once_with_one(api, world, tokens):
    exchange, leg = world.ids["exchange"], world.ids["leg"]
    staff_a, admin_c = api(tokens["staff_a"]), api(tokens["admin_c"])
    coordinator = api(tokens["coordinator_scope"])
    accepted = staff_a.post(f"/api/v1/proposals/{exchange}/accept", headers={"Idempotency-Key": "accept-1"})
    replayed = staff_a.post(f"/api/v1/proposals/{exchange}/accept", headers={"Idempotency-Key": "accept-1"})
    assert accepted.status_code == replayed.status_code == 200 and replayed.json == accepted.json
    again = staff_a.post(f"/api/v1/proposals/{exchange}/accept")  # a new request: already answered
    assert again.status_code == 409 and again.json["type"] == PROBLEMS + "wrong-state"
    admin_c.post(f"/api/v1/proposals/{exchange}/accept")
    start = (datetime.now() + timedelta(days=2)).replace(microsecond=0)
    coordinator.post(f"/api/v1/coordinator/exchanges/{exchange}/approve", json={"schedule": [
        {"leg_id": leg, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}]})
    with time_machine.travel(start + timedelta(hours=3)):
        body = {"actual_hours": 2}
        confirmed = staff_a.post(f"/api/v1/legs/{leg}/confirm", json=body, headers={"Idempotency-Key": "confirm-1"})
        replayed = staff_a.post(f"/api/v1/legs/{leg}/confirm", json=body, headers={"Idempotency-Key": "confirm-1"})
        assert confirmed.status_code == replayed.status_code == 200 and replayed.json == confirmed.json
        again = staff_a.post(f"/api/v1/legs/{leg}/confirm", json=body)  # like accepting twice: already done
        assert again.status_code == 409 and again.json["type"] == PROBLEMS + "wrong-state"
        assert staff_a.get(f"/api/v1/members/{world.ids['member_a']}/balance").json["balance"] == -2


# -- ETag and If-Match ---------------------------------------------------------------------------

def test_a_patch_answers_with_the_etag_a_read_gives_and_if_match_refuses_a_stale_change(api, world, tokens):
    staff_a = api(tokens["staff_a"])
    url = f"/api/v1/listings/{world.ids['listing_a']}"
    read = staff_a.get(url)
    changed = staff_a.patch(url, json={"title": "Help with our year-end accounts"},
                            headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != read.headers["ETag"]
    assert staff_a.get(url).headers["ETag"] == changed.headers["ETag"]  # the same thing, the same ETag
    stale = staff_a.patch(url, json={"title": "Lost update"}, headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and stale.json["type"] == PROBLEMS + "precondition-failed"
    assert stale.headers["ETag"] == changed.headers["ETag"]
    assert staff_a.get(url).json["title"] == "Help with our year-end accounts"
    weak = staff_a.patch(url, json={"title": "Weak"}, headers={"If-Match": "W/" + changed.headers["ETag"]})
    assert weak.status_code == 412  # If-Match compares strongly (RFC 9110)
    assert staff_a.patch(url, json={"title": "Any"}, headers={"If-Match": "*"}).status_code == 200
    # An invalid body is told what is invalid first, whatever If-Match says.
    invalid = staff_a.patch(url, json={"title": ""}, headers={"If-Match": '"stale"'})
    assert invalid.status_code == 422 and invalid.json["type"] == PROBLEMS + "validation"


def test_if_match_on_an_action_compares_with_the_thing_it_changes(api, world, tokens):
    exchange = world.ids["exchange"]
    staff_a, admin_c = api(tokens["staff_a"]), api(tokens["admin_c"])
    read = staff_a.get(f"/api/v1/exchanges/{exchange}")
    admin_c.post(f"/api/v1/proposals/{exchange}/accept")  # changes the exchange meanwhile
    stale = staff_a.post(f"/api/v1/proposals/{exchange}/accept", headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    assert staff_a.get(f"/api/v1/exchanges/{exchange}").json["parties"][1]["status"] in ("pending", "accepted")
    fresh = staff_a.get(f"/api/v1/exchanges/{exchange}").headers["ETag"]
    accepted = staff_a.post(f"/api/v1/proposals/{exchange}/accept", headers={"If-Match": fresh})
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    assert staff_a.get(f"/api/v1/exchanges/{exchange}").headers["ETag"] == accepted.headers["ETag"]


def test_the_document_says_which_operations_take_if_match(client):
    document = client.get("/api/v1/openapi.json").json
    takes = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method, op in item.items()
             if method != "parameters" and {"$ref": "#/components/parameters/IfMatch"} in op.get("parameters", [])}
    assert {"PATCH /api/v1/listings/{listing_id}", "POST /api/v1/listings/{listing_id}/withdraw",
            "PATCH /api/v1/members/{member_id}", "POST /api/v1/proposals/{exchange_id}/accept",
            "POST /api/v1/legs/{leg_id}/confirm", "POST /api/v1/coordinator/exchanges/{exchange_id}/approve",
            "POST /api/v1/bookings/{booking_id}/cancel", "POST /api/v1/loans/{loan_id}/cancel"} <= takes
    # Making something new has nothing to compare with.
    assert "POST /api/v1/listings" not in takes and "POST /api/v1/exchanges" not in takes
    for operation in takes:
        method, path = operation.split(" ")
        assert "412" in document["paths"][path][method.lower()]["responses"]


# -- problem types, headers, pages ---------------------------------------------------------------

def test_each_kind_of_error_has_its_own_type_and_page(client, api, world, tokens, categories):
    staff_a = api(tokens["staff_a"])
    coordinator = api(tokens["coordinator_scope"])
    over = coordinator.post("/api/v1/coordinator/ledger/adjustments", json={
        "member_id": world.ids["member_b"], "amount": -500, "reason": "Test"})
    assert over.status_code == 409 and over.json["type"] == PROBLEMS + "credit-limit"
    booking = staff_a.get(f"/api/v1/members/{world.ids['member_a']}/bookings").json["items"][0]
    taken = staff_a.post("/api/v1/bookings", json={"asset_id": world.ids["room_c"], "member_id": world.ids["member_a"],
                                                  "starts_at": booking["starts_at"], "ends_at": booking["ends_at"]})
    assert taken.status_code == 409 and taken.json["type"] == PROBLEMS + "double-booking"
    unknown = staff_a.post("/api/v1/listings", json=_need(world, categories["bookkeeping"], colour="red"))
    assert unknown.status_code == 422 and unknown.json["type"] == PROBLEMS + "validation"
    rule = staff_a.post("/api/v1/listings", json=_need(world, categories["bookkeeping"], postcode="ZZ99 9ZZ"))
    assert rule.status_code == 422 and rule.json["type"] == PROBLEMS + "rule"
    assert staff_a.get("/api/v1/listings/999999").json["type"] == PROBLEMS + "not-found"
    assert api().get("/api/v1/me").json["type"] == PROBLEMS + "unauthenticated"
    assert api(tokens["read_a"]).post("/api/v1/listings", json={}).json["type"] == PROBLEMS + "forbidden"
    # A type is the address of a page that explains it; the titles are the same for every problem of a type.
    for problem in (over, taken, unknown, rule):
        page = client.get(problem.json["type"])
        assert page.status_code == 200 and problem.json["title"] in html.unescape(page.get_data(as_text=True))
    listing = client.get("/api/v1/problems").get_data(as_text=True)
    assert all(kind in listing for kind in ("credit-limit", "wrong-state", "double-booking", "validation",
                                            "rate-limited", "precondition-failed", "idempotency-key-reused"))
    assert client.get("/api/v1/problems/no-such-kind").status_code == 404


def test_retry_after_only_when_the_client_must_wait(app, world, tokens):
    from timebank import create_app

    limited = create_app({**app.config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    client = limited.test_client()
    busy = {"Authorization": f"Bearer {tokens['staff_a']}"}
    answers = [client.get("/api/v1/me", headers=busy) for _ in range(121)]
    assert answers[0].status_code == 200 and "Retry-After" not in answers[0].headers
    assert "X-RateLimit-Remaining" in answers[0].headers
    assert answers[-1].status_code == 429 and int(answers[-1].headers["Retry-After"]) >= 0
    assert answers[-1].json["type"] == PROBLEMS + "rate-limited"


def test_a_page_past_the_end_is_empty_and_points_back_to_the_last(api, world, tokens):
    staff_a = api(tokens["staff_a"])
    for url in ("/api/v1/members?per_page=2&page=9", "/api/v1/listings?per_page=1&page=9",
                f"/api/v1/members/{world.ids['member_a']}/statement?page=9"):
        page = staff_a.get(url).json
        assert page["items"] == [] and page["page"] == 9, url
        assert page["links"]["next"] is None and f"page={page['pages']}" in page["links"]["prev"]


def test_every_201_says_where_the_new_thing_is(client, api, world, tokens, categories):
    document = client.get("/api/v1/openapi.json").json
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and "201" in operation["responses"]:
                assert "Location" in operation["responses"]["201"]["headers"], f"{method} {path}"
    staff_a = api(tokens["staff_a"])
    day = today() + timedelta(days=20)
    made = [
        staff_a.post("/api/v1/listings", json=_need(world, categories["bookkeeping"])),
        staff_a.post("/api/v1/loans", json={"asset_id": world.ids["kit_c"], "member_id": world.ids["member_a"],
                                            "starts_on": str(day), "due_on": str(day + timedelta(days=1))}),
        staff_a.post("/api/v1/bookings", json={"asset_id": world.ids["room_c"], "member_id": world.ids["member_a"],
                                               "starts_at": f"{day}T10:00", "ends_at": f"{day}T11:00"}),
    ]
    for response in made:
        assert response.status_code == 201, response.json
        assert staff_a.get(response.headers["Location"]).json == response.json


def test_the_names_of_things_agree(api, world, tokens):
    staff_a = api(tokens["staff_a"])
    balance = staff_a.get(f"/api/v1/members/{world.ids['member_a']}/balance").json
    assert set(balance) == {"member_id", "balance", "credit_limit"} and balance["credit_limit"] == 10
    api(tokens["coordinator_scope"]).post("/api/v1/coordinator/ledger/adjustments", json={
        "member_id": world.ids["member_a"], "amount": 1, "reason": "Test"})
    line = staff_a.get(f"/api/v1/members/{world.ids['member_a']}/statement").json["items"][0]
    assert "created_at" in line and "at" not in line


# -- CORS ------------------------------------------------------------------------------------------

def test_browsers_may_call_the_api_only_from_websites_a_coordinator_allows(app, client, world, tokens):
    preflight = {"Origin": "https://tools.example.org", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}
    refused = client.options("/api/v1/me", headers=preflight)
    assert refused.status_code != 401 and "Access-Control-Allow-Origin" not in refused.headers
    with client.session_transaction() as session:  # the coordinator, signed in on the web
        session["_user_id"] = world.user_id("coordinator")
    page = client.post("/coordinator/api-websites", data={"origin": "https://Tools.Example.org/", "note": "Dashboard"})
    assert page.status_code == 302
    assert "https://tools.example.org" in client.get("/coordinator/api-websites").get_data(as_text=True)
    bad = client.post("/coordinator/api-websites", data={"origin": "https://tools.example.org/path", "note": ""})
    assert bad.status_code == 422 and "origin only" in bad.get_data(as_text=True)
    allowed = client.options("/api/v1/me", headers=preflight)
    assert allowed.status_code == 204 and allowed.headers["Access-Control-Allow-Origin"] == "https://tools.example.org"
    assert "Idempotency-Key" in allowed.headers["Access-Control-Allow-Headers"]
    read = client.get("/api/v1/me", headers={"Origin": "https://tools.example.org",
                                             "Authorization": f"Bearer {tokens['staff_a']}"})
    assert read.status_code == 200 and read.headers["Access-Control-Allow-Origin"] == "https://tools.example.org"
    assert "ETag" in read.headers["Access-Control-Expose-Headers"] and "Origin" in read.headers["Vary"]
    other = client.get("/api/v1/me", headers={"Origin": "https://evil.example.com",
                                              "Authorization": f"Bearer {tokens['staff_a']}"})
    assert "Access-Control-Allow-Origin" not in other.headers
