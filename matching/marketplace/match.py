"""The marketplace run: candidates, graph, exact clearing, then legs, reasons and stories."""

from __future__ import annotations

from decimal import Decimal
from time import perf_counter
from typing import Any

import numpy as np
from scipy import sparse

from ..solver import solve
from .candidates import Candidates, build_candidates
from .graph import MarketGraph, build_graph, decode
from .story import reason, story
from .types import Market, MatchResult, Policy, ProposedExchange, ProposedLeg

SHAPE_ORDER = {"cycle": 0, "chain": 1, "pair": 2}


def match(market: Market, policy: Policy | None = None, *, seed: int = 0) -> MatchResult:
    """Propose the cycles, gift chains and direct pairs of greatest total score.

    Parameters
    ----------
    market : Market
        Open listings, members, taxonomy, declined pairs, today.
    policy : Policy, optional
        Cycle and chain lengths, score weights, pairs on or off, time limit (defaults: ``Policy()``).
    seed : int
        Solver seed; the same market, policy and seed always give the same answer.

    Returns
    -------
    MatchResult
        ``exchanges`` (cycles, then chains, then pairs; best first) and ``stats``: ``objective``,
        ``bound``, ``gap``, ``status``, ``needs_met``, ``legs_by_shape``, ``credits_moved``,
        ``candidates`` (pairs considered, compatible, kept), ``graph`` (sizes), ``timings``
        (seconds: ``candidates``, ``graph``, ``solve``, ``total``, ``report``), ``engine`` (the
        engine's own figures) and ``needs_met_by_K``: for each length in
        ``policy.report_cycle_lengths``, needs met and score with cycles and chains of that length.

    Notes
    -----
    Exact over the candidate legs (see :func:`~matching.marketplace.candidates.build_candidates`
    for the caps); NP-hard in general, solved by :func:`matching.solve`.

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
    t1 = perf_counter()
    graph = build_graph(market, cands, policy)
    t2 = perf_counter()
    sol = solve(graph.instance, max_cycle=graph.max_cycle_arcs, max_chain=graph.max_chain_arcs,
                time_limit=policy.time_limit, seed=seed)
    t3 = perf_counter()
    exchanges = _exchanges(market, cands, decode(graph, sol), policy)
    t4 = perf_counter()
    legs = [leg for ex in exchanges for leg in ex.legs]
    by_shape: dict[str, int] = {"cycle": 0, "chain": 0, "pair": 0}
    for ex in exchanges:
        by_shape[ex.shape] += len(ex.legs)
    stats: dict[str, Any] = {
        "objective": sol.objective,
        "bound": sol.bound,
        "gap": sol.gap,
        "status": sol.status,
        "needs_met": len(legs),
        "exchanges": len(exchanges),
        "legs_by_shape": by_shape,
        "credits_moved": float(sum(leg.credits for leg in legs)),
        "candidates": {"considered": cands.considered, "compatible": cands.compatible, "kept": cands.size},
        "graph": graph.stats,
        "engine": {k: v for k, v in sol.stats.items() if isinstance(v, (int, float, str))},
        "policy": {"max_cycle": policy.max_cycle, "max_chain": policy.max_chain,
                   "allow_pairs": policy.allow_pairs, "max_candidates_per_need": policy.max_candidates_per_need},
    }
    report = needs_met_by_length(market, cands, policy, seed=seed, main=(policy.max_cycle, sol, graph))
    t5 = perf_counter()
    stats["needs_met_by_K"] = report
    stats["timings"] = {"candidates": t1 - t0, "graph": t2 - t1, "solve": t3 - t2, "stories": t4 - t3,
                        "total": t4 - t0, "report": t5 - t4}
    return MatchResult(tuple(exchanges), stats)


def needs_met_by_length(market: Market, cands: Candidates, policy: Policy, *, seed: int = 0,
                        main: tuple[int, Any, MarketGraph] | None = None) -> dict[int, dict[str, Any]]:
    """Needs met and score with cycles and chains of each length in ``policy.report_cycle_lengths``.

    Each length K is a run with ``max_cycle = max_chain = K`` and the policy's other choices.
    When the search space is too large (more than ``policy.report_max_paths`` walks of K arcs in
    the graph) the run uses cycles of any length instead, an upper bound, marked ``exact: False``.
    """
    out: dict[int, dict[str, Any]] = {}
    for K in policy.report_cycle_lengths:
        if main is not None and K == main[0] == policy.max_chain:
            sol = main[1]
            exact = True
        else:
            graph = build_graph(market, cands, policy, max_cycle=K, max_chain=K)
            walks = _walks(graph, K)
            exact = walks <= policy.report_max_paths
            sol = solve(graph.instance, max_cycle=graph.max_cycle_arcs if exact else 0,
                        max_chain=graph.max_chain_arcs, time_limit=policy.report_time_limit, seed=seed)
        legs = sum(len(c) // 2 for c in sol.cycles) + sum(len(c) // 2 for c in sol.chains)
        out[K] = {"needs_met": legs, "score": sol.objective, "status": sol.status, "gap": sol.gap,
                  "exact": bool(exact)}
    return out


def _walks(graph: MarketGraph, K: int) -> int:
    """Walks of K arcs in the graph: the size of what cycle enumeration at 2K arcs must grow."""
    inst = graph.instance
    n = inst.n_vertices
    if n == 0:
        return 0
    A = sparse.csr_matrix((np.ones(inst.n_arcs), (inst.src, inst.dst)), shape=(n, n))
    v = np.ones(n)
    for _ in range(K):
        v = A @ v
    return int(v.sum())


def _exchanges(market: Market, cands: Candidates, decoded: list[tuple[str, list[int]]],
               policy: Policy) -> list[ProposedExchange]:
    names = {m.id: m.name for m in market.members}
    titles = {x.id: x.title for x in market.listings}
    out = []
    for shape, rows in decoded:
        legs = [_leg(market, cands, row, shape, i, policy, names) for i, row in enumerate(rows)]
        if shape == "cycle":
            # start the ring at its lowest offer id, so the same ring always reads the same way
            first = min(range(len(legs)), key=lambda i: legs[i].offer_id)
            legs = legs[first:] + legs[:first]
        score = sum(leg.score for leg in legs)
        out.append(ProposedExchange(shape, tuple(legs), score, story(shape, legs, names, titles)))
    out.sort(key=lambda ex: (SHAPE_ORDER[ex.shape], -ex.score, ex.legs[0].offer_id))
    return out


def _leg(market: Market, cands: Candidates, row: int, shape: str, position: int, policy: Policy,
         names: dict[int, str]) -> ProposedLeg:
    o, n = cands.listings[cands.offer[row]], cands.listings[cands.need[row]]
    gift = shape == "chain" and position == 0
    bonus = 0 if shape == "pair" else policy.weights.reciprocity
    why = reason(market, cands, row, names)
    if bonus:
        why += f" {bonus} points more for giving in a {'ring' if shape == 'cycle' else 'gift chain'}."
    hours = Decimal(str(round(float(cands.hours[row]), 2)))
    credits = Decimal(0) if gift else Decimal(str(round(float(cands.credits[row]), 2)))
    return ProposedLeg(
        offer_id=o.id, need_id=n.id, giver_member_id=o.member_id, receiver_member_id=n.member_id,
        kind=n.kind, category_id=n.category_id, hours=hours, people=int(cands.people[row]), is_gift=gift,
        score=int(cands.score[row]) + bonus, reason=why, credits=credits,
        description=f"{o.title} for {n.title}"[:300],
    )
