"""Slow, obvious reference versions of the marketplace rules: one pair at a time, every packing."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from matching.marketplace import ListingInput, Market, MemberInput, Policy


def distance_km(a: ListingInput, b: ListingInput) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(h, 1.0)))


def _parts_on(x: ListingInput, day: date) -> int:
    if x.dates:
        return dict(x.dates).get(day, 0)
    return x.weekly_pattern >> (3 * day.weekday()) & 7


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
    # some day both can do it, at a part of the day both can do (one-off dates: those days only)
    last = min(offer.available_until, need.available_until)
    shared = [d for d in (day + timedelta(days=n) for n in range((last - day).days + 1))
              if _parts_on(offer, d) & _parts_on(need, d)]
    if not shared:
        return False
    if offer.dates or need.dates:
        day = shared[0]
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
    if need.min_dbs_level and giver.dbs_people_on(day, need.min_dbs_level) < min(offer.people, need.people):
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


def best_total(market: Market, policy: Policy, legs: list[tuple[int, int, int, Decimal]],
               weigh=None) -> float:
    """The best total weight over every packing of cycles, chains and pairs, by brute force.

    ``legs`` are the candidate legs (offer id, need id, score, credits). A cycle or chain leg
    earns ``score + reciprocity``; a pair earns ``score``. The credit rule: each exchange is paid for
    on its own. A member is short, in a cycle, what it receives minus what it gives (if positive), and
    in a chain or a pair what it receives (a gift moves nothing); for every member the sum of its
    shortfalls is at most ``max(balance + limit, 0)``. ``weigh(shape, seq, points)``, if given,
    turns an exchange's legs and their points into its weight (the failure-aware objective).
    """
    by_id = {x.id: x for x in market.listings}
    owner = {x.id: x.member_id for x in market.listings}
    bonus = policy.weights.reciprocity
    exchanges = []  # (listing ids, weight, {member: shortfall})

    def add(seq, shape):
        net: dict[int, Decimal] = {}    # spent minus earned, in this exchange only
        for i, (o, n, _, c) in enumerate(seq):
            if shape == "chain" and i == 0:
                continue
            net[owner[n]] = net.get(owner[n], Decimal(0)) + c
            if shape == "cycle":
                net[owner[o]] = net.get(owner[o], Decimal(0)) - c
        points = [s + (bonus if shape != "pair" else 0) for _, _, s, _ in seq]
        weight = sum(points) if weigh is None else weigh(shape, seq, points)
        ids = [x for o, n, _, _ in seq for x in (o, n)]
        exchanges.append((frozenset(ids), weight, {m: max(v, Decimal(0)) for m, v in net.items()}))

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

    def search(i, used, total, short):
        nonlocal best
        if total > best and _fine(short, members):
            best = total
        for j in range(i, len(exchanges)):
            ids, weight, c = exchanges[j]
            if ids & used:
                continue
            new = dict(short)
            for m, v in c.items():
                new[m] = new.get(m, Decimal(0)) + v
            search(j + 1, used | ids, total + weight, new)

    search(0, frozenset(), 0.0, {})
    return best


def _fine(short, members) -> bool:
    return all(v <= max(members[m].balance + members[m].credit_limit, Decimal(0)) for m, v in short.items())


def shortfall(exchange, member_id: int) -> Decimal:
    """What ``member_id`` is short in one proposed exchange (see :func:`best_total`)."""
    net = Decimal(0)
    for leg in exchange.legs:
        if leg.receiver_member_id == member_id:
            net += leg.credits
        if exchange.shape == "cycle" and leg.giver_member_id == member_id:
            net -= leg.credits
    return max(net, Decimal(0))


def within_limits(market: Market, exchanges) -> bool:
    """Whatever subset of ``exchanges`` is accepted, no member ends below its limit (or, already
    below it, goes further down), counting every credit the ledger would move (a pair's giver and
    a chain's giver are paid too): the worst subset for a member is the exchanges that cost it."""
    for m in market.members:
        worst = Decimal(0)
        for ex in exchanges:
            change = sum((leg.credits for leg in ex.legs if leg.giver_member_id == m.id), Decimal(0)) \
                - sum((leg.credits for leg in ex.legs if leg.receiver_member_id == m.id), Decimal(0))
            worst += min(change, Decimal(0))
        if m.balance + worst < min(-m.credit_limit, m.balance):
            return False
    return True


def member(i: int, **kw) -> MemberInput:
    return MemberInput(i, f"Member {i}", **kw)
