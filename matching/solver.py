"""The kidney-exchange / math-trade front: an :class:`Instance` cleared by the engine.

``solve`` picks the method:

* no cycle limit, no side constraints, and no chain limit (or no chains): an assignment
  problem, solved exactly as one (:mod:`matching.assignment`);
* otherwise the integer programme of :mod:`matching.model` (cycles and PICEF chain positions,
  or the edge formulation when cycles are unlimited), solved by the engine
  (:mod:`matching.engine`); large instances with a cycle limit get the packing-layout LP and
  incumbent of :mod:`matching.packing` first.

Under a time limit, an instance with more cycles than can be enumerated in it is solved with
cycles one arc shorter, with the assignment relaxation as its bound (``_shorter_cycles``).
"""

from __future__ import annotations

import math
from time import perf_counter
from typing import Any

import numpy as np

from .assignment import solve_assignment
from .cycles import Adjacency, TooManyCycles, enumerate_cycles
from .engine import Engine
from .instance import Instance, Solution
from .model import build_model
from .options import Options
from .packing import PackingEngine


def solve(
    instance: Instance,
    max_cycle: int = 3,
    max_chain: int | None = 3,
    time_limit: float | None = None,
    *,
    options: Options | None = None,
) -> Solution:
    """Choose vertex-disjoint cycles and chains of maximum total weight.

    Parameters
    ----------
    instance : Instance
        Vertices, weighted arcs, altruists, optional side constraints.
    max_cycle : int
        Most arcs in a cycle; 0 means no limit.
    max_chain : int or None
        Most arcs in a chain, counting the altruist's gift; 0 means no
        chains, ``None`` no limit (only with ``max_cycle=0``).
    time_limit : float, optional
        Seconds of wall time. When reached, the best solution found is
        returned with ``status="time_limit"`` and its certified ``gap``.
    options : Options, optional
        How the engine searches (seed, threads, log, tuning); ``Options()`` if omitted.
        The same instance, limits and options give the same answer.

    Returns
    -------
    Solution

    Notes
    -----
    Exact. With ``max_cycle=0`` and neither side constraints nor a finite
    chain limit it solves an assignment problem, roughly O(n m). Otherwise it
    enumerates the cycles (about ``n d**(K-1) / K`` for average degree ``d``)
    and solves an integer programme, NP-hard in general (for ``K >= 3``);
    LP bounds are tight on exchange graphs, so the proof usually needs little
    branching.

    Examples
    --------
    >>> inst = Instance.from_arcs(
    ...     [("a", "b", 1), ("b", "a", 1), ("b", "c", 5), ("c", "a", 5)],
    ...     altruists=[])
    >>> sol = solve(inst, max_cycle=3, max_chain=0)
    >>> sol.cycles, sol.objective, sol.status
    ((('a', 'b', 'c'),), 11.0, 'optimal')
    """
    t_start = perf_counter()
    _check_limits(max_cycle, max_chain, time_limit)
    options = Options() if options is None else options
    deadline = None if time_limit is None else t_start + float(time_limit)
    n, alt = instance.n_vertices, instance.altruist
    w = instance.total_weight()
    stats: dict[str, Any] = {"vertices": n, "arcs": instance.n_arcs, "altruists": int(alt.sum())}
    if max_cycle == 0 and not instance.side_constraints and (max_chain is None or max_chain == 0 or not alt.any()):
        t = perf_counter()
        chosen = solve_assignment(n, instance.src, instance.dst, w, alt, chains=max_chain is None)
        stats["method"] = "assignment"
        stats["time_solve"] = perf_counter() - t
        return _finish(instance, chosen, w, None, "optimal", stats, t_start)
    adj = Adjacency(n, instance.src, instance.dst)
    cycles = None
    if deadline is not None and max_cycle > 2 and not instance.side_constraints:
        try:
            cycles = enumerate_cycles(adj, max_cycle, vertex_ok=~alt,
                                      limit=int(options.cycles_per_second * max(deadline - perf_counter(), 0.0)))
        except TooManyCycles as too_many:
            return _shorter_cycles(instance, max_cycle, max_chain, deadline, too_many, t_start, options)
    return _solve_programme(instance, adj, cycles, max_cycle, max_chain, deadline, options, stats, t_start)


def _check_limits(max_cycle: int, max_chain: int | None, time_limit: float | None) -> None:
    if not isinstance(max_cycle, (int, np.integer)) or max_cycle < 0:
        raise ValueError("max_cycle must be an integer >= 0 (0 = no limit)")
    if max_chain is not None and (not isinstance(max_chain, (int, np.integer)) or max_chain < 0):
        raise ValueError("max_chain must be an integer >= 0 or None (no limit)")
    if max_chain is None and max_cycle > 0:
        raise ValueError("max_chain=None (no chain limit) needs max_cycle=0 (no cycle limit)")
    if max_cycle == 1:
        raise ValueError("max_cycle=1 allows no cycle (a cycle has at least 2 arcs); use 2 or more")
    if time_limit is not None and time_limit <= 0:
        raise ValueError("time_limit must be positive")


