"""Fixtures for the attack tests: a member with its admin signed in through the API."""
from __future__ import annotations

import pytest


@pytest.fixture()
def api_member(app, make_member):
    """(member_id, admin_user_id, token) for an active member, the token read-write."""
    from timebank.accounts.models import User
    from timebank.accounts import tokens
    from timebank.extensions import db

    member_id, user_id = make_member("Token Holders", admin_email="token.holder@example.org")
    with app.test_request_context():
        _, secret = tokens.create_token(db.session.get(User, user_id), name="CRM", scope="read-write")
        db.session.commit()
    return member_id, user_id, secret


@pytest.fixture()
def api_token(api_member):
    return api_member[2]
