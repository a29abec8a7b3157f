"""Which offers can serve which needs, and how well: the candidate legs, built with indexes.

Listings are held as columns (numpy arrays). Offers are sorted by (kind, category) so the offers
that may serve a need are a few contiguous ranges, one per related category (the need's own,
its parent and its children); every pair in those ranges is checked in one vectorised pass.
Knowsley is about 15 km across and travel radii run to 20 km, so a spatial grid would prune
little: distance is one of the vectorised checks instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from .types import DBS_LEVELS, KINDS, ListingInput, Market, Policy

LOCATIONS = ("at_giver", "at_receiver", "remote")
#: Category fit of an offer in the need's own category, and in its parent or a child.
EXACT_FIT, RELATED_FIT = 1.0, 0.5
#: Days of waiting after which the waiting part of the score is full.
WAIT_FULL_DAYS = 90
EARTH_RADIUS_KM = 6371.0088
_NEVER = np.iinfo(np.int64).max


@dataclass
class Candidates:
    """Candidate legs as parallel arrays (row ``k`` is offer ``offer[k]`` serving need ``need[k]``).

    Indices point into :attr:`listings`; ``member`` maps a listing index to its member's index
    in ``market.members``.
    """

    listings: tuple[ListingInput, ...]
    member: np.ndarray
    offer: np.ndarray
    need: np.ndarray
    score: np.ndarray       # int64 points, 1..100
    fit: np.ndarray         # EXACT_FIT or RELATED_FIT
    km: np.ndarray          # distance between the places (nan for remote help)
    radius: np.ndarray      # the radius that applied (nan for remote help)
    hours: np.ndarray       # planned amount in the offer's unit
    people: np.ndarray
    partial: np.ndarray     # bool: covers only part of the need
    day: np.ndarray         # first day both can do it (ordinal)
    credits: np.ndarray     # credits it would move as a paid leg (gifts move none)
    considered: int         # pairs checked (same kind, related category)
    compatible: int         # pairs that passed every check

    @property
    def size(self) -> int:
        return int(self.offer.size)


def _columns(market: Market) -> dict[str, np.ndarray]:
    """Listing fields as arrays, with member and asset facts joined in."""
    listings = market.listings
    members = {m.id: i for i, m in enumerate(market.members)}
    n = len(listings)

    def col(fn, dtype):
        return np.fromiter((fn(x) for x in listings), dtype=dtype, count=n)

    c = {
        "member": col(lambda x: members[x.member_id], np.int64),
        "offer": col(lambda x: x.direction == "offer", bool),
        "kind": col(lambda x: KINDS.index(x.kind), np.int64),
        "cat": col(lambda x: x.category_id, np.int64),
        "start": col(lambda x: x.available_from.toordinal(), np.int64),
        "end": col(lambda x: x.available_until.toordinal(), np.int64),
        "week": col(lambda x: x.weekly_pattern, np.int64),
        "dated": col(lambda x: bool(x.dates), bool),
        "loc": col(lambda x: LOCATIONS.index(x.location), np.int64),
        "lat": col(lambda x: math.radians(x.lat), np.float64),
        "lon": col(lambda x: math.radians(x.lon), np.float64),
        "travel": col(lambda x: float(x.travel_km), np.float64),
        "qty": col(lambda x: float(x.quantity), np.float64),
        "people": col(lambda x: x.people, np.int64),
        "dbs": col(lambda x: DBS_LEVELS[x.min_dbs_level] if x.min_dbs_level else 0, np.int64),
        "step_free": col(lambda x: x.needs_step_free, bool),
        "min_cap": col(lambda x: x.min_capacity or 0, np.int64),
        "insurance": col(lambda x: x.needs_insurance, bool),
        "urgency": col(lambda x: x.urgency, np.int64),
        "gift": col(lambda x: x.is_gift, bool),
        "partial_ok": col(lambda x: x.partial_ok, bool),
        "waited": col(lambda x: max(x.waited_days, 0), np.int64),
        "has_asset": col(lambda x: x.asset is not None, bool),
        "capacity": col(lambda x: (x.asset.capacity or 0) if x.asset else 0, np.int64),
        "asset_step_free": col(lambda x: bool(x.asset and x.asset.step_free), bool),
        "asset_insurance": col(lambda x: bool(x.asset and x.asset.insurance_required), bool),
        # last day an electrical item may be lent: its PAT due date if it passed, never if it failed
        "pat_until": col(lambda x: _pat_until(x), np.int64),
    }
    # rooms and equipment are never remote: they are used or collected at the giver's place
    c["loc"][(c["kind"] >= 2) & (c["loc"] == 2)] = 0
    # members: their DBS checks as flat arrays grouped by member (level, last day, people), and insurance
    checks = [(i, DBS_LEVELS[check.level], _NEVER if check.expires_on is None else check.expires_on.toordinal(),
               check.people) for i, m in enumerate(market.members) for check in m.dbs]
    table = np.array(checks, dtype=np.int64).reshape(-1, 4)
    c["dbs_level"], c["dbs_until"], c["dbs_people"] = table[:, 1], table[:, 2], table[:, 3]
    c["dbs_count"] = np.bincount(table[:, 0], minlength=len(market.members)).astype(np.int64)
    c["dbs_first"] = np.cumsum(c["dbs_count"]) - c["dbs_count"]
    ins_until = np.full(len(market.members), -1, dtype=np.int64)
    for i, m in enumerate(market.members):
        if m.insurance_expires_on is not None:
            ins_until[i] = m.insurance_expires_on.toordinal()
    c["ins_until"] = ins_until
    c["suspended"] = np.fromiter((m.suspended for m in market.members), dtype=bool, count=len(market.members))
    return c


def _dbs_covered(c, giver: np.ndarray, nd: np.ndarray, day: np.ndarray, people: np.ndarray) -> np.ndarray:
    """For each pair: no DBS level is asked, or the giver's checks at that level or above, valid on
    the day, cover the people the leg sends (a need for six checked volunteers needs six)."""
    level = c["dbs"][nd]
    ok = np.ones(nd.size, dtype=bool)
    asks = np.flatnonzero(level > 0)
    if asks.size == 0:
        return ok
    count = c["dbs_count"][giver[asks]]
    row = np.repeat(np.arange(asks.size), count)
    pos = (np.arange(int(count.sum()), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
           + np.repeat(c["dbs_first"][giver[asks]], count))
    valid = (c["dbs_level"][pos] >= level[asks][row]) & (c["dbs_until"][pos] >= day[asks][row])
    covered = np.bincount(row, weights=np.where(valid, c["dbs_people"][pos], 0), minlength=asks.size)
    ok[asks] = covered >= people[asks]
    return ok


def _pat_until(x: ListingInput) -> int:
    a = x.asset
    if a is None or not a.electrical:
        return _NEVER
    if a.pat_result != "pass" or a.pat_due_on is None:
        return -1
    return a.pat_due_on.toordinal()


def _related_categories(categories: dict[int, int | None]) -> dict[int, list[tuple[int, float]]]:
    """For each category: itself (exact fit), its parent and its children (related fit)."""
    children: dict[int, list[int]] = {}
    for cat, parent in categories.items():
        if parent is not None:
            children.setdefault(parent, []).append(cat)
    out = {}
    for cat, parent in categories.items():
        rel = [(cat, EXACT_FIT)]
        if parent is not None:
            rel.append((parent, RELATED_FIT))
        rel.extend((child, RELATED_FIT) for child in sorted(children.get(cat, ())))
        out[cat] = rel
    return out


def build_candidates(market: Market, policy: Policy) -> Candidates:
    """Every compatible (offer, need) leg, scored, then capped (see ``docs/matching.md``).

    Parameters
    ----------
    market : Market
    policy : Policy
        Score weights, asset credits and ``max_candidates_per_need``.

    Returns
    -------
    Candidates
        Sorted by need then offer; at most one offer per (giving member, need) and at most
        ``policy.max_candidates_per_need`` per need, the best scores kept (ties: lower offer id).

    Notes
    -----
    O(L + P) for L listings and P pairs of the same kind in related categories, all checks
    vectorised; plus O(P log P) for the caps.

    Examples
    --------
    >>> from datetime import date
    >>> from decimal import Decimal
    >>> from matching.marketplace.types import ListingInput, Market, MemberInput, Policy
    >>> d0, d1 = date(2026, 1, 1), date(2026, 3, 1)
    >>> m = Market([ListingInput(1, 1, "offer", "skill", 5, "Bookkeeping", Decimal(4), d0, d1, location="remote"),
    ...             ListingInput(2, 2, "need", "skill", 5, "Books", Decimal(4), d0, d1)],
    ...            [MemberInput(1, "A"), MemberInput(2, "B")], {5: None}, d0)
    >>> build_candidates(m, Policy()).size
    1
    """
    listings = market.listings
    today = market.today.toordinal()
    c = _columns(market)
    if not listings:
        return _empty(listings, c)
    o, nd, fit = _related_pairs(market, c, today)
    considered = int(o.size)
    o, nd, fit, full, day = _cheap_checks(c, o, nd, fit, today)
    o, nd, fit, full, day = _times_meet(listings, c, o, nd, fit, full, day)
    o, nd, fit, full, day, km, radius = _place_and_requirements(market, c, o, nd, fit, full, day)
    compatible = int(o.size)
    score = _score(c, nd, fit, km, radius, policy)
    final = _caps(c, listings, o, nd, score, policy.max_candidates_per_need, policy.one_offer_per_giver)
    o, nd, day, full = o[final], nd[final], day[final], full[final]
    hours = np.where(full, c["qty"][nd], np.minimum(c["qty"][o], c["qty"][nd]))
    people = np.where(full, c["people"][nd], np.minimum(c["people"][o], c["people"][nd]))
    time_kind = c["kind"][nd] <= 1
    credits = np.where(time_kind, hours * people, float(policy.asset_credits))
    return Candidates(
        listings=listings, member=c["member"], offer=o, need=nd, score=score[final], fit=fit[final],
        km=km[final], radius=radius[final], hours=hours, people=people, partial=~full, day=day,
        credits=credits, considered=considered, compatible=compatible,
    )


def _related_pairs(market: Market, c: dict[str, np.ndarray], today: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (offer, need) of active members, same kind, the need's category or its parent or a
    child, found by binary search in the offers sorted by (kind, category); and the category fit."""
    active = ~c["suspended"][c["member"]] & (c["end"] >= today)
    offers = np.flatnonzero(c["offer"] & active)
    needs = np.flatnonzero(~c["offer"] & active)
    okey = c["kind"][offers] * (1 << 40) + c["cat"][offers]
    order = np.lexsort((offers, okey))
    offers, okey = offers[order], okey[order]
    # explode needs into (need, related category, fit) rows
    related = _related_categories(dict(market.categories))
    rel_need, rel_key, rel_fit = [], [], []
    for i in needs:
        k = int(c["kind"][i]) * (1 << 40)
        for cat, fit in related.get(int(c["cat"][i]), [(int(c["cat"][i]), EXACT_FIT)]):
            rel_need.append(i)
            rel_key.append(k + cat)
            rel_fit.append(fit)
    rel_need = np.asarray(rel_need, dtype=np.int64)
    rel_key = np.asarray(rel_key, dtype=np.int64)
    rel_fit = np.asarray(rel_fit, dtype=np.float64)
    lo = np.searchsorted(okey, rel_key, side="left")
    cnt = np.searchsorted(okey, rel_key, side="right") - lo
    row = np.repeat(np.arange(rel_need.size), cnt)
    pos = np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    return offers[pos], rel_need[row], rel_fit[row]


