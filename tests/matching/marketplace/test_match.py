"""The marketplace matcher on small markets: rules one by one, then properties against brute force."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.marketplace import (
    MARKET_OPTIONS,
    AssetInput,
    DbsCheck,
    ListingInput,
    Market,
    MemberInput,
    Policy,
    build_candidates,
    greedy_pairs,
    match,
)

from .reference import best_total, compatible, member, shortfall, within_limits

TODAY = date(2026, 3, 2)
LATER = TODAY + timedelta(days=60)
NO_REPORT = Policy(report_cycle_lengths=())
#: The engine's LP path on any market: no MIP over the whole programme, no branch and bound after fixing.
LP_PATH = replace(MARKET_OPTIONS, direct_mip_columns=0, mip_max_columns=0)
# categories: 1 finance > 2 bookkeeping, 3 payroll; 4 premises > 5 kitchen
CATEGORIES = {1: None, 2: 1, 3: 1, 4: None, 5: 4}
HUYTON = (53.410, -2.840)
KIRKBY = (53.482, -2.892)  # about 8.7 km from Huyton


def listing(i, m, direction, kind="skill", cat=2, **kw) -> ListingInput:
    kw.setdefault("quantity", Decimal(3))
    kw.setdefault("location", "remote" if kind in ("time", "skill") else "at_giver")
    return ListingInput(id=i, member_id=m, direction=direction, kind=kind, category_id=cat,
                        title=kw.pop("title", f"{direction} {i}"), available_from=kw.pop("available_from", TODAY),
                        available_until=kw.pop("available_until", LATER), **kw)


def on(*days, parts=0b001) -> dict:
    """A listing's fields for one-off dates (each at `parts` of the day), as the app would give them."""
    return {"dates": tuple((d, parts) for d in days), "available_from": min(days), "available_until": max(days),
            "weekly_pattern": sum(parts << 3 * weekday for weekday in {d.weekday() for d in days})}


TUESDAY_MORNINGS, FRIDAY_AFTERNOONS = 1 << 3, 1 << 13


def market(listings, members=None, **kw) -> Market:
    ids = sorted({x.member_id for x in listings})
    return Market(listings, members or [member(i) for i in ids], CATEGORIES, TODAY, **kw)


def pairs(m: Market) -> set[tuple[int, int]]:
    c = build_candidates(m, Policy(max_candidates_per_need=1000))
    return {(m.listings[o].id, m.listings[n].id) for o, n in zip(c.offer.tolist(), c.need.tolist())}


# -- compatibility, one rule at a time -----------------------------------------------------------------

ROOM = AssetInput(capacity=12, step_free=True, name="Meeting room")


