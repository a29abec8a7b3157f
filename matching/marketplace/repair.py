"""Repair on decline: when a party declines its part, propose what can still go ahead at once.

One refusal voids a ring for everybody in it, and cuts a chain at that link. Instead of waiting
for the next run, :func:`repair` looks for the best exchanges the others can still make, of two
kinds, and proposes the better:

* **shortened**: the remaining parties' listings alone (the exchange's, and their other open
  listings not promised elsewhere): a ring of four without one member may close as a ring of
  three, or fall back to pairs; a chain is cut before the failed link and what came before it
  stands;
* **with a replacement**: the same, plus every open listing of one other member who could take
  the missing member's place (one with a candidate leg to or from a remaining listing).

Each is a run of :func:`~matching.marketplace.match` on that small market, so the repaired
exchanges keep every requirement (categories, windows, places, checks, insurance) and the
credit rule, counted against what each member has not already promised elsewhere
(``reserved``). "Better" is more needs met, then more points.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from decimal import Decimal

from ..options import Options
from .candidates import build_candidates
from .columns import MARKET_OPTIONS
from .match import match
from .types import Market, MatchResult, Policy, ProposedExchange


def repair(market: Market, exchange: ProposedExchange, declined: int, policy: Policy | None = None, *,
           busy: Collection[int] = (), reserved: Mapping[int, Decimal] | None = None,
           max_replacements: int = 50, options: Options = MARKET_OPTIONS) -> tuple[ProposedExchange, ...]:
    """The exchanges to propose instead of ``exchange`` once member ``declined`` has declined.

    Parameters
    ----------
    market : Market
        The open market now (the exchange's own listings included).
    exchange : ProposedExchange
        The exchange that was declined.
    declined : int
        The member who declined; it takes part in nothing proposed here.
    policy : Policy, optional
        The run's policy (its ring and chain lengths, pairs, objective); no length report.
    busy : collection of int
        Listing ids promised to other open proposals: the repair uses none of them.
    reserved : mapping of member id to Decimal, optional
        Credits each member is already short in its other open proposals: the credit rule counts
        them as spent.
    max_replacements : int
        Try at most this many replacement members (those with the most candidate legs to or from
        the remaining listings first).

    Returns
    -------
    tuple of ProposedExchange
        Empty when nothing can go ahead.

    Notes
    -----
    One run of :func:`match` on the remaining listings, and one per replacement tried, each on a
    market of a few listings.
    """
    policy = replace(policy or Policy(), report_cycle_lengths=())
    reserved = reserved or {}
    kept = {x for leg in exchange.legs for x in (leg.offer_id, leg.need_id)}
    by_id = {x.id: x for x in market.listings}
    kept = {i for i in kept if i in by_id and by_id[i].member_id != declined}
    parties = set(exchange.member_ids) - {declined}
    busy = set(busy) - kept
    kept |= {x.id for x in market.listings if x.member_id in parties and x.id not in busy}
    members = {m.id: replace(m, balance=m.balance - reserved.get(m.id, Decimal(0))) for m in market.members}

    def run(listing_ids: set[int]) -> MatchResult:
        listings = [by_id[i] for i in sorted(listing_ids)]
        owners = {x.member_id for x in listings}
        sub = Market(listings, [members[i] for i in sorted(owners) if i in members], market.categories,
                     market.today, declined_pairs=market.declined_pairs, category_names=market.category_names,
                     acceptance=market.acceptance)
        return match(sub, policy, options=options)

    best = run(kept) if kept else None
    for member_id in _replacements(market, policy, kept, parties | {declined}, busy)[:max_replacements]:
        own = {x.id for x in market.listings if x.member_id == member_id and x.id not in busy}
        result = run(kept | own)
        if best is None or _better(result, best):
            best = result
    return best.exchanges if best is not None else ()


def _better(a: MatchResult, b: MatchResult) -> bool:
    return (a.stats["needs_met"], a.stats["objective"]) > (b.stats["needs_met"], b.stats["objective"])


def _replacements(market: Market, policy: Policy, kept: set[int], taken: set[int], busy: set[int]) -> list[int]:
    """Members outside the exchange with a candidate leg to or from a remaining listing, most first."""
    if not kept:
        return []
    cands = build_candidates(market, replace(policy, max_candidates_per_need=max(policy.max_candidates_per_need,
                                                                              1000)))
    ids = [x.id for x in cands.listings]
    owner = [x.member_id for x in cands.listings]
    count: dict[int, int] = {}
    for o, n in zip(cands.offer.tolist(), cands.need.tolist()):
        for mine, theirs in ((o, n), (n, o)):
            if ids[mine] in kept and ids[theirs] not in busy and owner[theirs] not in taken:
                count[owner[theirs]] = count.get(owner[theirs], 0) + 1
    return sorted(count, key=lambda m: (-count[m], m))
