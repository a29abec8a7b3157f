"""Attacks on what a request may carry: huge bodies, huge page numbers, NUL bytes; what answers say.

Each test is the attack, as an outside tester ran it against a fresh install.
"""
import json

import pytest
from sqlalchemy import select

from timebank.extensions import db
from timebank.members.models import Member
MAX_CONTENT_LENGTH = 256 * 1024  # timebank.security.MAX_CONTENT_LENGTH


def test_a_50_mb_json_body_is_refused_before_it_is_read(client, app, api_token):
    body = json.dumps({"title": "x" * (50 * 1024 * 1024)})
    response = client.post("/api/v1/listings", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert "larger than" in response.get_json()["detail"]


def test_a_20_mb_form_is_refused_with_a_page_not_parsed(client, auth, make_user):
    make_user("big@example.org")
    auth.login("big@example.org")
    response = client.post("/members/register", data={"name": "Big", "description": "x" * (20 * 1024 * 1024)})
    assert response.status_code == 413
    assert b"What you sent is too large" in response.data


def test_a_form_just_under_the_limit_is_still_read(client):
    response = client.post("/sign-in", data={"email": "a@example.org", "password": "p" * (MAX_CONTENT_LENGTH // 2)})
    assert response.status_code == 200
    assert b"Enter a correct email address and password" in response.data


@pytest.mark.parametrize("path", ["/listings?page=99999999999999999999", "/listings?page=-5",
                                  "/listings?page=%F0%9D%9F%9C", "/listings?page=1e400"])
def test_a_huge_or_strange_page_number_shows_a_page(client, categories, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"Offers and needs" in response.data or b"<h1" in response.data


def test_huge_page_numbers_on_signed_in_lists(client, auth, make_member):
    member_id, _ = make_member("Pages Group", admin_email="pages@example.org")
    auth.login("pages@example.org")
    assert client.get(f"/members/{member_id}/credits?page=99999999999999999999").status_code == 200


def test_huge_page_numbers_on_coordinator_lists(client, auth, make_user):
    make_user("boss@example.org", coordinator=True)
    auth.login("boss@example.org")
    for path in ("/coordinator/ledger?page=99999999999999999999", "/coordinator/audit?page=99999999999999999999"):
        assert client.get(path).status_code == 200, path


def test_a_nul_byte_typed_into_a_form_is_not_stored(client, auth, make_user, app):
    make_user("nul@example.org")
    auth.login("nul@example.org")
    response = client.post("/members/register", data={
        "name": "Nul\x00 Group", "type": "community_group", "postcode": "L36 9YS",
        "description": "We\x00 help"}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        member = db.session.scalar(select(Member))
        assert member.name == "Nul Group" and member.description == "We help"


def test_a_nul_byte_in_a_search_is_harmless(client, categories):
    response = client.get("/listings?q=food%00bank")
    assert response.status_code == 200


def test_the_api_refuses_a_nul_byte_with_a_message(client, api_member, categories):
    member_id, _, token = api_member
    response = client.post("/api/v1/listings", headers={"Authorization": f"Bearer {token}"}, json={
        "member_id": member_id, "direction": "need", "kind": "time", "category_id": categories["litter-picks-and-clean-ups"],
        "title": "Litter\x00 pick", "quantity": 3, "available_from": "2027-04-01", "available_until": "2027-04-30"})
    assert response.status_code == 422
    assert "Remove the NUL character" in response.get_json()["detail"]


def test_the_server_header_names_no_framework(app):
    """`flask serve` (what scripts/serve runs) says "exchange", not Werkzeug or Python and their versions."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    from timebank.security import QuietRequestHandler

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/accessibility") as response:
            servers = response.headers.get_all("Server")
    finally:
        server.shutdown()
        thread.join()
    assert servers == ["exchange"]