@pytest.mark.parametrize("offer_kw, need_kw, members_kw, ok", [
    ({}, {}, {}, True),
    ({"kind": "time"}, {}, {}, False),                                     # different kind
    ({"cat": 3}, {}, {}, False),                                           # sibling category
    ({"cat": 1}, {}, {}, True),                                            # parent category
    ({"available_from": LATER + timedelta(days=1), "available_until": LATER + timedelta(days=9)}, {}, {}, False),
    ({"weekly_pattern": 0b1}, {"weekly_pattern": 0b10}, {}, False),         # no common time of week
    ({"weekly_pattern": 0b11}, {"weekly_pattern": 0b10}, {}, True),
    ({"quantity": Decimal(2)}, {}, {}, False),                             # too little, need not partial
    ({"quantity": Decimal(2)}, {"partial_ok": True}, {}, True),
    ({"location": "at_giver", "lat": KIRKBY[0], "lon": KIRKBY[1]},
     {"location": "at_giver", "lat": HUYTON[0], "lon": HUYTON[1], "travel_km": 5}, {}, False),
    ({"location": "at_giver", "lat": KIRKBY[0], "lon": KIRKBY[1]},
     {"location": "at_giver", "lat": HUYTON[0], "lon": HUYTON[1], "travel_km": 10}, {}, True),
    ({"location": "at_receiver", "lat": KIRKBY[0], "lon": KIRKBY[1], "travel_km": 5},
     {"location": "at_receiver", "lat": HUYTON[0], "lon": HUYTON[1], "travel_km": 50}, {}, False),
    ({"location": "at_giver"}, {"location": "remote"}, {}, False),          # need asks for remote help
    ({}, {"min_dbs_level": "enhanced"}, {"dbs": (DbsCheck("standard"),)}, False),
    ({}, {"min_dbs_level": "standard"}, {"dbs": (DbsCheck("enhanced"),)}, True),
    ({}, {"min_dbs_level": "basic"}, {"dbs": (DbsCheck("enhanced", TODAY - timedelta(days=1)),)}, False),
    # a need for six checked volunteers: the checks must cover six people at the level
    ({"kind": "time", "people": 6}, {"kind": "time", "people": 6, "min_dbs_level": "enhanced"},
     {"dbs": (DbsCheck("enhanced", people=1),)}, False),
    ({"kind": "time", "people": 6}, {"kind": "time", "people": 6, "min_dbs_level": "enhanced"},
     {"dbs": (DbsCheck("enhanced", people=4), DbsCheck("enhanced_barred", people=2))}, True),
    ({"kind": "time", "people": 6}, {"kind": "time", "people": 6, "min_dbs_level": "enhanced"},
     {"dbs": (DbsCheck("enhanced", people=4), DbsCheck("basic", people=2))}, False),
    ({"kind": "time", "people": 6}, {"kind": "time", "people": 6, "min_dbs_level": "enhanced"},
     {"dbs": (DbsCheck("enhanced", people=4), DbsCheck("enhanced", TODAY - timedelta(days=1), people=2))}, False),
    ({"kind": "time", "people": 3}, {"kind": "time", "people": 6, "min_dbs_level": "basic", "partial_ok": True},
     {"dbs": (DbsCheck("standard", people=3),)}, True),              # a partial leg sends three
    ({"kind": "time", "people": 6}, {"kind": "time", "people": 6, "min_dbs_level": "basic"},
     {"dbs": (DbsCheck("standard", people=3),)}, False),
    ({}, {"needs_insurance": True}, {"insurance_expires_on": TODAY - timedelta(days=1)}, False),
    ({}, {"needs_insurance": True}, {"insurance_expires_on": TODAY}, True),
    ({}, {}, {"suspended": True}, False),
    # when: days of the week and parts of the day, one-off dates (TODAY is a Monday)
    ({"weekly_pattern": TUESDAY_MORNINGS}, {"weekly_pattern": FRIDAY_AFTERNOONS}, {}, False),
    ({"weekly_pattern": TUESDAY_MORNINGS}, on(TODAY + timedelta(days=8)), {}, True),      # a Tuesday morning
    ({"weekly_pattern": TUESDAY_MORNINGS}, on(TODAY + timedelta(days=8), parts=0b010), {}, False),  # afternoon
    (on(TODAY + timedelta(days=1), TODAY + timedelta(days=15)), on(TODAY + timedelta(days=8)), {}, False),
    (on(TODAY + timedelta(days=1), TODAY + timedelta(days=8)), on(TODAY + timedelta(days=8)), {}, True),
    ({"weekly_pattern": TUESDAY_MORNINGS, "available_from": TODAY + timedelta(days=2),
      "available_until": TODAY + timedelta(days=7)}, {}, {}, False),                    # no Tuesday in its days
    ({}, {"min_dbs_level": "basic", **on(TODAY + timedelta(days=8))},
     {"dbs": (DbsCheck("enhanced", TODAY + timedelta(days=5)),)}, False),             # its check runs out first
])
def test_each_rule_decides_whether_an_offer_can_serve_a_need(offer_kw, need_kw, members_kw, ok):
    offer_kw, need_kw = dict(offer_kw), dict(need_kw)
    o = listing(1, 1, "offer", kind=offer_kw.pop("kind", "skill"), cat=offer_kw.pop("cat", 2), **offer_kw)
    n = listing(2, 2, "need", **need_kw)
    m = market([o, n], [MemberInput(1, "Giver", **members_kw), member(2)])
    assert (pairs(m) == {(1, 2)}) is ok
    assert compatible(m, o, n) is ok