def _cheap_checks(c: dict[str, np.ndarray], o: np.ndarray, nd: np.ndarray, fit: np.ndarray, today: int
                  ) -> tuple[np.ndarray, ...]:
    """The checks that need no distance: members, weekly pattern, remote need, quantity, dates.

    Returns the pairs that pass, their fit, whether the offer covers the need whole, and the
    first day both can do it.
    """
    ok = c["member"][o] != c["member"][nd]
    ok &= (c["week"][o] & c["week"][nd]) != 0
    ok &= (c["loc"][o] == 2) | (c["loc"][nd] != 2)
    full = (c["qty"][o] >= c["qty"][nd]) & (c["people"][o] >= c["people"][nd])
    ok &= full | c["partial_ok"][nd]
    day = np.maximum(np.maximum(c["start"][o], c["start"][nd]), today)
    ok &= day <= np.minimum(c["end"][o], c["end"][nd])
    sel = np.flatnonzero(ok)
    return o[sel], nd[sel], fit[sel], full[sel], day[sel]


def _parts_on(x: ListingInput, day: date) -> int:
    """The parts of `day` (3 bits, morning is bit 0) the listing can do: its one-off date's, or its week's."""
    if x.dates:
        return next((parts for d, parts in x.dates if d == day), 0)
    return x.weekly_pattern >> (day.weekday() * 3) & 0b111


