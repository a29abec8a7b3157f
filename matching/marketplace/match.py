"""The marketplace run: candidate legs, exchange columns, clearing (exact when it can be), then stories."""

from __future__ import annotations

from decimal import Decimal
from time import perf_counter
from typing import Any

from ..options import Options
from .acceptance import AcceptanceModel
from .candidates import Candidates, build_candidates
from .columns import (MARKET_OPTIONS, MarketModel, ModelSolution, build_model, decode, legs_chosen, member_graph,
                      solve_model)
from .expected import LegOdds
from .story import reason, story
from .types import Market, MatchResult, Policy, ProposedExchange, ProposedLeg

SHAPE_ORDER = {"cycle": 0, "chain": 1, "pair": 2}


def match(market: Market, policy: Policy | None = None, *, options: Options = MARKET_OPTIONS) -> MatchResult:
    """Propose the cycles, gift chains and direct pairs of greatest total score.

    Parameters
    ----------
    market : Market
        Open listings, members, taxonomy, declined pairs, today.
    policy : Policy, optional
        Cycle and chain lengths, score weights, pairs on or off, time limit (defaults: ``Policy()``).
    options : Options
        How the clearing engine searches (:data:`~matching.marketplace.columns.MARKET_OPTIONS`
        by default); the same market, policy and options always give the same answer (without a
        time limit, or when it is not reached).

    Returns
    -------
    MatchResult
        ``exchanges`` (cycles, then chains, then pairs; best first) and ``stats``: ``objective``,
        ``bound``, ``gap``, ``status``, ``needs_met``, ``legs_by_shape``, ``credits_moved``,
        ``candidates`` (pairs considered, compatible, kept), ``graph`` (the programme's sizes:
        rings, chain variables, pairs, rows), ``timings`` (seconds: ``candidates``, ``model``,
        ``solve``, ``stories``, ``total``, ``report``), ``engine`` (the solver's own figures:
        ``method``, greedy and LP objectives, nodes), ``expected_needs_met`` (the sum over the
        proposed legs of the chance that each goes ahead, :attr:`ProposedLeg.chance`, by
        ``market.acceptance`` or its prior) and ``needs_met_by_K``: for each length in
        ``policy.report_cycle_lengths``, needs met, expected needs met and score with cycles and
        chains of that length. With ``policy.objective == "expected"``, ``objective`` and
        ``bound`` are expected points.

    Notes
    -----
    Over the candidate legs (see :func:`~matching.marketplace.candidates.build_candidates` for
    the caps) the answer is exact when ``status`` is ``"optimal"``; otherwise it is the best found
    within ``policy.time_limit`` (or, for very large markets, an LP-guided packing) and ``gap``
    bounds how far it can be from the optimum. See :func:`~matching.marketplace.columns.solve_model`.

    Examples
    --------
    >>> from datetime import date
    >>> from decimal import Decimal
    >>> from matching.marketplace import ListingInput, Market, MemberInput, Policy, match
    >>> d0, d1 = date(2026, 1, 5), date(2026, 3, 1)
    >>> L = lambda i, m, d, title: ListingInput(i, m, d, "skill", 7, title, Decimal(2), d0, d1, location="remote")
    >>> market = Market([L(1, 1, "offer", "Payroll"), L(2, 1, "need", "A website"),
    ...                  L(3, 2, "offer", "Web design"), L(4, 2, "need", "Payroll help")],
    ...                 [MemberInput(1, "Huyton Hub"), MemberInput(2, "Prescot Arts")], {7: None}, d0)
    >>> result = match(market, Policy(report_cycle_lengths=()))
    >>> [(ex.shape, len(ex.legs)) for ex in result.exchanges]
    [('cycle', 2)]
    """
    policy = policy or Policy()
    t0 = perf_counter()
    cands = build_candidates(market, policy)
    odds = LegOdds(market, cands, market.acceptance or AcceptanceModel.prior())
    t1 = perf_counter()
    model = build_model(market, cands, policy, odds=odds)
    t2 = perf_counter()
    # the time limit is for the whole run: the solve gets what building the candidates and programme
    # left, less 10% and 0.02 s for the stories (0.01 s at 2,000 listings, 0.07 s at 20,000) and for
    # HiGHS, which stops a few hundredths of a second after its limit
    left = None if policy.time_limit is None else max(0.9 * policy.time_limit - 0.02 - (t2 - t0), 0.0)
    sol = solve_model(model, time_limit=left, options=options)
    t3 = perf_counter()
    exchanges = _exchanges(market, cands, decode(model, sol), policy, odds)
    t4 = perf_counter()
    legs = [leg for ex in exchanges for leg in ex.legs]
    by_shape: dict[str, int] = {"cycle": 0, "chain": 0, "pair": 0}
    for ex in exchanges:
        by_shape[ex.shape] += len(ex.legs)
    stats: dict[str, Any] = {
        "objective": sol.objective / model.scale,
        "bound": sol.bound / model.scale,
        "gap": sol.gap,
        "status": sol.status,
        "objective_kind": policy.objective,
        "needs_met": len(legs),
        "expected_needs_met": round(sum(leg.chance for leg in legs), 3),
        "exchanges": len(exchanges),
        "legs_by_shape": by_shape,
        "credits_moved": float(sum(leg.credits for leg in legs)),
        "candidates": {"considered": cands.considered, "compatible": cands.compatible, "kept": cands.size},
        "graph": {k: v for k, v in model.stats.items() if k != "build_seconds"},
        "engine": {k: v for k, v in sol.stats.items() if isinstance(v, (int, float, str))},
        "policy": {"max_cycle": policy.max_cycle, "max_chain": policy.max_chain,
                   "allow_pairs": policy.allow_pairs, "max_candidates_per_need": policy.max_candidates_per_need,
                   "objective": policy.objective},
        "acceptance": {"answers": market.acceptance.answers if market.acceptance else 0,
                       "members_known": len(market.acceptance.member_offset) if market.acceptance else 0},
    }
    report = needs_met_by_length(market, cands, policy, options=options, main=(model, sol), odds=odds)
    t5 = perf_counter()
    stats["needs_met_by_K"] = report
    stats["timings"] = {"candidates": t1 - t0, "model": t2 - t1, "solve": t3 - t2, "stories": t4 - t3,
                        "total": t4 - t0, "report": t5 - t4}
    return MatchResult(tuple(exchanges), stats)