@pytest.mark.parametrize("asset, need_kw, ok", [
    (ROOM, {"min_capacity": 10, "needs_step_free": True}, True),
    (ROOM, {"min_capacity": 20}, False),
    (replace(ROOM, step_free=False), {"needs_step_free": True}, False),
    (AssetInput(electrical=True, pat_result="pass", pat_due_on=LATER), {}, True),
    (AssetInput(electrical=True, pat_result="pass", pat_due_on=TODAY - timedelta(days=1)), {}, False),
    (AssetInput(electrical=True, pat_result="fail", pat_due_on=LATER), {}, False),
    (AssetInput(insurance_required=True), {}, False),                      # the receiver holds no insurance
])
def test_rooms_and_equipment_must_meet_the_needs_requirements(asset, need_kw, ok):
    kind = "room" if asset.capacity else "equipment"
    o = listing(1, 1, "offer", kind=kind, cat=5, asset=asset)
    n = listing(2, 2, "need", kind=kind, cat=5, **need_kw)
    m = market([o, n])
    assert (pairs(m) == {(1, 2)}) is ok
    assert compatible(m, o, n) is ok


def test_a_member_never_serves_itself_and_a_declined_pair_is_never_proposed_again():
    own = market([listing(1, 1, "offer"), listing(2, 1, "need")])
    assert pairs(own) == set()
    declined = market([listing(1, 1, "offer"), listing(2, 2, "need")], declined_pairs={(1, 2)})
    assert pairs(declined) == set()


def test_the_exact_category_scores_higher_than_the_parent():
    m = market([listing(1, 1, "offer", cat=2), listing(2, 2, "offer", cat=1), listing(3, 3, "need", cat=2)])
    c = build_candidates(m, Policy())
    score = {m.listings[o].id: s for o, s in zip(c.offer.tolist(), c.score.tolist())}
    assert score[1] > score[2]


def test_a_proposed_leg_carries_what_its_leg_row_needs_whole():
    """The seam to the product: the need's category (what was matched on, here the parent of the
    offer's), a description naming both listings, and the credits the leg moves."""
    m = market([listing(1, 1, "offer", cat=2, title="Bookkeeping", quantity=Decimal(4), people=2),
                listing(2, 2, "need", cat=1, title="Help with our accounts", quantity=Decimal(3), people=2)])
    [leg] = match(m, NO_REPORT).legs
    assert (leg.offer_id, leg.need_id, leg.category_id, leg.kind) == (1, 2, 1, "skill")
    assert leg.description == "Bookkeeping for Help with our accounts"
    assert (leg.hours, leg.people, leg.credits, leg.is_gift) == (Decimal(3), 2, Decimal(6), False)


def test_three_members_who_each_need_what_the_next_offers_form_a_ring_with_a_story():
    m = market(
        [listing(1, 1, "offer", kind="time", cat=5, title="Volunteers for a cooking course"),
         listing(2, 1, "need", kind="room", cat=5, title="A kitchen for our cooking course"),
         listing(3, 2, "offer", kind="skill", cat=3, title="Payroll set-up"),
         listing(4, 2, "need", kind="time", cat=5, title="Helpers for our kitchen"),
         listing(5, 3, "offer", kind="room", cat=5, title="Community kitchen",
                 asset=AssetInput(capacity=10, step_free=True)),
         listing(6, 3, "need", kind="skill", cat=3, title="Help setting up payroll")],
        [MemberInput(1, "Kirkby Food Bank"), MemberInput(2, "Halewood Youth Club"),
         MemberInput(3, "Prescot Seniors"), ])
    result = match(m, NO_REPORT)
    [ring] = result.exchanges
    assert ring.shape == "cycle"
    assert [(leg.giver_member_id, leg.receiver_member_id) for leg in ring.legs] == [(1, 2), (2, 3), (3, 1)]
    assert ring.story.startswith("Kirkby Food Bank offers “Volunteers for a cooking course” for "
                                 "Halewood Youth Club's “Helpers for our kitchen”")
    assert "Prescot Seniors completes the ring with “Community kitchen” for Kirkby Food Bank's" in ring.story
    assert all(leg.reason for leg in ring.legs)
    # said plainly, without the matcher's points
    assert all(leg.reason.endswith("Ranked higher because it is part of a ring, where everyone gives and gets.")
               and "points" not in leg.reason for leg in ring.legs)
    assert result.stats["status"] == "optimal" and result.stats["gap"] == 0


