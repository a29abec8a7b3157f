"""The loader of a person for a coordinator's privacy pages (their download, erasing them)."""
from __future__ import annotations

import pytest

from timebank.accounts.models import User
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.privacy.access import load_person


def test_load_person_missing_not_allowed_and_allowed(app, make_user):
    coordinator_id = make_user("coord@privacy.example", coordinator=True)
    person_id = make_user("person@privacy.example")
    with app.test_request_context():
        coordinator, person = db.session.get(User, coordinator_id), db.session.get(User, person_id)
        with pytest.raises(NotFound, match="There is no person 999999"):
            load_person(999999, coordinator)
        with pytest.raises(NotAllowed, match="Only a coordinator can look up a person's data"):
            load_person(coordinator_id, person)
        assert load_person(person_id, coordinator) is person
