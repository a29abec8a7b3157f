"""The one loader of an API token (its web page and the API) and of an allowed website (its coordinators' page)."""
from __future__ import annotations

import pytest

from timebank.accounts.models import User
from timebank.accounts import tokens
from timebank.api import cors
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db


def test_load_token_missing_someone_elses_and_own(app, make_user):
    owner_id, other_id = make_user("owner@tokens.example"), make_user("other@tokens.example")
    with app.test_request_context():
        owner, other = db.session.get(User, owner_id), db.session.get(User, other_id)
        token, _ = tokens.create_token(owner, name="Spreadsheet", scope="read")
        with pytest.raises(NotFound, match="You have no token 999999"):
            tokens.load_token(999999, owner)
        with pytest.raises(NotFound, match=f"You have no token {token.id}"):  # another's is as good as missing
            tokens.load_token(token.id, other)
        assert tokens.load_token(token.id, owner) is token


def test_load_origin_missing_not_allowed_and_allowed(app, make_user):
    coordinator_id, person_id = make_user("coord@cors.example", coordinator=True), make_user("person@cors.example")
    with app.test_request_context():
        coordinator, person = db.session.get(User, coordinator_id), db.session.get(User, person_id)
        row = cors.allow_origin(coordinator, "https://tools.example.org")
        with pytest.raises(NotFound, match="There is no allowed website 999999"):
            cors.load_origin(999999, coordinator)
        with pytest.raises(NotAllowed, match="Only a coordinator can choose which websites may call the API"):
            cors.load_origin(row.id, person)
        assert cors.load_origin(row.id, coordinator) is row
