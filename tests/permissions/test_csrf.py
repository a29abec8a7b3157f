"""CSRF: every form that changes something refuses a POST without a token, with a plain-English page.

The list of POST routes comes from `app.url_map`, so new forms are covered as they are added.
Routes under /api/ are left out by rule: the API is token-authenticated, not cookie-authenticated.
"""
from __future__ import annotations

import re

import pytest
from flask import url_for

from tests.permissions import test_routes
from tests.permissions.world import build_world
from timebank import create_app
from timebank.extensions import db


@pytest.fixture()
def csrf_app(app):
    """The same database and settings as `app`, with CSRF protection on, as in production."""
    return create_app({**app.config, "WTF_CSRF_ENABLED": True})


def _post_routes(app):
    return [(endpoint, params) for endpoint, method, params in test_routes._routes(app)
            if method == "POST" and not _is_api(app, endpoint)]


def _is_api(app, endpoint: str) -> bool:
    return all(rule.rule.startswith("/api/") for rule in app.url_map.iter_rules(endpoint))


def test_every_post_without_a_token_gets_the_csrf_page(csrf_app, categories):
    with csrf_app.test_request_context():
        world = build_world("csrf", categories["bookkeeping"])
        urls = {}
        for endpoint, params in _post_routes(csrf_app):
            rule = test_routes.EXPECTED.get(endpoint, test_routes.SIGNED_IN)
            urls[endpoint] = test_routes._url(endpoint, params, rule, world)
        db.session.commit()
        coordinator = world.user_id("coordinator")
    assert len(urls) > 20  # the walk found the forms
    for signed_in in (False, True):
        client = csrf_app.test_client()
        if signed_in:
            with client.session_transaction() as session:
                session["_user_id"] = coordinator
        for endpoint, url in urls.items():
            response = client.post(url, data={"anything": "x"})
            assert response.status_code == 400, f"POST {url} ({endpoint}) without a CSRF token: {response.status_code}"
            assert "Your form could not be sent" in response.get_data(as_text=True), endpoint


def test_the_same_form_with_its_token_is_accepted(csrf_app):
    """The control: it is the missing token, not the request, that the 400 is about."""
    client = csrf_app.test_client()
    page = client.get("/forgot-password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/forgot-password", data={"csrf_token": token, "email": "someone@example.org"})
    assert response.status_code == 200 and "Your form could not be sent" not in response.get_data(as_text=True)


def test_api_routes_are_left_out_by_rule(csrf_app):
    @csrf_app.route("/api/v1/ping-test", methods=["POST"])
    def ping_test():
        return "pong"

    endpoints = [endpoint for endpoint, _ in _post_routes(csrf_app)]
    assert "ping_test" not in endpoints and "auth.logout" in endpoints
    with csrf_app.test_request_context():
        assert url_for("ping_test") == "/api/v1/ping-test"
