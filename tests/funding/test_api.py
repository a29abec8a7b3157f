"""The API: the list of programmes, funds and grants is readable; listings and exchanges carry their
tags, and are tagged with PUT, refused as problem details."""
from __future__ import annotations

import pytest
from sqlalchemy import select


@pytest.fixture()
def token(app):
    def make(email: str, scope: str = "read-write") -> dict:
        from timebank.accounts.models import User
        from timebank.accounts import tokens
        from timebank.extensions import db

        with app.test_request_context():
            user = db.session.scalar(select(User).where(User.email == email))
            _, secret = tokens.create_token(user, name="Test system", scope=scope)
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


def test_the_list_says_which_tags_you_may_use(client, funding, token):
    response = client.get("/api/v1/funding-tags", headers=token(funding.admin_a, "read"))
    assert response.status_code == 200
    found = {tag["code"]: tag for tag in response.json["items"]}
    assert set(found) == {"NLCF-FOOD-26", "KVW-26", "C-ONLY"}
    assert (found["NLCF-FOOD-26"]["usable"], found["KVW-26"]["usable"], found["C-ONLY"]["usable"]) == (True, True, False)
    assert found["NLCF-FOOD-26"]["funder"] == "The National Lottery Community Fund"
    assert found["NLCF-FOOD-26"]["starts_on"] == "2026-04-01" and found["KVW-26"]["ends_on"] is None
    one = client.get(f"/api/v1/funding-tags/{funding.grant}", headers=token(funding.admin_b, "read"))
    assert one.json["code"] == "NLCF-FOOD-26" and one.json["usable"] is False
    missing = client.get("/api/v1/funding-tags/999999", headers=token(funding.admin_b, "read"))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_a_listing_is_tagged_and_carries_its_tags(client, funding, token):
    a = token(funding.admin_a)
    response = client.put(f"/api/v1/listings/{funding.listing_a}/tags", json={"tag_ids": [funding.grant]}, headers=a)
    assert response.status_code == 200, response.json
    assert response.json == [{"id": funding.grant, "code": "NLCF-FOOD-26", "name": "Food resilience in Kirkby"}]
    assert client.get(f"/api/v1/listings/{funding.listing_a}", headers=a).json["tags"][0]["code"] == "NLCF-FOOD-26"
    assert client.get(f"/api/v1/listings/{funding.listing_a}/tags", headers=a).json[0]["id"] == funding.grant
    found = client.get("/api/v1/listings?q=food", headers=a).json["items"]
    assert [item["tags"] for item in found if item["id"] == funding.listing_a] == [[
        {"id": funding.grant, "code": "NLCF-FOOD-26", "name": "Food resilience in Kirkby"}]]
    # Another member's people read the listing, but not its tags.
    b = token(funding.admin_b)
    assert client.get(f"/api/v1/listings/{funding.listing_a}", headers=b).json["tags"] is None
    assert client.put(f"/api/v1/listings/{funding.listing_a}/tags", json={"tag_ids": []}, headers=b).status_code == 403


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"tag_ids": "NLCF-FOOD-26"}, 422, "tag_ids"),
    ({"tag_ids": ["1"]}, 422, "tag_ids.0"),
    ({"tags": [1]}, 422, "tags"),
    ({}, 422, "tag_ids"),
])
def test_bad_bodies_are_problems_naming_the_field(client, funding, token, body, status, field):
    response = client.put(f"/api/v1/listings/{funding.listing_a}/tags", json=body, headers=token(funding.admin_a))
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json


def test_a_tag_the_member_is_not_part_of_is_refused_and_nothing_changes(app, client, funding, token):
    from timebank.extensions import db
    from timebank.funding.models import ExchangeTag

    a = token(funding.admin_a)
    response = client.put(f"/api/v1/exchanges/{funding.exchange}/tags",
                          json={"tag_ids": [funding.grant, funding.c_only]}, headers=a)
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert response.json["errors"] == {"tag_ids": ["Kirkby Food Bank is not part of C-ONLY: a coordinator decides "
                                                   "who may use each programme, fund or grant"]}
    response = client.put(f"/api/v1/exchanges/{funding.exchange}/tags", json={"tag_ids": [424242]}, headers=a)
    assert response.status_code == 422 and "from the list" in response.json["errors"]["tag_ids"][0]
    with app.app_context():
        assert db.session.scalars(select(ExchangeTag)).all() == []
    ok = client.put(f"/api/v1/exchanges/{funding.exchange}/tags", json={"tag_ids": [funding.grant]}, headers=a)
    assert ok.status_code == 200
    assert client.get(f"/api/v1/exchanges/{funding.exchange}", headers=a).json["tags"][0]["code"] == "NLCF-FOOD-26"
    listed = client.get("/api/v1/exchanges", headers=a).json["items"]
    assert [e["tags"] for e in listed if e["id"] == funding.exchange] == [[
        {"id": funding.grant, "code": "NLCF-FOOD-26", "name": "Food resilience in Kirkby"}]]
    read_only = client.put(f"/api/v1/exchanges/{funding.exchange}/tags", json={"tag_ids": []},
                           headers=token(funding.admin_a, "read"))
    assert read_only.status_code == 403
    outsider = client.get(f"/api/v1/exchanges/{funding.exchange}/tags", headers=token(funding.admin_b))
    assert outsider.status_code == 404