def test_a_gift_starts_a_chain_and_moves_no_credits():
    m = market([listing(1, 1, "offer", is_gift=True, title="Bookkeeping from Merseyside Accountancy"),
                listing(2, 2, "need"), listing(3, 2, "offer", cat=3), listing(4, 3, "need", cat=3)])
    [chain] = match(m, NO_REPORT).exchanges
    assert chain.shape == "chain"
    assert [leg.is_gift for leg in chain.legs] == [True, False]
    assert [leg.credits for leg in chain.legs] == [0, 3]
    assert chain.story.startswith("It starts with a gift: Member 1 gives “Bookkeeping from Merseyside Accountancy”")
    assert all("passes a gift on" in leg.reason and "points" not in leg.reason for leg in chain.legs)


def test_a_pair_is_only_proposed_when_the_receiver_can_pay_from_its_own_balance():
    # Member 2 needs 3 hours and may go 2 below zero: it cannot pay, whatever it earns elsewhere.
    m = market([listing(1, 1, "offer"), listing(2, 2, "need"),
                listing(3, 2, "offer", cat=5, kind="time"), listing(4, 3, "need", cat=5, kind="time")],
               [member(1), member(2, credit_limit=Decimal(2)), member(3)])
    result = match(m, NO_REPORT)
    assert [(ex.shape, ex.legs[0].offer_id) for ex in result.exchanges] == [("pair", 3)]
    richer = replace(m, members=(member(1), member(2, credit_limit=Decimal(2), balance=Decimal(1)), member(3)))
    assert sorted(ex.legs[0].offer_id for ex in match(richer, NO_REPORT).exchanges) == [1, 3]


def test_what_a_member_earns_in_a_ring_never_pays_for_a_pair():
    # Member 1 earns 8 credits net in a ring with member 2 and needs two 6-hour pairs; its limit is 10.
    # Counting the ring's 8 would let it take both pairs, but if the ring were declined it would end
    # at -12. Each exchange is paid for on its own, so it gets the ring and one pair.
    m = market([listing(1, 1, "offer", cat=2, quantity=Decimal(20)), listing(2, 2, "need", cat=2, quantity=Decimal(20)),
                listing(3, 2, "offer", cat=3, quantity=Decimal(12)), listing(4, 1, "need", cat=3, quantity=Decimal(12)),
                listing(5, 3, "offer", cat=5, quantity=Decimal(6)), listing(6, 1, "need", cat=5, quantity=Decimal(6)),
                listing(7, 4, "offer", kind="time", cat=2, quantity=Decimal(6)),
                listing(8, 1, "need", kind="time", cat=2, quantity=Decimal(6))])
    result = match(m, NO_REPORT)
    assert [ex.shape for ex in result.exchanges] == ["cycle", "pair"]
    assert within_limits(m, result.exchanges)
    assert result.stats["status"] == "optimal"


def test_a_member_in_a_chain_pays_for_what_it_receives_before_it_passes_help_on():
    # 1 gives 2 a gift; 2 could pass 12 hours on to 3, and 3 six hours on to 4. Member 3 would receive
    # 12 credits' worth before it gives anything (its limit is 10), so the chain stops at 2, and 3
    # helps 4 as a pair that 4 can pay for.
    m = market([listing(1, 1, "offer", cat=2, is_gift=True), listing(2, 2, "need", cat=2),
                listing(3, 2, "offer", cat=3, quantity=Decimal(12)), listing(4, 3, "need", cat=3, quantity=Decimal(12)),
                listing(5, 3, "offer", cat=5, quantity=Decimal(6)), listing(6, 4, "need", cat=5, quantity=Decimal(6))])
    result = match(m, NO_REPORT)
    assert [(ex.shape, [(leg.giver_member_id, leg.receiver_member_id) for leg in ex.legs])
            for ex in result.exchanges] == [("chain", [(1, 2)]), ("pair", [(3, 4)])]
    assert within_limits(m, result.exchanges)


def test_the_run_reports_what_longer_cycles_would_add():
    # a ring of four members: nothing at K = 2 or 3, four needs met at K = 4
    ls = []
    for i, (kind, cat) in enumerate([("skill", 2), ("skill", 3), ("time", 2), ("time", 3)]):
        ls.append(listing(10 + i, i + 1, "offer", kind=kind, cat=cat))
        ls.append(listing(20 + i, (i + 1) % 4 + 1, "need", kind=kind, cat=cat))
    m = market(ls)
    result = match(m, Policy(allow_pairs=False, report_cycle_lengths=(2, 3, 4, 6)))
    assert result.stats["needs_met"] == 0
    assert {k: v["needs_met"] for k, v in result.stats["needs_met_by_K"].items()} == {2: 0, 3: 0, 4: 4, 6: 4}


