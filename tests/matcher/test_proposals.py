"""The seam from the matcher to proposals: each Leg row is the leg the matcher proposed, whole."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from timebank.accounts.services import find_user
from timebank.errors import DomainError
from timebank.exchanges.models import Exchange, Leg
from timebank.exchanges.services import LegPlan, create_proposal
from timebank.extensions import db
from timebank.matcher import runs


def test_a_run_stores_the_needs_category_the_description_and_the_credits_the_matcher_chose(
        app, make_member, make_listing, make_user, categories):
    """The offer is in Bookkeeping, the need in its parent, Finance and funding: the matcher matched
    on the need's category, so the leg is counted (reports, social value) under the need's."""
    giver, giver_admin = make_member("Huyton Hub")
    receiver, receiver_admin = make_member("Prescot Arts")
    offer = make_listing(giver, giver_admin, direction="offer", category_id=categories["bookkeeping"],
                         title="Bookkeeping", quantity=Decimal(4), people=2)
    need = make_listing(receiver, receiver_admin, category_id=categories["finance-and-funding"],
                        title="Help with our accounts", quantity=Decimal(3), people=2)
    make_user("coordinator@seam.example", coordinator=True)
    with app.test_request_context():
        run = runs.start_run(find_user("coordinator@seam.example"), {"allow_pairs": True})
        db.session.commit()
        runs.execute_run(run.id)
        [exchange] = db.session.scalars(select(Exchange)).all()
        [leg] = exchange.legs
        assert exchange.run_id == run.id
        assert (leg.offer_listing_id, leg.need_listing_id) == (offer, need)
        assert leg.category_id == categories["finance-and-funding"]
        assert leg.description == "Bookkeeping for Help with our accounts"
        assert (leg.hours, leg.people, leg.credits) == (Decimal(3), 2, Decimal(6))


def test_a_leg_made_by_hand_is_counted_under_the_needs_category(app, ring, categories):
    with app.test_request_context():
        offer, need = ring["offers"][0], ring["needs"][1]
        from timebank.listings.models import Listing

        db.session.get(Listing, need).category_id = categories["finance-and-funding"]
        exchange = create_proposal("pair", [LegPlan(
            giver_member_id=ring["members"][0], receiver_member_id=ring["members"][1], kind="skill",
            hours=Decimal(3), offer_id=offer, need_id=need)], story="A helps B.")
        assert exchange.legs[0].category_id == categories["finance-and-funding"]


def test_a_leg_whose_credits_differ_from_what_confirming_it_would_move_is_refused(app, ring):
    """Members are told what a leg moves in the story; the ledger must move exactly that."""
    with app.test_request_context():
        plan = LegPlan(giver_member_id=ring["members"][0], receiver_member_id=ring["members"][1], kind="skill",
                       hours=Decimal(3), people=2, offer_id=ring["offers"][0], need_id=ring["needs"][1],
                       credits=Decimal(3))
        with pytest.raises(DomainError, match="proposed as moving 3 time credits, but confirming it would move 6"):
            create_proposal("pair", [plan], story="A helps B.")
        db.session.rollback()
        assert db.session.scalars(select(Leg)).all() == []
