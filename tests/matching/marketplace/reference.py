"""Slow, obvious reference versions of the marketplace rules: one pair at a time, every packing."""

from __future__ import annotations

import math
from decimal import Decimal

from matching.marketplace import ListingInput, Market, MemberInput, Policy
from matching.marketplace.types import DBS_LEVELS


def distance_km(a: ListingInput, b: ListingInput) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(h, 1.0)))


def compatible(market: Market, offer: ListingInput, need: ListingInput) -> bool:
    """The issue's compatibility rules, written out for one offer and one need."""
    members = {m.id: m for m in market.members}
    giver, receiver = members[offer.member_id], members[need.member_id]
    if offer.direction != "offer" or need.direction != "need" or giver.id == receiver.id:
        return False
    if giver.suspended or receiver.suspended or (offer.id, need.id) in market.declined_pairs:
        return False
    if offer.kind != need.kind:
        return False
    oc, nc = offer.category_id, need.category_id
    if not (oc == nc or market.categories.get(oc) == nc or market.categories.get(nc) == oc):
        return False
    day = max(offer.available_from, need.available_from, market.today)
    if day > min(offer.available_until, need.available_until):
        return False
    if not offer.weekly_pattern & need.weekly_pattern:
        return False
    if (offer.quantity < need.quantity or offer.people < need.people) and not need.partial_ok:
        return False
    location = offer.location
    if location == "remote" and offer.kind in ("room", "equipment"):
        location = "at_giver"
    if location != "remote":
        if need.location == "remote":
            return False
        radius = offer.travel_km if location == "at_receiver" else need.travel_km
        if distance_km(offer, need) > radius + 1e-9:
            return False
    if need.min_dbs_level and giver.dbs_level_on(day) < DBS_LEVELS[need.min_dbs_level]:
        return False
    if need.needs_step_free and location == "at_giver" and not (offer.asset and offer.asset.step_free):
        return False
    if need.min_capacity and not (offer.asset and (offer.asset.capacity or 0) >= need.min_capacity):
        return False
    if need.needs_insurance and not (giver.insurance_expires_on and giver.insurance_expires_on >= day):
        return False
    asset = offer.asset
    if asset and asset.insurance_required and not (receiver.insurance_expires_on and receiver.insurance_expires_on >= day):
        return False
    if asset and asset.electrical and not (asset.pat_result == "pass" and asset.pat_due_on and asset.pat_due_on >= day):
        return False
    return True


def best_total(market: Market, policy: Policy, legs: list[tuple[int, int, int, Decimal]]) -> float:
    """The best total weight over every packing of cycles, chains and pairs, by brute force.

    ``legs`` are the candidate legs (offer id, need id, score, credits). A cycle or chain leg
    earns ``score + reciprocity``; a pair earns ``score``. The credit rule: for every member,
    ``balance + credits earned in cycles and chains - credits spent >= min(-limit, balance)``; a gift moves none.
    """
    by_id = {x.id: x for x in market.listings}
    owner = {x.id: x.member_id for x in market.listings}
    bonus = policy.weights.reciprocity
    exchanges = []  # (listing ids, weight, {member: (earned_cc, spent)})

    def add(seq, shape):
        credit: dict[int, list[Decimal]] = {}
        for i, (o, n, _, c) in enumerate(seq):
            if shape == "chain" and i == 0:
                continue
            credit.setdefault(owner[n], [Decimal(0), Decimal(0)])[1] += c
            if shape != "pair":
                credit.setdefault(owner[o], [Decimal(0), Decimal(0)])[0] += c
        weight = sum(s for _, _, s, _ in seq) + (bonus * len(seq) if shape != "pair" else 0)
        ids = [x for o, n, _, _ in seq for x in (o, n)]
        exchanges.append((frozenset(ids), weight, credit))

    def grow(seq, shape, limit):
        last_receiver = owner[seq[-1][1]]
        if shape == "cycle" and last_receiver == owner[seq[0][0]] and seq[0][0] == min(o for o, *_ in seq):
            add(seq, "cycle")
        if shape == "chain":
            add(seq, "chain")
        if len(seq) == limit:
            return
        used = {x for o, n, *_ in seq for x in (o, n)}
        for leg in legs:
            o, n = leg[0], leg[1]
            if owner[o] == last_receiver and o not in used and n not in used and not by_id[o].is_gift:
                grow(seq + [leg], shape, limit)

    for leg in legs:
        if by_id[leg[0]].is_gift:
            if policy.max_chain:
                grow([leg], "chain", policy.max_chain)
        else:
            grow([leg], "cycle", policy.max_cycle)
            if policy.allow_pairs:
                add([leg], "pair")
    members = {m.id: m for m in market.members}
    best = 0.0

    def search(i, used, total, credit):
        nonlocal best
        if total > best and _fine(credit, members):
            best = total
        for j in range(i, len(exchanges)):
            ids, weight, c = exchanges[j]
            if ids & used:
                continue
            new = dict(credit)
            for m, (earned, spent) in c.items():
                e, s = new.get(m, (Decimal(0), Decimal(0)))
                new[m] = (e + earned, s + spent)
            search(j + 1, used | ids, total + weight, new)

    search(0, frozenset(), 0.0, {})
    return best


def _fine(credit, members) -> bool:
    return all(members[m].balance + e - s >= min(-members[m].credit_limit, members[m].balance)
               for m, (e, s) in credit.items())


def member(i: int, **kw) -> MemberInput:
    return MemberInput(i, f"Member {i}", **kw)