def test_an_empty_market_proposes_nothing():
    result = match(Market([], [], {}, TODAY), Policy())
    assert result.exchanges == () and result.stats["needs_met"] == 0


# -- properties on small random markets ------------------------------------------------------------------

PLACES = [HUYTON, KIRKBY, (53.430, -2.800)]


@st.composite
def small_markets(draw):
    n_members = draw(st.integers(2, 4))
    members = [MemberInput(i, f"Member {i}", suspended=draw(st.booleans()) and i == 4,
                           balance=Decimal(draw(st.sampled_from([-4, 0, 3]))),
                           credit_limit=Decimal(draw(st.sampled_from([0, 2, 10]))),
                           dbs=tuple(DbsCheck(draw(st.sampled_from(["basic", "enhanced"])),
                                              draw(st.sampled_from([None, TODAY + timedelta(days=10)])),
                                              people=draw(st.integers(1, 2)))
                                     for _ in range(draw(st.integers(0, 2)))),
                           insurance_expires_on=LATER if draw(st.booleans()) else None)
               for i in range(1, n_members + 1)]
    listings = []
    for i in range(draw(st.integers(2, 8))):
        direction = draw(st.sampled_from(["offer", "need"]))
        place = draw(st.sampled_from(PLACES))
        listings.append(ListingInput(
            id=i + 1, member_id=draw(st.integers(1, n_members)), direction=direction,
            kind=draw(st.sampled_from(["skill", "time"])), category_id=draw(st.sampled_from([1, 2, 3])),
            title=f"Listing {i + 1}", quantity=Decimal(draw(st.integers(1, 4))),
            people=draw(st.integers(1, 2)),
            available_from=TODAY + timedelta(days=draw(st.integers(0, 20))),
            available_until=TODAY + timedelta(days=draw(st.integers(20, 60))),
            weekly_pattern=draw(st.sampled_from([1, 2, 3, (1 << 21) - 1])),
            location=draw(st.sampled_from(["remote", "at_giver", "at_receiver"])), lat=place[0], lon=place[1],
            travel_km=draw(st.sampled_from([2.0, 10.0])),
            min_dbs_level=draw(st.sampled_from([None, "basic", "standard"])) if direction == "need" else None,
            needs_insurance=direction == "need" and draw(st.booleans()),
            urgency=draw(st.integers(1, 4)), is_gift=direction == "offer" and draw(st.booleans()),
            partial_ok=direction == "need" and draw(st.booleans()), waited_days=draw(st.integers(0, 100))))
    declined = set()
    if len(listings) >= 2 and draw(st.booleans()):
        declined.add((listings[0].id, listings[1].id))
    return Market(listings, members, CATEGORIES, TODAY, declined_pairs=declined)


policies = st.builds(Policy, max_cycle=st.integers(2, 3), max_chain=st.integers(0, 3), allow_pairs=st.booleans(),
                     report_cycle_lengths=st.just(()), max_candidates_per_need=st.just(1000))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_markets(), policies)
