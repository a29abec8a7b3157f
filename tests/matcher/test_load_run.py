"""The one loader of a matcher run, that the coordinators' matcher pages and the coordinator API both use."""
from __future__ import annotations

import pytest

from timebank.accounts.models import User
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.matcher import runs


def test_load_run_missing_not_allowed_and_allowed(app, make_user):
    coordinator_id, person_id = make_user("coord@runs.example", coordinator=True), make_user("person@runs.example")
    with app.test_request_context():
        coordinator, person = db.session.get(User, coordinator_id), db.session.get(User, person_id)
        run = runs.start_run(coordinator, {})  # queued; nothing dispatches it here
        with pytest.raises(NotFound, match="There is no matcher run 999999"):
            runs.load_run(999999, coordinator)
        with pytest.raises(NotAllowed, match="Only a coordinator can see matcher runs"):
            runs.load_run(run.id, person)
        assert runs.load_run(run.id, coordinator) is run
