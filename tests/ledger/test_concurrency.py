"""Two confirmations at once: the leg posts once, and a credit limit holds for both.

On PostgreSQL the second transaction really runs while the first is still open (we wait until it
is blocked on the first one's row locks, then let the first commit). SQLite allows one writer at
a time, so there the second runs after the first commits; the assertions are the same.
"""
from __future__ import annotations

import pytest

from timebank.accounts.models import User
from timebank.exchanges.models import Leg
from timebank.extensions import db
from timebank.ledger import services
from timebank.ledger.services import CreditLimitExceeded
from timebank.members.models import Member
from tests.ledger.helpers import count_entries, make_leg
from tests.races import run_overlapping


@pytest.fixture()
def pair(app, make_member):
    giver_id, giver_admin = make_member("Halewood Youth Club")
    receiver_id, receiver_admin = make_member("Kirkby Food Bank")
    with app.test_request_context():
        # Accounts that already exist, as they will for most members: creating one would itself
        # make the second transaction wait for the first (its unique index), hiding the race.
        for member_id in (giver_id, receiver_id):
            services.account_for(db.session.get(Member, member_id))
        db.session.commit()
    return giver_id, receiver_id, receiver_admin


def test_two_confirmations_of_the_same_leg_at_once_post_one_entry(app, pair):
    giver_id, receiver_id, receiver_admin = pair
    with app.test_request_context():
        leg_id = make_leg(giver_id, receiver_id, 3).id
        db.session.commit()

    def confirm():
        entry = services.post_leg(db.session.get(Leg, leg_id), db.session.get(User, receiver_admin))
        return entry.id

    one, two = run_overlapping(app, confirm, confirm)
    assert one.error is None and two.error is None
    assert one.result == two.result
    with app.app_context():
        assert count_entries() == 1
        assert services.balance(db.session.get(Member, giver_id)) == 3
        assert services.balance(db.session.get(Member, receiver_id)) == -3


def test_two_postings_at_once_cannot_both_pass_the_credit_limit(app, pair):
    giver_id, receiver_id, receiver_admin = pair
    with app.test_request_context():
        first_leg, second_leg = make_leg(giver_id, receiver_id, 6).id, make_leg(giver_id, receiver_id, 6).id
        db.session.commit()

    def confirm(leg_id):
        return lambda: services.post_leg(db.session.get(Leg, leg_id), db.session.get(User, receiver_admin)).id

    one, two = run_overlapping(app, confirm(first_leg), confirm(second_leg))
    assert one.error is None
    assert isinstance(two.error, CreditLimitExceeded)
    assert two.error.message == "This would take Kirkby Food Bank to -12 credits; its limit is -10."
    with app.app_context():
        assert count_entries() == 1
        assert services.balance(db.session.get(Member, receiver_id)) == -6
