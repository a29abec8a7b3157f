"""A decline through the API goes through the same service as the web's: the others are proposed
at once what they can still do without the member who declined (tests/matcher/test_repair.py)."""
from sqlalchemy import select

from tests.exchanges.conftest import propose_ring, ring  # noqa: F401
from timebank.accounts.models import User
from timebank.exchanges.models import Exchange
from timebank.extensions import db


def test_a_decline_through_the_api_proposes_the_rest_of_the_ring_as_a_ring_of_two(app, api, make_token, ring,
                                                                                   propose_ring):
    exchange_id = propose_ring()
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == ring["admins"][1]))
    declined = api(make_token(user_id)).post(f"/api/v1/proposals/{exchange_id}/decline",
                                             json={"reason": "We found a volunteer"})
    assert declined.status_code == 200 and declined.json["status"] == "voided"
    with app.app_context():
        new = db.session.scalars(select(Exchange).where(Exchange.id != exchange_id)).all()
        assert len(new) == 1 and new[0].shape == "cycle" and new[0].status == "proposed"
        a, _, c = ring["members"]
        assert {(leg.giver_member_id, leg.receiver_member_id) for leg in new[0].legs} == {(a, c), (c, a)}
        assert new[0].story.startswith("Proposed at once when Halewood Youth Club declined")
