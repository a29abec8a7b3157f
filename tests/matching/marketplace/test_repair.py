"""Repair on decline: the others' exchange is shortened, or a replacement found, never one that
breaks a requirement or the credit rule."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.marketplace import Market, Policy, build_candidates, match
from matching.marketplace.repair import repair

from .reference import best_total, compatible, member, within_limits
from .test_match import NO_REPORT, listing, market, small_markets

RING_ONLY = Policy(report_cycle_lengths=(), max_cycle=4, max_chain=0, allow_pairs=False)


def ring_of_four():
    """1 -> 2 -> 3 -> 4 -> 1 (bookkeeping, payroll, kitchen, bookkeeping), nobody with credit room."""
    listings = [listing(1, 1, "offer"), listing(2, 2, "need"), listing(3, 2, "offer", cat=3),
                listing(4, 3, "need", cat=3), listing(5, 3, "offer", cat=5), listing(6, 4, "need", cat=5),
                listing(7, 4, "offer"), listing(8, 1, "need")]
    m = market(listings, [member(i, credit_limit=Decimal(0)) for i in (1, 2, 3, 4)])
    (ring,) = match(m, RING_ONLY).exchanges
    assert ring.shape == "cycle" and len(ring.legs) == 4
    return listings, ring


def test_a_decline_in_a_ring_of_four_closes_the_ring_of_three_that_is_left():
    listings, ring = ring_of_four()
    # member 4 also needs payroll help, which member 2 gives: without member 3, 1 -> 2 -> 4 -> 1
    m = market(listings + [listing(11, 4, "need", cat=3)], [member(i, credit_limit=Decimal(0)) for i in (1, 2, 3, 4)])
    (fixed,) = repair(m, ring, declined=3, policy=RING_ONLY)
    assert fixed.shape == "cycle" and set(fixed.member_ids) == {1, 2, 4}
    by_id = {x.id: x for x in m.listings}
    assert all(compatible(m, by_id[leg.offer_id], by_id[leg.need_id]) for leg in fixed.legs)


def test_a_decline_brings_in_a_replacement_who_offers_and_needs_what_the_missing_member_did():
    listings, ring = ring_of_four()
    m = market(listings + [listing(9, 5, "offer", cat=5), listing(10, 5, "need", cat=3)],
               [member(i, credit_limit=Decimal(0)) for i in (1, 2, 3, 4, 5)])
    (fixed,) = repair(m, ring, declined=3, policy=RING_ONLY)
    assert fixed.shape == "cycle" and set(fixed.member_ids) == {1, 2, 4, 5}


def test_nothing_is_proposed_when_nothing_valid_is_left():
    # without credit room, the three left can make no ring and no pair; nobody else could step in
    listings, ring = ring_of_four()
    m = market(listings, [member(i, credit_limit=Decimal(0)) for i in (1, 2, 3, 4)])
    assert repair(m, ring, declined=3, policy=Policy(report_cycle_lengths=(), max_cycle=4)) == ()


def test_a_chain_is_cut_before_the_member_who_declined():
    listings = [listing(1, 1, "offer", is_gift=True), listing(2, 2, "need"), listing(3, 2, "offer", cat=3),
                listing(4, 3, "need", cat=3), listing(5, 3, "offer", cat=5), listing(6, 4, "need", cat=5)]
    m = market(listings)
    chain_only = Policy(report_cycle_lengths=(), max_chain=3, allow_pairs=False)
    (chain,) = match(m, chain_only).exchanges
    assert [leg.receiver_member_id for leg in chain.legs] == [2, 3, 4]
    (fixed,) = repair(m, chain, declined=3, policy=chain_only)
    assert fixed.shape == "chain" and [(leg.giver_member_id, leg.receiver_member_id) for leg in fixed.legs] == [(1, 2)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_markets(), st.integers(0, 10), st.sampled_from([2, 3, 4]))
def test_a_repair_keeps_every_rule_and_finds_something_whenever_the_rest_could_go_ahead(m, pick, K):
    policy = Policy(report_cycle_lengths=(), max_cycle=K, max_chain=K, max_candidates_per_need=1000)
    exchanges = [ex for ex in match(m, policy).exchanges if len(ex.member_ids) >= 2]
    if not exchanges:
        return
    exchange = exchanges[pick % len(exchanges)]
    declined = exchange.member_ids[pick % len(exchange.member_ids)]
    fixed = repair(m, exchange, declined, policy)
    by_id = {x.id: x for x in m.listings}
    legs = [leg for ex in fixed for leg in ex.legs]
    assert all(declined not in ex.member_ids for ex in fixed)
    assert all(compatible(m, by_id[leg.offer_id], by_id[leg.need_id]) for leg in legs)
    used = [x for leg in legs for x in (leg.offer_id, leg.need_id)]
    assert len(used) == len(set(used))
    assert within_limits(m, fixed)
    # when the remaining listings alone could still make something, the repair proposes something
    kept = {x for leg in exchange.legs for x in (leg.offer_id, leg.need_id) if by_id[x].member_id != declined}
    rest = Market([by_id[i] for i in sorted(kept)], m.members, m.categories, m.today, declined_pairs=m.declined_pairs)
    cands = build_candidates(rest, policy)
    cand_legs = [(rest.listings[o].id, rest.listings[n].id, int(s), Decimal(str(round(float(c), 2))))
                 for o, n, s, c in zip(cands.offer.tolist(), cands.need.tolist(), cands.score.tolist(),
                                       cands.credits.tolist())]
    if best_total(rest, policy, cand_legs) > 0:
        assert fixed