def first_shared_day(offer: ListingInput, need: ListingInput, first: date, last: date) -> date | None:
    """The first day from `first` to `last` on which both can do it at a shared part of the day, or None.

    Day by day over at most a week, or over the one-off dates of a listing that has them.
    """
    dated = offer if offer.dates else need if need.dates else None
    if dated is not None:
        days = sorted(d for d, _ in dated.dates if first <= d <= last)
    else:
        days = [date.fromordinal(n) for n in range(first.toordinal(), min(last.toordinal(), first.toordinal() + 6) + 1)]
    return next((d for d in days if _parts_on(offer, d) & _parts_on(need, d)), None)


def _times_meet(listings: tuple[ListingInput, ...], c: dict[str, np.ndarray], o: np.ndarray, nd: np.ndarray,
                fit: np.ndarray, full: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, ...]:
    """The pairs whose weekly patterns meet but whose days may not: either listing on one-off dates
    (an offer on Tuesday 2 March and a need on Tuesday 9 March share a time of the week, not a day),
    or a shared window of less than a week. Few pairs, checked day by day; a dated pair's day
    becomes the first day both can do."""
    last = np.minimum(c["end"][o], c["end"][nd])
    check = np.flatnonzero(c["dated"][o] | c["dated"][nd] | (last - day < 6))
    if check.size == 0:
        return o, nd, fit, full, day
    ok = np.ones(o.size, dtype=bool)
    day = day.copy()
    for k in check:
        shared = first_shared_day(listings[o[k]], listings[nd[k]], day_of(day[k]), day_of(last[k]))
        if shared is None:
            ok[k] = False
        elif c["dated"][o[k]] or c["dated"][nd[k]]:
            day[k] = shared.toordinal()
    sel = np.flatnonzero(ok)
    return o[sel], nd[sel], fit[sel], full[sel], day[sel]


