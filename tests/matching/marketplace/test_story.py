"""What an exchange's story says about credits is what the ledger will do with each leg."""

from __future__ import annotations

from decimal import Decimal

import pytest

from matching.marketplace.story import story
from matching.marketplace.types import ProposedLeg

NAMES = {1: "Merseyside Accountancy", 2: "Kirkby Food Bank", 3: "Halewood Youth Club", 4: "Prescot Seniors"}


def leg(giver, receiver, kind="skill", hours=3, people=1, gift=False, credits=None) -> ProposedLeg:
    """A leg as the matcher makes it: gifts move nothing, time hours x people, rooms and equipment 0."""
    if credits is None:
        credits = 0 if gift or kind not in ("time", "skill") else hours * people
    return ProposedLeg(offer_id=giver * 10, need_id=receiver * 10 + 1, giver_member_id=giver,
                       receiver_member_id=receiver, kind=kind, category_id=1, hours=Decimal(hours), people=people,
                       is_gift=gift, score=10, reason="", credits=Decimal(credits), description="")


def tell(shape, legs):
    titles = {x.offer_id: f"offer {x.offer_id}" for x in legs} | {x.need_id: f"need {x.need_id}" for x in legs}
    return story(shape, legs, NAMES, titles)


@pytest.mark.parametrize("kind, words", [
    ("room", "the use of its room counts as Merseyside Accountancy's in-kind social value"),
    ("equipment", "the loan of its equipment counts as Merseyside Accountancy's in-kind social value"),
    ("skill", "its hours count as Merseyside Accountancy's social value"),
])
def test_a_gift_says_what_it_counts_as(kind, words):
    text = tell("chain", [leg(1, 2, kind=kind, gift=True), leg(2, 3)])
    assert "The gift moves no credits" in text and words in text
    if kind != "skill":
        assert "hours count" not in text


def test_each_later_leg_of_a_chain_says_what_it_moves():
    text = tell("chain", [leg(1, 2, gift=True), leg(2, 3, kind="room"), leg(3, 4, hours=2, people=3)])
    assert "credit per hour" not in text  # not every leg earns one
    assert "Halewood Youth Club earns 6 time credits from Prescot Seniors" in text
    assert "Kirkby Food Bank lends its room for no credits" in text
    assert "Kirkby Food Bank earns" not in text


def test_a_ring_with_a_room_says_the_room_moves_no_credits():
    text = tell("cycle", [leg(2, 3), leg(3, 4, kind="room"), leg(4, 2, kind="equipment")])
    assert "Kirkby Food Bank earns 3 time credits from Halewood Youth Club" in text
    assert "Halewood Youth Club lends its room for no credits" in text
    assert "Prescot Seniors lends its equipment for no credits" in text


def test_a_loan_that_the_policy_pays_for_says_so_not_per_hour():
    text = tell("pair", [leg(3, 4, kind="room", credits=2)])
    assert "Prescot Seniors pays 2 time credits" in text and "each hour" not in text
    assert "No time credits change hands" in tell("pair", [leg(3, 4, kind="room")])
    assert "one credit for each hour of each person's time" in tell("pair", [leg(3, 4, hours=2, people=2)])