def needs_met_by_length(market: Market, cands: Candidates, policy: Policy, *, options: Options = MARKET_OPTIONS,
                        main: tuple[MarketModel, ModelSolution] | None = None,
                        odds: LegOdds | None = None) -> dict[int, dict[str, Any]]:
    """Needs met, expected needs met and score with rings and chains of each length in
    ``policy.report_cycle_lengths``.

    Each length K is a run with ``max_cycle = max_chain = K`` and the policy's other choices, under
    ``policy.report_time_limit``. When ring enumeration would be too large (more than
    ``policy.report_max_paths`` member paths of half a ring's length), rings of any length are
    allowed instead (one variable per leg, "gives as often as it receives"): an upper bound on
    what K-member rings could do, marked ``exact: False`` (its expected needs met is then None).
    """
    odds = odds or LegOdds(market, cands, market.acceptance or AcceptanceModel.prior())
    out: dict[int, dict[str, Any]] = {}
    for K in policy.report_cycle_lengths:
        if main is not None and K == policy.max_cycle == policy.max_chain:
            model, sol = main
            exact = True
        else:
            # member paths of half a ring's length (counted as walks): what ring enumeration must grow
            exact = member_graph(market, cands).adj.walks((K + 1) // 2) <= policy.report_max_paths
            model = build_model(market, cands, policy, max_cycle=K, max_chain=K, any_length_cycles=not exact,
                                odds=odds)
            sol = solve_model(model, time_limit=policy.report_time_limit, options=options)
        expected = None
        if exact:
            expected = round(sum(sum(odds.exchange(shape, rows)) for shape, rows in decode(model, sol)), 3)
        out[K] = {"needs_met": legs_chosen(model, sol), "expected_needs_met": expected,
                  "score": sol.objective / model.scale, "status": sol.status, "gap": sol.gap, "exact": bool(exact)}
    return out


def _exchanges(market: Market, cands: Candidates, decoded: list[tuple[str, list[int]]],
               policy: Policy, odds: LegOdds) -> list[ProposedExchange]:
    names = {m.id: m.name for m in market.members}
    titles = {x.id: x.title for x in market.listings}
    out = []
    for shape, rows in decoded:
        chances = odds.exchange(shape, rows)
        legs = [_leg(market, cands, row, shape, i, policy, names, chances[i]) for i, row in enumerate(rows)]
        if shape == "cycle":
            # start the ring at its lowest offer id, so the same ring always reads the same way
            first = min(range(len(legs)), key=lambda i: legs[i].offer_id)
            legs = legs[first:] + legs[:first]
        score = sum(leg.score for leg in legs)
        out.append(ProposedExchange(shape, tuple(legs), score, story(shape, legs, names, titles)))
    out.sort(key=lambda ex: (SHAPE_ORDER[ex.shape], -ex.score, ex.legs[0].offer_id))
    return out


def _leg(market: Market, cands: Candidates, row: int, shape: str, position: int, policy: Policy,
         names: dict[int, str], chance: float = 1.0) -> ProposedLeg:
    o, n = cands.listings[cands.offer[row]], cands.listings[cands.need[row]]
    gift = shape == "chain" and position == 0
    bonus = 0 if shape == "pair" else policy.weights.reciprocity
    why = reason(market, cands, row, names)
    if bonus:
        why += (" Ranked higher because it is part of a ring, where everyone gives and gets." if shape == "cycle"
                else " Ranked higher because it passes a gift on: each member helped goes on to help another.")
    hours = Decimal(str(round(float(cands.hours[row]), 2)))
    credits = Decimal(0) if gift else Decimal(str(round(float(cands.credits[row]), 2)))
    return ProposedLeg(
        offer_id=o.id, need_id=n.id, giver_member_id=o.member_id, receiver_member_id=n.member_id,
        kind=n.kind, category_id=n.category_id, hours=hours, people=int(cands.people[row]), is_gift=gift,
        score=int(cands.score[row]) + bonus, reason=why, credits=credits,
        description=f"{o.title} for {n.title}"[:300], chance=round(float(chance), 4),
    )