def _place_and_requirements(market: Market, c: dict[str, np.ndarray], o: np.ndarray, nd: np.ndarray,
                            fit: np.ndarray, full: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, ...]:
    """Where the help happens and how far (within whose radius), the need's requirements on the
    day, and declined pairs. Returns the pairs that pass with their distances and radii."""
    oloc = c["loc"][o]
    remote = oloc == 2
    km = _haversine(c["lat"][o], c["lon"][o], c["lat"][nd], c["lon"][nd])
    radius = np.where(oloc == 1, c["travel"][o], c["travel"][nd])
    km = np.where(remote, np.nan, km)
    radius = np.where(remote, np.nan, radius)
    ok = remote | (km <= radius + 1e-9)
    giver, receiver = c["member"][o], c["member"][nd]
    ok &= _dbs_covered(c, giver, nd, day, np.minimum(c["people"][o], c["people"][nd]))
    ok &= ~c["step_free"][nd] | (oloc != 0) | (c["has_asset"][o] & c["asset_step_free"][o])
    ok &= (c["min_cap"][nd] == 0) | (c["capacity"][o] >= c["min_cap"][nd])
    ok &= ~c["insurance"][nd] | (c["ins_until"][giver] >= day)
    ok &= ~c["asset_insurance"][o] | (c["ins_until"][receiver] >= day)
    ok &= c["pat_until"][o] >= day
    if market.declined_pairs:
        ids = np.fromiter((x.id for x in market.listings), dtype=np.int64, count=len(market.listings))
        declined = np.array(sorted(market.declined_pairs), dtype=np.int64).reshape(-1, 2)
        dkey = np.sort(declined[:, 0] * (1 << 32) + declined[:, 1])
        pkey = ids[o] * (1 << 32) + ids[nd]
        at = np.minimum(np.searchsorted(dkey, pkey), dkey.size - 1)
        ok &= dkey[at] != pkey
    sel = np.flatnonzero(ok)
    return o[sel], nd[sel], fit[sel], full[sel], day[sel], km[sel], radius[sel]