def test_the_optimiser_matches_brute_force_and_keeps_every_rule(m, policy):
    result = match(m, policy)
    legs = result.legs
    by_id = {x.id: x for x in m.listings}
    cands = build_candidates(m, policy)
    # candidates are exactly the compatible pairs (one offer per giving member and need kept)
    expected = {(o.id, n.id) for o in m.listings for n in m.listings if compatible(m, o, n)}
    assert pairs(m) <= expected
    assert {(by_id[o].member_id, n) for o, n in expected} == {(by_id[o].member_id, n) for o, n in pairs(m)}
    # every leg is compatible, and no listing is used twice
    used = [x for leg in legs for x in (leg.offer_id, leg.need_id)]
    assert len(used) == len(set(used))
    assert all(compatible(m, by_id[leg.offer_id], by_id[leg.need_id]) for leg in legs)
    # each exchange is joined up: every receiver gives the next leg (ring or chain)
    for ex in result.exchanges:
        nxt = ex.legs[1:] + (ex.legs[:1] if ex.shape == "cycle" else ())
        assert all(a.receiver_member_id == b.giver_member_id for a, b in zip(ex.legs, nxt))
        assert ex.shape != "pair" or len(ex.legs) == 1
        assert ex.shape != "chain" or (ex.legs[0].is_gift and len(ex.legs) <= policy.max_chain)
        assert ex.shape != "cycle" or 2 <= len(ex.legs) <= policy.max_cycle
    # the credit rule: each member's shortfalls fit within what it may spend, so whatever subset of
    # the exchanges is accepted, nobody ends below its limit
    for mem in m.members:
        short = sum((shortfall(ex, mem.id) for ex in result.exchanges), Decimal(0))
        assert short <= max(mem.balance + mem.credit_limit, Decimal(0))
    assert within_limits(m, result.exchanges)
    # exact: the objective is the brute-force optimum over the same candidate legs
    cand_legs = [(m.listings[o].id, m.listings[n].id, int(s), Decimal(str(round(float(c), 2))))
                 for o, n, s, c in zip(cands.offer.tolist(), cands.need.tolist(), cands.score.tolist(),
                                       cands.credits.tolist())]
    assert result.stats["objective"] == pytest.approx(best_total(m, policy, cand_legs))
    assert result.stats["objective"] == pytest.approx(sum(leg.score for leg in legs))
    # deterministic
    again = match(m, policy)
    assert again.exchanges == result.exchanges


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_markets(), policies)
def test_the_lp_path_keeps_every_rule_and_its_bound_covers_the_brute_force_optimum(m, policy):
    result = match(m, policy, options=LP_PATH)
    cands = build_candidates(m, policy)
    cand_legs = [(m.listings[o].id, m.listings[n].id, int(s), Decimal(str(round(float(c), 2))))
                 for o, n, s, c in zip(cands.offer.tolist(), cands.need.tolist(), cands.score.tolist(),
                                       cands.credits.tolist())]
    best = best_total(m, policy, cand_legs)
    assert result.stats["objective"] <= best + 1e-6 <= result.stats["bound"] + 1e-6
    assert within_limits(m, result.exchanges)
    used = [x for leg in result.legs for x in (leg.offer_id, leg.need_id)]
    assert len(used) == len(set(used))


@settings(max_examples=40, deadline=None)
@given(small_markets())
def test_the_optimiser_meets_at_least_the_greedy_pairs_score(m):
    greedy = greedy_pairs(m, Policy(report_cycle_lengths=()))
    result = match(m, Policy(report_cycle_lengths=(), weights=replace(Policy().weights, reciprocity=0)))
    assert result.stats["objective"] >= greedy["score"]


# -- the exchange columns: rings, chains through a member twice, large markets -------------------------


def test_a_gift_chain_may_pass_through_a_member_twice_with_different_listings():
    # 1 gives to 2; 2 -> 3 -> 4 -> 2 is a ring of three, longer than K = 2, so only a chain meets all four needs
    chain = [(1, 2, 2), (2, 3, 3), (3, 4, 2), (4, 2, 3)]        # (giver, receiver, category)
    ls = []
    for i, (g, r, cat) in enumerate(chain):
        ls.append(listing(10 + i, g, "offer", cat=cat, is_gift=i == 0))
        ls.append(listing(20 + i, r, "need", cat=cat))
    result = match(market(ls), Policy(max_cycle=2, max_chain=4, allow_pairs=False, report_cycle_lengths=()))
    [ex] = result.exchanges
    assert ex.shape == "chain"
    assert [(leg.giver_member_id, leg.receiver_member_id) for leg in ex.legs] == [(1, 2), (2, 3), (3, 4), (4, 2)]
    assert result.stats["status"] == "optimal"


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9), st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=30), st.integers(2, 5))
def test_member_rings_are_exactly_the_simple_cycles_of_the_member_graph(n, arcs, K):
    import networkx as nx
    import numpy as np

    from matching.marketplace.columns import MemberGraph

    arcs = sorted({(a % n, b % n) for a, b in arcs if a % n != b % n})
    g = np.array([a for a, _ in arcs], dtype=np.int64)
    r = np.array([b for _, b in arcs], dtype=np.int64)
    found = set()
    if arcs:
        for k, rows in MemberGraph(n, g, r, np.arange(len(arcs))).rings(K).items():
            for row in rows.tolist():
                assert len(row) == k and row[0] == min(row)
                found.add(tuple(row))
    expected = set()
    for cyc in nx.simple_cycles(nx.DiGraph(arcs), length_bound=K):
        i = cyc.index(min(cyc))
        expected.add(tuple(cyc[i:] + cyc[:i]))
    assert found == expected


