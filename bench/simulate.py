"""A simulated year of a borough: needs met over time by three matching policies under one decline model.

    .venv/bin/python -m bench.simulate [--seeds 1 2 3 4 5] [--members 120] [--weeks 52] [--set NAME=VALUE]

Each seed draws one world (seed/synthetic.py's members and listings, each member of a kind of
seed/kinds.py drawn by its share): members join over the year (half at the start), post needs of
their kind and offers of their kind at random times, and each listing lasts its window. Every
policy replays the same world (the same arrivals and postings); what differs is what each
proposes and so who answers what. Every week the matcher runs over the open listings; each party
of each proposal accepts or declines by the decline model below; an exchange every party accepted
goes ahead, and each of its legs is delivered with probability COMPLETES (otherwise the need stays
open). A member who declines a leg never sees that offer and need paired again.

The policies:

* ``greedy``: pairs only, best score first, as a coordinator matching by hand (one proposal per pair);
* ``today``: the matcher as it is (``Policy()``, points if everybody accepts); one refusal voids
  the whole exchange;
* ``aware``: failure-aware matching (``Policy(objective="expected")``, acceptance learned every
  week from every answer so far, with the prior when there are none) and repair on decline
  (:func:`matching.marketplace.repair.repair`: what the others can still do, or a replacement,
  proposed at once, after every decline, a repair's included, with at most REPLACEMENTS members
  tried: what the product does, timebank/matcher/repair.py).

The decline model (the truth the matcher does not see): a party accepts with probability
``sigmoid(BASE + PER_PARTY * (members - 2) + DISTANCE * km_share + RELATED * related + WAITED *
min(days_waited / 90, 2) + own)``, ``own`` a member's own readiness drawn once from N(0, MEMBER_SD).
The figures are defended in docs/matching.md ("The simulated year").

It prints, for each policy, the mean over seeds with a 95% confidence interval (Student's t):
needs met, hours exchanged, the share of proposals that go ahead whole, days from a need being
posted to being met (median, p90), fairness (the share of needs met for small organisations over
that for large ones; the lowest town's share over the highest's), and proposals a coordinator
reviews.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter

from matching.marketplace import ListingInput, Market, MemberInput, Policy, build_candidates, match
from matching.marketplace.acceptance import Answer, Part, learn_acceptance
from matching.marketplace.repair import repair
from seed.kinds import KINDS
from seed.listing_templates import NEEDS, OFFERS
from seed.synthetic import listing_fields, member_fields

# -- the decline model and the world (defended in docs/matching.md, "The simulated year") --------------
BASE = 1.1            # a pair nearby, nothing special: accepted 3 times in 4
PER_PARTY = -0.25     # each member beyond two: more to coordinate, more to trust
DISTANCE = -1.0       # help from the edge of its radius
RELATED = -0.7        # a related category, not the one asked for
WAITED = 0.4          # a need that has waited is keener (per 90 days, at most 2)
MEMBER_SD = 0.9       # members differ: some answer everything, some little
COMPLETES = 0.92      # an accepted leg is delivered (the rest fall through: illness, weather)
NEEDS_PER_YEAR = 4.0  # needs a non-business member posts a year
OFFERS_PER_YEAR = 4.0  # offers each member posts a year (businesses twice as many)
BUSINESS_GIFT = 0.5   # a business's offer is a gift (pro bono) this often
SMALL = 0.6           # share of organisations that are small (no paid staff)
PARAMETERS = ("BASE", "PER_PARTY", "DISTANCE", "RELATED", "WAITED", "MEMBER_SD", "COMPLETES", "NEEDS_PER_YEAR",
              "OFFERS_PER_YEAR", "BUSINESS_GIFT", "SMALL")
# Members tried in the place of one who declined (the product's REPAIR_MAX_REPLACEMENTS default).
REPLACEMENTS = 10
START = date(2026, 1, 5)
POLICIES = ("greedy", "today", "aware")
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Person:
    """A member of the simulated borough."""

    id: int
    kind: str
    town: str
    lat: float
    lon: float
    small: bool
    own: float
    joins: int           # day of the year it joins
    credit_limit: Decimal


@dataclass
class World:
    """What happens regardless of the matcher: members and their listings (with the day each is posted)."""

    people: dict[int, Person]
    postings: list[tuple[int, ListingInput]]      # (day posted, listing), by day
    categories: dict[int, int | None]
    slug_of: dict[int, str]


def make_world(seed: int, n_members: int, days: int) -> World:
    rng = random.Random(seed)
    tree = json.loads((Path(__file__).parents[1] / "seed" / "categories.json").read_text())
    categories: dict[int, int | None] = {}
    ids: dict[str, int] = {}
    for parent in tree:
        ids[parent["slug"]] = pid = len(ids) + 1
        categories[pid] = None
        for child in parent.get("children", []):
            ids[child["slug"]] = cid = len(ids) + 1
            categories[cid] = pid
    texts = {"offer": {t[0]: t[:4] for t in OFFERS}, "need": {t[0]: t[:4] for t in NEEDS}}
    kinds = list(KINDS.values())
    weights = [k.share for k in kinds]
    people: dict[int, Person] = {}
    postings: list[tuple[int, ListingInput]] = []
    now = datetime.combine(START, datetime.min.time())
    next_id = 1
    for i in range(1, n_members + 1):
        kind = rng.choices(kinds, weights)[0]
        f = member_fields(rng, i, kind.member_type)
        joins = 0 if rng.random() < 0.5 else rng.randrange(days)
        people[i] = Person(i, kind.name, f["town"], f["latitude"], f["longitude"],
                           small=not kind.business and rng.random() < SMALL, own=rng.gauss(0, MEMBER_SD),
                           joins=joins, credit_limit=Decimal(20 if kind.business else 10))
        for direction, per_year, slugs in (
                ("need", 0.0 if kind.business else NEEDS_PER_YEAR, [s for s in kind.needs if not kind.gives(s)]),
                ("offer", OFFERS_PER_YEAR * (2 if kind.business else 1), list(kind.offers))):
            slugs = [s for s in slugs if s in texts[direction]]   # time and skills (rooms and kit need assets)
            if not slugs:
                continue
            day = joins
            while True:
                day += max(1, int(rng.expovariate(per_year / 365.0)))
                if day >= days:
                    break
                posted = START + timedelta(days=day)
                slug, kind_, title, description = texts[direction][rng.choice(slugs)]
                row = listing_fields(rng, {"id": i, **f}, direction, (slug, kind_, title, description), posted, now,
                                     ids.get)
                begins = max(row["available_from"], posted)
                gift = rng.random() < BUSINESS_GIFT if kind.business else row["is_gift"]
                listing = ListingInput(
                    id=next_id, member_id=i, direction=direction, kind=kind_, category_id=row["category_id"],
                    title=title, quantity=row["quantity"], available_from=begins,
                    available_until=max(row["available_until"], begins + timedelta(days=40)), people=row["people"],
                    weekly_pattern=row["weekly_pattern"], location=row["location"], lat=f["latitude"],
                    lon=f["longitude"], travel_km=float(row["travel_km"]), urgency=row["urgency"],
                    is_gift=direction == "offer" and gift, partial_ok=row["partial_ok"])
                postings.append((day, listing))
                next_id += 1
    postings.sort(key=lambda p: (p[0], p[1].id))
    return World(people, postings, categories, {v: k for k, v in ids.items()})


# -- one policy's year --------------------------------------------------------------------------------

@dataclass
class Outcome:
    needs_posted: int = 0
    needs_met: int = 0
    hours: float = 0.0
    proposals: int = 0
    whole: int = 0
    waits: list[int] = field(default_factory=list)
    posted_by: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    met_by: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0


def km(a: Person, b: Person) -> float:
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, dy)


def run_policy(world: World, name: str, seed: int, days: int) -> Outcome:
    rng = random.Random(f"{seed}-{name}")
    out = Outcome()
    open_: dict[int, ListingInput] = {}
    posted_on: dict[int, int] = {}
    balance = {i: Decimal(0) for i in world.people}
    declined: set[tuple[int, int]] = set()
    answers: list[Answer] = []
    pending = iter(world.postings)
    nxt = next(pending, None)
    for day in range(7, days + 1, 7):
        while nxt is not None and nxt[0] < day:
            posted, listing = nxt
            open_[listing.id] = listing
            posted_on[listing.id] = posted
            if listing.direction == "need":
                out.needs_posted += 1
                for key in _groups(world.people[listing.member_id]):
                    out.posted_by[key] += 1
            nxt = next(pending, None)
        today = START + timedelta(days=day)
        for lid in [i for i, x in open_.items() if x.available_until < today]:
            del open_[lid]
        listings = [replace(x, waited_days=day - posted_on[x.id]) for x in open_.values()]
        members = [MemberInput(p.id, f"Member {p.id}", balance=balance[p.id], credit_limit=p.credit_limit)
                   for p in world.people.values() if p.joins < day]
        market = Market(listings, members, world.categories, today, declined_pairs=frozenset(declined))
        t0 = perf_counter()
        if name == "greedy":
            proposals = _greedy(market)
        else:
            policy = Policy(report_cycle_lengths=(), objective="expected" if name == "aware" else "points")
            if name == "aware":
                market = replace(market, acceptance=learn_acceptance(answers))
            proposals = list(match(market, policy).exchanges)
        out.seconds += perf_counter() - t0
        by_id = {x.id: x for x in listings}
        queue = [(ex, 0) for ex in proposals]
        while queue:
            ex, round_ = queue.pop(0)
            out.proposals += 1
            refusals = []
            for member_id in ex.member_ids:
                part, legs = _part(world, by_id, ex, member_id, day, posted_on)
                yes = rng.random() < sigmoid(_truth(part) + world.people[member_id].own)
                answers.append(Answer(member_id, part, yes))
                if not yes:
                    refusals.append(member_id)
                    declined.update((leg.offer_id, leg.need_id) for leg in legs
                                    if leg.receiver_member_id == member_id or leg.giver_member_id == member_id)
            if not refusals:
                out.whole += 1
                for leg in ex.legs:
                    _deliver(world, out, leg, rng, open_, posted_on, balance, day)
                continue
            if name == "aware":   # as the product does after every decline, a repair's included
                t0 = perf_counter()
                live = {x.id for x in open_.values()}
                others = Market([x for x in listings if x.id in live], members, world.categories, today,
                                declined_pairs=frozenset(declined), acceptance=market.acceptance)
                busy = {i for other, _ in queue for leg in other.legs for i in (leg.offer_id, leg.need_id)}
                fixed = repair(others, ex, refusals[0], policy, busy=busy, max_replacements=REPLACEMENTS)
                out.seconds += perf_counter() - t0
                queue.extend((f, round_ + 1) for f in fixed if not set(refusals[1:]) & set(f.member_ids))
    return out


def _truth(part: Part) -> float:
    return (BASE + PER_PARTY * (part.parties - 2) + DISTANCE * min(part.km_share, 1.0) + RELATED * part.related
            + WAITED * min(part.waited_days / 90, 2.0))


def _part(world, by_id, ex, member_id, day, posted_on):
    """What ``member_id`` sees of its part of ``ex``, and its legs."""
    legs = [leg for leg in ex.legs if member_id in (leg.giver_member_id, leg.receiver_member_id)]
    received = [leg for leg in legs if leg.receiver_member_id == member_id]
    leg = received[0] if received else legs[0]
    offer, need = by_id[leg.offer_id], by_id[leg.need_id]
    giver, receiver = world.people[leg.giver_member_id], world.people[leg.receiver_member_id]
    remote = "remote" in (offer.location, need.location)
    share = 0.0 if remote else km(giver, receiver) / max(offer.travel_km, need.travel_km, 1e-9)
    return Part(parties=len(ex.member_ids), km_share=share, related=offer.category_id != need.category_id,
                waited_days=day - posted_on[need.id] if received else 0, gives_only=not received), legs


def _deliver(world, out, leg, rng, open_, posted_on, balance, day) -> None:
    open_.pop(leg.offer_id, None)
    if rng.random() >= COMPLETES:
        return   # fell through: the need stays open, the offer is spent
    if open_.pop(leg.need_id, None) is None:
        return
    out.needs_met += 1
    out.waits.append(day + 7 - posted_on[leg.need_id])   # the help happens within a week of the run
    out.hours += float(leg.hours) * leg.people
    for key in _groups(world.people[leg.receiver_member_id]):
        out.met_by[key] += 1
    balance[leg.receiver_member_id] -= leg.credits
    balance[leg.giver_member_id] += leg.credits


def _groups(p: Person) -> tuple[str, ...]:
    return ("small" if p.small else "large", f"town:{p.town}")


def _greedy(market: Market):
    """Pairs best score first, each listing once, within what each receiver may spend (bench's baseline)."""
    from matching.marketplace.types import ProposedExchange, ProposedLeg

    policy = Policy(report_cycle_lengths=())
    cands = build_candidates(market, policy)
    room = {m.id: max(m.balance + m.credit_limit, Decimal(0)) for m in market.members}
    used: set[int] = set()
    out = []
    for k in sorted(range(cands.size), key=lambda k: (-int(cands.score[k]), cands.listings[cands.offer[k]].id,
                                                     cands.listings[cands.need[k]].id)):
        o, n = cands.listings[cands.offer[k]], cands.listings[cands.need[k]]
        if o.id in used or n.id in used:
            continue
        credits = Decimal(0) if o.is_gift else Decimal(str(round(float(cands.credits[k]), 2)))
        if credits > room[n.member_id]:
            continue
        room[n.member_id] -= credits
        used.update((o.id, n.id))
        leg = ProposedLeg(o.id, n.id, o.member_id, n.member_id, n.kind, n.category_id,
                          Decimal(str(float(cands.hours[k]))),
                          int(cands.people[k]), o.is_gift, int(cands.score[k]), "", credits, "")
        out.append(ProposedExchange("pair", (leg,), int(cands.score[k]), ""))
    return out


# -- the table ----------------------------------------------------------------------------------------

def figures(out: Outcome) -> dict[str, float]:
    waits = sorted(out.waits) or [0]
    share = {k: out.met_by[k] / v for k, v in out.posted_by.items() if v}
    towns = [share[k] for k, v in out.posted_by.items() if k.startswith("town:") and v >= 10]
    return {
        "needs met": out.needs_met,
        "share of needs met": out.needs_met / max(out.needs_posted, 1),
        "hours exchanged": out.hours,
        "proposals that go ahead whole": out.whole / max(out.proposals, 1),
        "days to met, median": statistics.median(waits),
        "days to met, p90": waits[min(len(waits) - 1, int(0.9 * len(waits)))],
        "small / large share met": share["small"] / share["large"] if share.get("small") is not None
        and share.get("large") else float("nan"),
        "lowest / highest town": min(towns) / max(max(towns), 1e-9) if towns else float("nan"),
        "proposals to review": out.proposals,
        "matcher seconds": out.seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--members", type=int, default=120)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="change one parameter of the model, e.g. --set OFFERS_PER_YEAR=12")
    args = parser.parse_args(argv)
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in PARAMETERS:
            parser.error(f"--set: no parameter {name!r}; known: {', '.join(PARAMETERS)}")
        globals()[name] = float(value)
    changed = f"; changed: {', '.join(args.set)}" if args.set else ""
    days = 7 * args.weeks
    rows: dict[str, list[dict[str, float]]] = {p: [] for p in POLICIES}
    for seed in args.seeds:
        world = make_world(seed, args.members, days)
        for name in POLICIES:
            rows[name].append(figures(run_policy(world, name, seed, days)))
            print(f"seed {seed} {name}: " + ", ".join(f"{k} {v:.3g}" for k, v in rows[name][-1].items()),
                  file=sys.stderr, flush=True)
    print(f"A simulated year: {args.members} members, {args.weeks} weekly runs, seeds {args.seeds}{changed}; "
          "mean and 95% confidence interval over seeds")
    keys = list(rows[POLICIES[0]][0])
    print("| figure | " + " | ".join(POLICIES) + " |")
    print("|---|" + "---|" * len(POLICIES))
    for key in keys:
        cells = []
        for name in POLICIES:
            values = [r[key] for r in rows[name]]
            mean = statistics.fmean(values)
            half = T95.get(len(values) - 1, 1.96) * statistics.stdev(values) / math.sqrt(len(values)) \
                if len(values) > 1 else 0.0
            cells.append(f"{mean:.3g} ± {half:.2g}")
        print(f"| {key} | " + " | ".join(cells) + " |")
    base = [r["needs met"] for r in rows["today"]]
    aware = [r["needs met"] for r in rows["aware"]]
    gains = [a / b - 1 for a, b in zip(aware, base) if b]
    if gains:
        print(f"\nFailure-aware against today's matcher, needs met: {100 * statistics.fmean(gains):+.1f}% "
              f"(per seed: {', '.join(f'{100 * g:+.1f}%' for g in gains)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