def _solve_programme(instance: Instance, adj: Adjacency, cycles: dict[int, np.ndarray] | None, max_cycle: int,
                     max_chain: int | None, deadline: float | None, options: Options, stats: dict[str, Any],
                     t_start: float) -> Solution:
    """Build the programme (cycles or edges, PICEF chains, side constraints) and run the engine on it."""
    t = perf_counter()
    side = lo = hi = None
    if instance.side_constraints:
        side, lo, hi = instance.side_constraint_matrix()
    w, alt = instance.total_weight(), instance.altruist
    model = build_model(instance.n_vertices, instance.src, instance.dst, w, alt, max_cycle, max_chain,
                        side, lo, hi, adj=adj, cycles=cycles)
    stats["method"] = "cycle formulation + PICEF" if max_cycle else "edge formulation + PICEF"
    stats.update(columns=int(model.cost.size), cycles=int(model.n_cycles), rows=int(model.A.shape[0]),
                 time_build=perf_counter() - t)
    if max_cycle and model.n_cycles and model.cost.size > options.direct_mip_columns:
        engine: Engine = PackingEngine(model, options, deadline=deadline, stats=stats, adj=adj, altruist=alt,
                                       max_chain=max_chain)
    else:
        engine = Engine(model, options, deadline=deadline, stats=stats)
    outcome = engine.solve()
    if outcome.status == "infeasible":
        return Solution((), (), 0.0, -math.inf, math.inf, "infeasible", _stats(stats, t_start))
    chosen = np.asarray(model.col_arcs.T @ outcome.x).ravel() > 0.5
    return _finish(instance, chosen, w, outcome.bound, outcome.status, stats, t_start)


def _shorter_cycles(instance: Instance, max_cycle: int, max_chain: int | None, deadline: float,
                    too_many: TooManyCycles, t_start: float, options: Options) -> Solution:
    """Too many cycles to enumerate and price in the time given: the answer with cycles one
    arc shorter (also a valid answer for ``max_cycle``), in the time left, and as its bound the
    assignment relaxation (no limit on cycles or chains), which holds for every limit.
    """
    n, w, alt = instance.n_vertices, instance.total_weight(), instance.altruist
    t = perf_counter()
    relaxed = solve_assignment(n, instance.src, instance.dst, w, alt, chains=max_chain != 0)
    bound = float(np.sort(w[relaxed]).sum())
    time_assignment = perf_counter() - t
    sub = solve(instance, max_cycle - 1, max_chain, time_limit=max(deadline - perf_counter(), 0.01), options=options)
    stats = dict(sub.stats)
    stats.update({"cycles_over_limit": too_many.count,
                  "max_cycle_solved": sub.stats.get("max_cycle_solved", max_cycle - 1),
                  "bound_method": "assignment relaxation (no cycle or chain limit)",
                  "assignment_bound": bound, "time_assignment": time_assignment,
                  "bound_for_shorter_cycles": sub.stats.get("bound_for_shorter_cycles", sub.bound)})
    bound = max(bound, sub.objective)
    gap = (bound - sub.objective) / max(1.0, abs(sub.objective))
    return Solution(sub.cycles, sub.chains, sub.objective, bound, gap, "time_limit", _stats(stats, t_start))


def _stats(stats: dict[str, Any], t_start: float) -> dict[str, Any]:
    stats["time_total"] = perf_counter() - t_start
    return stats


def _finish(instance: Instance, chosen: np.ndarray, w: np.ndarray, bound: float | None,
            status: str, stats: dict[str, Any], t_start: float) -> Solution:
    """Turn chosen arcs into cycles and chains of caller ids."""
    n = instance.n_vertices
    src, dst = instance.src[chosen], instance.dst[chosen]
    objective = float(np.sort(w[chosen]).sum())
    succ = np.full(n, -1, dtype=np.int64)
    if np.unique(src).size != src.size or np.unique(dst).size != dst.size:
        raise RuntimeError("internal error: chosen arcs are not vertex-disjoint")
    succ[src] = dst
    seen = np.zeros(n, dtype=bool)
    ids = instance.ids
    chains = []
    for a in np.flatnonzero(instance.altruist & (succ >= 0)):
        path = [int(a)]
        seen[a] = True
        v = succ[a]
        while v >= 0:
            path.append(int(v))
            seen[v] = True
            v = succ[v]
        chains.append(tuple(ids[i] for i in path))
    cycles = []
    for s in np.flatnonzero(~seen & (succ >= 0)):
        if seen[s]:
            continue
        path = []
        v = s
        while not seen[v]:
            seen[v] = True
            path.append(int(v))
            v = succ[v]
        cycles.append(tuple(ids[i] for i in path))
    if bound is None or bound < objective:
        bound = objective
    gap = (bound - objective) / max(1.0, abs(objective))
    if status == "optimal":
        bound, gap = objective, 0.0
    stats["cycles_chosen"] = len(cycles)
    stats["chains_chosen"] = len(chains)
    return Solution(tuple(cycles), tuple(chains), objective, float(bound), float(gap), status,
                    _stats(stats, t_start))


__all__ = ["solve"]