def _random_market(seed: int, n_members: int, n_listings: int) -> Market:
    import random

    rng = random.Random(seed)
    members = [MemberInput(i, f"Member {i}", balance=Decimal(rng.choice([0, 0, 5])), credit_limit=Decimal(10))
               for i in range(1, n_members + 1)]
    listings = []
    for i in range(1, n_listings + 1):
        direction = rng.choice(["offer", "need"])
        listings.append(listing(i, rng.randint(1, n_members), direction, cat=rng.choice([1, 2, 3]),
                                quantity=Decimal(rng.randint(1, 12)), urgency=rng.randint(1, 4),
                                waited_days=rng.randint(0, 90), weekly_pattern=rng.randint(1, (1 << 21) - 1),
                                is_gift=direction == "offer" and rng.random() < 0.1,
                                partial_ok=direction == "need" and rng.random() < 0.3))
    return Market(listings, members, CATEGORIES, TODAY)


def _keeps_every_rule(m: Market, result) -> None:
    by_id = {x.id: x for x in m.listings}
    used = [x for leg in result.legs for x in (leg.offer_id, leg.need_id)]
    assert len(used) == len(set(used))
    assert all(compatible(m, by_id[leg.offer_id], by_id[leg.need_id]) for leg in result.legs)
    for ex in result.exchanges:
        nxt = ex.legs[1:] + (ex.legs[:1] if ex.shape == "cycle" else ())
        assert all(a.receiver_member_id == b.giver_member_id for a, b in zip(ex.legs, nxt))
    for mem in m.members:
        short = sum((shortfall(ex, mem.id) for ex in result.exchanges), Decimal(0))
        assert short <= max(mem.balance + mem.credit_limit, Decimal(0))
    assert within_limits(m, result.exchanges)
    s = result.stats
    assert s["objective"] == sum(leg.score for leg in result.legs)
    assert s["objective"] <= s["bound"] and s["gap"] == pytest.approx((s["bound"] - s["objective"]) / max(1, s["objective"]))


def test_a_larger_market_gets_the_same_answer_twice_and_keeps_every_rule():
    m = _random_market(3, 12, 80)
    policy = Policy(report_cycle_lengths=())
    first, again = match(m, policy), match(m, policy)
    assert first.exchanges == again.exchanges
    assert first.stats["status"] == "optimal" and first.stats["needs_met"] > 0
    assert {ex.shape for ex in first.exchanges} == {"cycle", "chain", "pair"}
    _keeps_every_rule(m, first)


def test_too_large_for_branch_and_bound_the_answer_keeps_every_rule_and_its_bound_covers_the_optimum():
    m = _random_market(5, 12, 80)
    policy = Policy(report_cycle_lengths=())
    exact = match(m, policy)
    large = match(m, policy, options=LP_PATH)
    _keeps_every_rule(m, large)
    assert large.stats["objective"] <= exact.stats["objective"] <= large.stats["bound"]
    assert large.stats["objective"] >= large.stats["engine"]["greedy"] > 0
    assert large.stats["bound"] <= large.stats["engine"]["lagrangian_bound"] + 1
    assert match(m, policy, options=LP_PATH).exchanges == large.exchanges


def test_the_reason_says_how_many_people_the_dbs_checks_cover_and_how_many_are_needed():
    o = listing(1, 1, "offer", kind="time", people=6, quantity=Decimal(1), title="Six stewards")
    n = listing(2, 2, "need", kind="time", people=6, quantity=Decimal(1), min_dbs_level="enhanced",
                title="Stewards for a youth event")
    giver = MemberInput(1, "Huyton Scouts", dbs=(DbsCheck("enhanced", people=4), DbsCheck("enhanced_barred", people=3)))
    result = match(market([o, n], [giver, member(2)]), Policy(report_cycle_lengths=(), allow_pairs=True))
    [leg] = result.legs
    assert "Huyton Scouts' DBS checks at enhanced level or above cover 7 people on that day (6 are needed)" in leg.reason
