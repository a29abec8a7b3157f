"""Direct exchanges through the API: ask for a listing, counter, accept or decline, as problem+json
4xx when refused. The same service as the pages (tests/exchanges/test_direct.py)."""
from datetime import datetime, timedelta

from timebank.db import today


def _when(days=3, hour=10, hours=2):
    start = datetime.combine(today() + timedelta(days=days), datetime.min.time()).replace(hour=hour)
    return start.isoformat(), (start + timedelta(hours=hours)).isoformat()


def test_offer_to_help_counter_accept_through_the_api(api, world, tokens):
    listing, a, c = world.ids["listing_a"], world.ids["member_a"], world.ids["member_c"]
    start, end = _when()
    admin_c, staff_a = api(tokens["admin_c"]), api(tokens["staff_a"])
    asked = admin_c.post(f"/api/v1/listings/{listing}/ask", json={
        "member_id": c, "hours": 2, "start": start, "end": end, "message": "We can help with your accounts"})
    assert asked.status_code == 201, asked.json
    exchange = asked.json
    assert (exchange["shape"], exchange["status"], exchange["asked_by_member_id"]) == ("pair", "proposed", c)
    assert exchange["legs"][0]["giver_member_id"] == c and exchange["legs"][0]["need_listing_id"] == listing
    assert exchange["legs"][0]["proposed_start"].startswith(start)
    waiting = staff_a.get("/api/v1/proposals").json["items"]
    assert exchange["id"] in [e["id"] for e in waiting]

    # The asker's own answer is given; only the other side counters.
    start2, end2 = _when(days=4, hour=14, hours=3)
    refused = admin_c.post(f"/api/v1/proposals/{exchange['id']}/counter",
                           json={"hours": 3, "start": start2, "end": end2})
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    countered = staff_a.post(f"/api/v1/proposals/{exchange['id']}/counter",
                             json={"hours": 3, "start": start2, "end": end2, "message": "Thursday afternoon?"})
    assert countered.status_code == 200, countered.json
    assert {p["member_id"]: p["status"] for p in countered.json["parties"]} == {a: "accepted", c: "pending"}
    assert countered.json["legs"][0]["hours"] == 3

    accepted = admin_c.post(f"/api/v1/proposals/{exchange['id']}/accept")
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"


def test_bad_asks_are_problems_and_save_nothing(api, world, tokens):
    listing, a, b = world.ids["listing_a"], world.ids["member_a"], world.ids["member_b"]
    start, end = _when()
    staff_b, staff_a = api(tokens["staff_b"]), api(tokens["staff_a"])
    cases = [
        ({"member_id": b, "hours": 2, "start": end, "end": start, "message": "Hi"}, 422, "end must be after"),
        ({"member_id": b, "hours": 2, "start": start, "end": end, "message": " \n "}, 422, "Write a message"),
        ({"member_id": b, "hours": 1.123, "start": start, "end": end, "message": "Hi"}, 422, "2 decimal places"),
        ({"member_id": b, "hours": 2, "start": start, "end": end, "message": "Hi", "extra": 1}, 422, None),
        ({"member_id": a, "hours": 2, "start": start, "end": end, "message": "Hi"}, 403, None),
    ]
    for body, status, words in cases:
        response = staff_b.post(f"/api/v1/listings/{listing}/ask", json=body)
        assert response.status_code == status, (body, response.json)
        assert response.mimetype == "application/problem+json"
        if words:
            assert words in str(response.json), response.json
    own = staff_a.post(f"/api/v1/listings/{listing}/ask",
                       json={"member_id": a, "hours": 2, "start": start, "end": end, "message": "Hi"})
    assert own.status_code == 422 and "own listing" in own.json["detail"]
    assert staff_b.get("/api/v1/exchanges").json["total"] == 0
    first = staff_b.post(f"/api/v1/listings/{listing}/ask",
                         json={"member_id": b, "hours": 2, "start": start, "end": end, "message": "Hi"})
    assert first.status_code == 201
    again = staff_b.post(f"/api/v1/listings/{listing}/ask",
                         json={"member_id": b, "hours": 1, "start": start, "end": end, "message": "Hi"})
    assert again.status_code == 409 and "already part of an exchange" in again.json["detail"]


def test_the_openapi_document_has_ask_and_counter(api):
    paths = api().get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/api/v1/listings/{listing_id}/ask"]
    assert "post" in paths["/api/v1/proposals/{exchange_id}/counter"]


def test_coordinators_read_and_set_the_direct_policy(api, world, tokens):
    coordinator, staff_a = api(tokens["coordinator_scope"]), api(tokens["staff_a"])
    assert coordinator.get("/api/v1/coordinator/direct-policy").json["approval"] == "all"
    assert staff_a.get("/api/v1/coordinator/direct-policy").status_code == 403
    bad = coordinator.post("/api/v1/coordinator/direct-policy", json={"approval": "some", "over_hours": 0})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    saved = coordinator.post("/api/v1/coordinator/direct-policy",
                             json={"approval": "some", "over_hours": 4, "rooms_and_equipment": True})
    assert saved.status_code == 200, saved.json
    assert saved.json["over_hours"] == 4 and saved.json["requirements"] is False
    assert "more than 4 hours or a room or equipment" in saved.json["description"]
    assert coordinator.get("/api/v1/coordinator/direct-policy").json["over_hours"] == 4


def test_the_person_who_asked_cannot_answer_for_the_other_side_through_the_api(app, api, world, tokens):
    from timebank.extensions import db
    from timebank.members.models import Membership

    listing, a, b = world.ids["listing_a"], world.ids["member_a"], world.ids["member_b"]
    with app.app_context():  # staff of B is staff of A (whose listing it is) too
        db.session.add(Membership(member_id=a, user_id=world.user_ids["staff_b"], role="staff", status="active"))
        db.session.commit()
    start, end = _when()
    staff_b = api(tokens["staff_b"])
    exchange = staff_b.post(f"/api/v1/listings/{listing}/ask",
                            json={"member_id": b, "hours": 2, "start": start, "end": end, "message": "Hi"}).json
    accept = staff_b.post(f"/api/v1/proposals/{exchange['id']}/accept", json={"member_id": a})
    assert accept.status_code == 403 and accept.mimetype == "application/problem+json"
    assert "someone else at" in accept.json["detail"]
    start2, end2 = _when(days=4)
    counter = staff_b.post(f"/api/v1/proposals/{exchange['id']}/counter",
                           json={"member_id": a, "hours": 3, "start": start2, "end": end2})
    assert counter.status_code == 403 and "someone else at" in counter.json["detail"]
    got = staff_b.get(f"/api/v1/exchanges/{exchange['id']}").json
    assert got["status"] == "proposed" and {p["member_id"]: p["status"] for p in got["parties"]}[a] == "pending"


def test_waiting_asks_are_capped_through_the_api(app, api, world, tokens):
    listing, b = world.ids["listing_a"], world.ids["member_b"]
    app.config["MAX_WAITING_ASKS"] = 0  # B has none waiting; the cap is reached at once
    start, end = _when()
    refused = api(tokens["staff_b"]).post(f"/api/v1/listings/{listing}/ask",
                                          json={"member_id": b, "hours": 2, "start": start, "end": end, "message": "Hi"})
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert "asks waiting for an answer" in refused.json["detail"]
    assert api(tokens["staff_b"]).get("/api/v1/exchanges").json["total"] == 0