def _score(c: dict[str, np.ndarray], nd: np.ndarray, fit: np.ndarray, km: np.ndarray, radius: np.ndarray,
           policy: Policy) -> np.ndarray:
    """Each leg's points, 1 to 100 (see :class:`~matching.marketplace.types.ScoreWeights`)."""
    w = policy.weights
    total_w = w.urgency + w.category_fit + w.distance + w.waiting
    if total_w <= 0:
        raise ValueError("score weights must not all be 0")
    dist_part = np.where(np.isnan(km), 1.0, 1.0 - np.nan_to_num(km) / np.maximum(np.nan_to_num(radius, nan=1.0), 1e-9))
    dist_part = np.clip(dist_part, 0.0, 1.0)
    parts = (w.urgency * c["urgency"][nd] / 4.0 + w.category_fit * fit + w.distance * dist_part
             + w.waiting * np.minimum(c["waited"][nd] / WAIT_FULL_DAYS, 1.0))
    return np.maximum(np.rint(100.0 * parts / total_w).astype(np.int64), 1)


def _caps(c: dict[str, np.ndarray], listings: tuple[ListingInput, ...], o: np.ndarray, nd: np.ndarray,
          score: np.ndarray, per_need: int, one_per_giver: bool = True) -> np.ndarray:
    """The legs kept: one offer per (giving member, need) unless not ``one_per_giver``, then the
    best ``per_need`` per need (ties: lower offer id); sorted by need id, then offer id."""
    ids = np.fromiter((x.id for x in listings), dtype=np.int64, count=len(listings))
    gm = c["member"][o]
    order = np.lexsort((ids[o], -score, gm, nd))
    first = np.ones(order.size, dtype=bool)
    first[1:] = (nd[order][1:] != nd[order][:-1]) | (gm[order][1:] != gm[order][:-1])
    if not one_per_giver:
        first[:] = True
    keep = order[first]
    order2 = keep[np.lexsort((ids[o[keep]], -score[keep], nd[keep]))]
    nd2 = nd[order2]
    starts = np.r_[0, np.flatnonzero(nd2[1:] != nd2[:-1]) + 1] if nd2.size else np.empty(0, dtype=np.int64)
    rank = np.arange(nd2.size) - np.repeat(starts, np.diff(np.r_[starts, nd2.size]))
    final = order2[rank < per_need]
    return final[np.lexsort((ids[o[final]], ids[nd[final]]))]


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _empty(listings, c) -> Candidates:
    e = np.empty(0, dtype=np.int64)
    f = np.empty(0, dtype=np.float64)
    return Candidates(listings, c["member"], e, e, e, f, f, f, f, e, np.empty(0, dtype=bool), e, f, 0, 0)


def day_of(ordinal: int) -> date:
    """The date of a day ordinal (as stored in :attr:`Candidates.day`)."""
    return date.fromordinal(int(ordinal))
