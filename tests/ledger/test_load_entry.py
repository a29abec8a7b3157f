"""The one loader of a ledger entry: the member's statement API, the coordinators' reversal page and API."""
from __future__ import annotations

import pytest

from timebank.accounts.models import User
from timebank.errors import NotFound
from timebank.extensions import db
from timebank.ledger import services
from tests.ledger.helpers import make_leg


def test_load_entry_missing_not_allowed_and_allowed(app, make_member, make_user):
    giver_id, giver_admin_id = make_member("Halewood Youth Club")
    receiver_id, _ = make_member("Kirkby Food Bank")
    _, outsider_id = make_member("Prescot Seniors")
    coordinator_id = make_user("coord@ledger.example", coordinator=True)
    with app.test_request_context():
        entry = services.post_leg(make_leg(giver_id, receiver_id, 4), None)
        coordinator, giver_admin, outsider = (db.session.get(User, i) for i in (coordinator_id, giver_admin_id,
                                                                                 outsider_id))
        with pytest.raises(NotFound, match="There is no entry 999999") as missing:
            services.load_entry(999999, coordinator, field="entry_id")
        assert missing.value.field == "entry_id"  # shown beside the reversal form's box
        with pytest.raises(NotFound, match=f"There is no entry {entry.id}"):  # not its member's: as good as missing
            services.load_entry(entry.id, outsider)
        assert services.load_entry(entry.id, giver_admin) is entry
        assert services.load_entry(entry.id, coordinator) is entry
