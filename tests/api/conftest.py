"""API fixtures: a token for a person (made through the same service as the web page), and a JSON client."""
from __future__ import annotations

import pytest


@pytest.fixture()
def make_token(app):
    """make_token(user_id, scope="read-write") -> the token's secret."""
    from timebank.accounts.models import User
    from timebank.accounts import tokens
    from timebank.extensions import db

    def make(user_id: int, scope: str = "read-write", name: str = "Test system") -> str:
        with app.test_request_context():
            _, secret = tokens.create_token(db.session.get(User, user_id), name=name, scope=scope)
            db.session.commit()
            return secret

    return make


class ApiClient:
    """The test client, sending a bearer token and JSON."""

    def __init__(self, client, secret: str | None):
        self._client = client
        self.secret = secret

    def _headers(self, headers):
        sent = dict(headers or {})
        if self.secret:
            sent.setdefault("Authorization", f"Bearer {self.secret}")
        return sent

    def get(self, url, headers=None, **kwargs):
        return self._client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, json=None, headers=None, **kwargs):
        if json is None and "data" not in kwargs:
            json = {}
        return self._client.post(url, json=json, headers=self._headers(headers), **kwargs)

    def patch(self, url, json=None, headers=None, **kwargs):
        return self._client.patch(url, json=json or {}, headers=self._headers(headers), **kwargs)


@pytest.fixture()
def api(app):
    """api(secret) -> a client that sends that token."""
    return lambda secret=None: ApiClient(app.test_client(), secret)


@pytest.fixture()
def world(app, categories):
    """Members A, B and C with their people (tests/permissions/world.py), an exchange between A and C,
    a booking and a loan of C's room and gazebo by A, a finished matcher run."""
    from tests.permissions import world as rows
    from timebank.extensions import db

    with app.test_request_context():
        built = rows.build_world("api", categories["bookkeeping"])
        for maker in (rows.exchange_between_a_and_c, rows.booking_by_a_of_cs_room, rows.loan_to_a_of_cs_gazebo,
                      rows.matcher_run, rows.room_of_c):
            maker(built)
        db.session.commit()
        built.user_ids = {role: user.id for role, user in built.users.items()}
    return built


@pytest.fixture()
def tokens(world, make_token):
    """A read-write token for each role, a read token for staff of A, a coordinator token."""
    made = {role: make_token(user_id, "read-write") for role, user_id in world.user_ids.items()}
    made["read_a"] = make_token(world.user_ids["staff_a"], "read")
    made["coordinator_scope"] = make_token(world.user_ids["coordinator"], "coordinator")
    return made