def test_putting_back_what_get_read_keeps_another_partys_tag_and_changes_only_ones_own(app, client, funding, token):
    """GET .../tags lists every tag on the exchange, C's own too; A sends that list back with its own
    tag added: A's tag is added, C's stays (A cannot use it, but did not ask to add it), no 403."""
    from timebank.extensions import db
    from timebank.funding.models import ExchangeTag

    a, c = token(funding.admin_a), token(funding.admin_c)
    assert client.put(f"/api/v1/exchanges/{funding.exchange}/tags", json={"tag_ids": [funding.c_only]},
                      headers=c).status_code == 200
    read = client.get(f"/api/v1/exchanges/{funding.exchange}/tags", headers=a)
    assert [tag["id"] for tag in read.json] == [funding.c_only]
    response = client.put(f"/api/v1/exchanges/{funding.exchange}/tags",
                          json={"tag_ids": [tag["id"] for tag in read.json] + [funding.grant]},
                          headers={**a, "If-Match": read.headers["ETag"]})
    assert response.status_code == 200, response.json
    with app.app_context():
        assert sorted(db.session.scalars(select(ExchangeTag.tag_id))) == sorted([funding.c_only, funding.grant])
    # Leaving C's tag out does not remove it either; A only ever changes the tags it may use.
    assert client.put(f"/api/v1/exchanges/{funding.exchange}/tags", json={"tag_ids": []}, headers=a).status_code == 200
    with app.app_context():
        assert list(db.session.scalars(select(ExchangeTag.tag_id))) == [funding.c_only]


def test_setting_tags_honours_if_match_and_the_document_names_the_operations(client, funding, token):
    """PUT .../tags changes what GET .../tags reads: If-Match with that ETag, 412 once it changed."""
    a = token(funding.admin_a)
    read = client.get(f"/api/v1/listings/{funding.listing_a}/tags", headers=a)
    etag = read.headers["ETag"]
    first = client.put(f"/api/v1/listings/{funding.listing_a}/tags", json={"tag_ids": [funding.grant]},
                       headers={**a, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] != etag
    assert client.get(f"/api/v1/listings/{funding.listing_a}/tags", headers=a).headers["ETag"] == first.headers["ETag"]
    stale = client.put(f"/api/v1/listings/{funding.listing_a}/tags", json={"tag_ids": []},
                       headers={**a, "If-Match": etag})
    assert stale.status_code == 412 and stale.json["type"].endswith("/precondition-failed")
    assert stale.headers["ETag"] == first.headers["ETag"]
    assert client.get(f"/api/v1/listings/{funding.listing_a}/tags", headers=a).json[0]["id"] == funding.grant
    read = client.get(f"/api/v1/exchanges/{funding.exchange}/tags", headers=a)
    assert client.put(f"/api/v1/exchanges/{funding.exchange}/tags", json={"tag_ids": [funding.grant]},
                      headers={**a, "If-Match": '"not-its-etag"'}).status_code == 412
    assert client.put(f"/api/v1/exchanges/{funding.exchange}/tags", json={"tag_ids": [funding.grant]},
                      headers={**a, "If-Match": read.headers["ETag"]}).status_code == 200

    document = client.get("/api/v1/openapi.json").json
    for path, operation_id in (("/api/v1/listings/{listing_id}/tags", "setListingTags"),
                               ("/api/v1/exchanges/{exchange_id}/tags", "setExchangeTags")):
        put = document["paths"][path]["put"]
        assert put["operationId"] == operation_id and put["tags"] == ["Funding tags"]
        assert {"$ref": "#/components/parameters/IfMatch"} in put["parameters"] and "412" in put["responses"]
    assert document["paths"]["/api/v1/funding-tags"]["get"]["operationId"] == "listFundingTags"
