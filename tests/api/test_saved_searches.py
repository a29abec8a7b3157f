"""Saved searches through the API: the same services and rules as the directory page."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from timebank.db import utcnow
from timebank.extensions import db
from timebank.saved_searches.models import SavedSearch


def test_save_list_see_new_listings_and_delete(app, api, make_member, make_token, make_listing):
    _, user_id = make_member("Knowsley Food Bank")
    poster_id, poster_admin = make_member("Huyton Accounts Ltd", type="business")
    client = api(make_token(user_id))
    made = client.post("/api/v1/saved-searches", json={"q": "bookkeeping", "postcode": "l36 9ys"})
    assert made.status_code == 201, made.json
    saved = made.json
    assert saved["postcode"] == "L36 9YS" and saved["within_km"] == 5 and saved["q"] == "bookkeeping"
    assert saved["name"] == "\u201cbookkeeping\u201d, within 5 km of L36 9YS"
    assert made.headers["Location"] == f"/api/v1/saved-searches/{saved['id']}"
    assert [s["id"] for s in client.get("/api/v1/saved-searches").json] == [saved["id"]]

    with app.app_context():
        db.session.execute(update(SavedSearch).values(covered_until=utcnow() - timedelta(days=7)))
        db.session.commit()
    listing_id = make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping for small charities")
    found = client.get(f"/api/v1/saved-searches/{saved['id']}/new-listings").json
    assert [item["id"] for item in found["items"]] == [listing_id]
    assert found["items"][0]["distance_km"] is not None

    deleted = client._client.delete(f"/api/v1/saved-searches/{saved['id']}", headers=client._headers(None))
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/saved-searches/{saved['id']}").status_code == 404
    assert client.get("/api/v1/saved-searches").json == []


def test_bad_input_is_a_problem_and_saves_nothing(app, api, make_member, make_token):
    _, user_id = make_member()
    client = api(make_token(user_id))
    for body, field in [({}, None), ({"postcode": "ZZ99 9ZZ"}, "postcode"), ({"within_km": 7, "q": "x"}, "within_km"),
                        ({"q": "x", "surprise": 1}, "surprise"), ({"kind": "spaceship"}, "kind")]:
        response = client.post("/api/v1/saved-searches", json=body)
        assert response.status_code in (400, 422), (body, response.json)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        if field:
            assert field in response.json.get("errors", {}), (body, response.json)
    assert client.post("/api/v1/saved-searches", json={"q": "minibus"}).status_code == 201
    again = client.post("/api/v1/saved-searches", json={"q": "minibus"})
    assert again.status_code == 409 and "already saved" in again.json["detail"]
    assert len(client.get("/api/v1/saved-searches").json) == 1


def test_another_persons_saved_search_is_not_found_and_read_tokens_cannot_save(app, api, make_member, make_token):
    _, owner_id = make_member()
    _, other_id = make_member()
    saved = api(make_token(owner_id)).post("/api/v1/saved-searches", json={"q": "gazebo"}).json
    other = api(make_token(other_id))
    assert other.get(f"/api/v1/saved-searches/{saved['id']}").status_code == 404
    assert other._client.delete(f"/api/v1/saved-searches/{saved['id']}",
                                headers=other._headers(None)).status_code == 404
    assert api(make_token(owner_id, "read")).post("/api/v1/saved-searches", json={"q": "hall"}).status_code == 403
    assert len(api(make_token(owner_id)).get("/api/v1/saved-searches").json) == 1


def test_a_saved_search_keeps_its_day_and_its_new_listings_can_happen_on_it(app, api, make_member, make_token,
                                                                            make_listing):
    _, user_id = make_member("Knowsley Food Bank")
    poster_id, poster_admin = make_member("Huyton Accounts Ltd", type="business")
    client = api(make_token(user_id))
    made = client.post("/api/v1/saved-searches", json={"q": "bookkeeping", "day": "tuesday"})
    assert made.status_code == 201, made.json
    assert made.json["day"] == "tuesday" and made.json["name"] == "\u201cbookkeeping\u201d, on Tuesdays"
    assert client.get(f"/api/v1/saved-searches/{made.json['id']}").json["day"] == "tuesday"
    assert client.post("/api/v1/saved-searches", json={"q": "bookkeeping"}).json["day"] is None

    with app.app_context():
        db.session.execute(update(SavedSearch).values(covered_until=utcnow() - timedelta(days=7)))
        db.session.commit()
    tuesday = make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping on Tuesdays",
                           weekly_pattern=1 << 3)
    make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping on Saturdays", weekly_pattern=1 << 15)
    found = client.get(f"/api/v1/saved-searches/{made.json['id']}/new-listings").json
    assert [item["id"] for item in found["items"]] == [tuesday]

    bad = client.post("/api/v1/saved-searches", json={"q": "minibus", "day": "funday"})
    assert bad.status_code == 422 and "day" in bad.json.get("errors", {}), bad.json
