"""The clearing engine: exact optimisation with a proof of optimality.

Pipeline for the integer programme (cycle formulation with PICEF chains, or
the edge formulation when cycles are unlimited but chains are not):

1. **LP by column generation.** Solve the LP relaxation on a subset of the
   columns, price every enumerated column with one sparse product
   ``cost - A.T @ y``, add the best-priced ones, re-solve (warm dual simplex;
   in the packing layout the interior point, see ``PACKING_LP_SOLVER``), until
   none prices positive.
2. **Lagrangian bound.** For any row prices ``y`` (of the right signs),
   ``UB(y) = row_bounds . y + sum(max(0, reduced cost))`` bounds every integer
   solution. It is computed from the duals actually returned, so the bound is
   valid even if the LP was stopped early or is slightly inexact.
3. **Incumbent.** The LP rounded greedily; then (packing layout) a dive: fix the
   largest LP columns, re-solve, generate columns over the vertices still free,
   repeat until integral; then a MIP over the columns whose reduced cost is near
   zero (the LP's support and its close competitors), started from the best so
   far, under a short time cap.
4. **Reduced-cost fixing.** A solution worth at least the incumbent ``z``
   only uses columns with reduced cost ``>= z - UB``; all others are dropped,
   for a proof over the whole problem.
5. **Final MIP** over the kept columns, started from the incumbent. Its
   optimum is the global optimum; under a time limit its dual bound (capped by
   ``UB``) certifies the gap of the best solution found.

With no cycle limit, no side constraints and no chain limit (or no chains),
the problem is an assignment problem and is solved as one
(:mod:`matching.assignment`).
"""

from __future__ import annotations

import math
from time import perf_counter
from typing import Any

import highspy
import numpy as np
from . import highs as hs
from .assignment import solve_assignment
from scipy import sparse

from .cycles import Adjacency, TooManyCycles, chain_bounds, chain_paths, enumerate_cycles
from .instance import Instance, Solution
from .model import Model, build_model, packing_columns, packing_rows

#: Under a time limit, cycles are enumerated only if there are at most this many per second
#: of the limit (else see ``_shorter_cycles``). Measured: 1,024 pairs K = 4, 2.0 million
#: cycles, build 5.4 s and LP 11 s; 2,048 pairs K = 4, 23.4 million, build 50-88 s and 69 s
#: for two LP rounds.
CYCLES_PER_SECOND = 150_000
#: Below this many columns the MIP is solved directly (LP-based fixing would not pay).
DIRECT_MIP_COLUMNS = 4000
#: Column generation starts with at most this many columns ...
CG_INITIAL_COLUMNS = 60000
#: HiGHS LP method for the relaxation in the model layout (``_Engine.lp``: the edge
#: formulation, and models with no cycle columns). Dual simplex warm-starts between
#: column-generation rounds; IPM without crossover measured no faster (70 s vs 72 s at
#: 1,024 pairs, K = L = 4, when that LP still carried every column it priced).
LP_SOLVER = "simplex"
#: HiGHS LP method for the packing layout's column generation and its dives
#: (``_Engine.packing_lp``, ``_Engine.dive``): the interior point, with crossover (the LP
#: rounded and the dives read a vertex). Warm dual simplex spent 9-12 s on each of the
#: first rounds at 2,048 pairs K = L = 3 (22,000-24,000 degenerate pivots), the interior
#: point 0.5-0.8 s from scratch: LP 39 s -> 9-12 s, and 1,024 pairs K = L = 4 23 s -> 12 s
#: (AMD EPYC, 2 cores). The dives gain a little too (117,795 -> 117,871 and 56,302 -> 56,316
#: in 60 s, twice each).
PACKING_LP_SOLVER = "ipm"
#: ... and adds at most this many per round.
CG_BATCH = 20000
#: The incumbent MIP (10 s at most) gets at most this many columns: at 2,048 pairs about
#: 790,000 columns price near zero by their best-chain scores, far too many to search.
INCUMBENT_POOL_MAX = 20000
#: Under a time limit, a final MIP over more kept columns than this is not attempted.
PROOF_MAX_COLUMNS = 300000
#: The incumbent MIP stops after this many seconds. At 1,024 pairs K = L = 3 (load 2-3):
#: 10 s gave 47,458 and 22-27 s end to end, 4-5 s the same incumbent and 17-22 s, but 2 s
#: only 47,320, which leaves 99,475 columns after fixing and no proof in 120 s.
INCUMBENT_SECONDS = 5.0
#: Packing-layout column generation prices *diversely*: each round adds, for every vertex,
#: the best ``CG_PER_VERTEX`` cycles through it (``CG_INITIAL_PER_VERTEX`` by weight to start),
#: and for every altruist its best ``CHAIN_PER_ALTRUIST`` chains, at most ``CG_BATCH`` cycles
#: and ``CHAIN_BATCH`` chains a round. At 2,048 pairs K = L = 3 this keeps the restricted LP
#: at 17,000 columns instead of 78,000 and the LP took 19 s instead of 68 s (1,024 pairs
#: K = L = 4: 10 s instead of 33 s): fewer, better-spread columns mean fewer degenerate pivots.
CG_INITIAL_PER_VERTEX = 5
CG_PER_VERTEX = 3
CHAIN_PER_ALTRUIST = 20
#: The dive (see ``_Engine.dive``) fixes this many fractional columns a step ...
DIVE_FIX = 5
#: ... or, if more, this share of the fractional columns; the dives take these shares in
#: turn, each from the LP with every bound freed again (``_Engine.dives``). The share decides little on
#: its own (2,048 pairs K = L = 3: 117,199 / 117,722 / 117,720 for 0.1 / 0.2 / 0.05, where
#: 5 a step gave 117,584 in 24.5 s instead of 3-11 s), so several cheap dives beat one slow
#: one; 0.3 lost 1,300-2,300 points in its first step and is not used.
DIVE_SHARES = (0.1, 0.2, 0.05, 0.15)
#: At most this many dives. After the first ``DIVE_PLAIN``, every other dive starts around the
#: best packing so far: a random ``DIVE_KEEP`` share of its cycles stays fixed (2,048 pairs
#: K = L = 3: 117,722 -> 117,886 with 0.5; 0.3 gave 117,741, and with 0.7 the LP never rose
#: above the best). Every dive after the first stops as soon as its LP falls to the best so
#: far, which it can then no longer beat.
DIVE_MAX = 24
DIVE_PLAIN = 2
DIVE_KEEP = 0.5
#: The dives stop after at most this many seconds (or 40% of the time left, or, when no
#: proof can follow anyway, close to the deadline) ...
DIVE_SECONDS = 30.0
#: ... and a MIP over the union of their columns gets at most this many.
MERGE_SECONDS = 5.0
#: After the dives, a MIP in the packing layout (cycles and whole chains) over the columns
#: priced closest to zero by the LP's duals, at most ``POOL_COLUMNS`` of them (the reduced-cost
#: window is the widest that fits, at most ``POOL_WINDOW`` points), started from the best
#: packing, for at most ``POOL_SECONDS`` (0 = never), and under a time limit only if at
#: least ``POOL_MIN_LEFT`` seconds are left (then for at most half of them). 1,024 pairs
#: K = L = 3 seed 1,024 under a 120 s limit (AMD EPYC): it turned the dives' 47,401 into the
#: optimum 47,468, fixing kept 9,113 columns instead of 42,000-59,000, and the final MIP proved
#: it at 97.4 s (47,401 / 47,500 without it); seed 1,025: 0.275% -> 0.139%. Run under a 60 s
#: limit too (18-21 s), it helped one of three seeds (0.222% -> 0.110%), cost another
#: (0.275% -> 0.297%) and made the third overrun the limit by 6 s (docs/performance.md,
#: fourth round).
POOL_COLUMNS = 2500
POOL_WINDOW = 30.0
POOL_SECONDS = 30.0
POOL_MIN_LEFT = 60.0
#: Chains priced per column-generation round (whole chains, packing layout) ...
CHAIN_BATCH = 3000
#: ... growing at most this many partial chains per length while pricing.
CHAIN_CAP = 20000


def solve(
    instance: Instance,
    max_cycle: int = 3,
    max_chain: int | None = 3,
    time_limit: float | None = None,
    *,
    seed: int = 0,
    threads: int | None = None,
    log: bool = False,
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
    seed : int
        Solver random seed (results are deterministic for a given seed).
    threads : int, optional
        Solver threads (HiGHS default if omitted).
    log : bool
        Print solver logs.

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
    deadline = None if time_limit is None else t_start + float(time_limit)

    n = instance.n_vertices
    src, dst, alt = instance.src, instance.dst, instance.altruist
    w = instance.total_weight()
    stats: dict[str, Any] = {"vertices": n, "arcs": instance.n_arcs, "altruists": int(alt.sum())}
    chains_allowed = max_chain is None or max_chain > 0

    if max_cycle == 0 and not instance.side_constraints and (max_chain is None or max_chain == 0 or not alt.any()):
        t = perf_counter()
        chosen = solve_assignment(n, src, dst, w, alt, chains=chains_allowed and max_chain is None)
        stats["method"] = "assignment"
        stats["time_solve"] = perf_counter() - t
        return _finish(instance, chosen, w, None, "optimal", stats, t_start)

    t = perf_counter()
    side = lo = hi = None
    if instance.side_constraints:
        side, lo, hi = instance.side_constraint_matrix()
    adj = Adjacency(n, src, dst)
    cycles = None
    if deadline is not None and max_cycle > 2 and side is None:
        try:
            cycles = enumerate_cycles(adj, max_cycle, vertex_ok=~alt,
                                      limit=int(CYCLES_PER_SECOND * max(deadline - perf_counter(), 0.0)))
        except TooManyCycles as too_many:
            return _shorter_cycles(instance, max_cycle, max_chain, deadline, too_many, t_start,
                                   seed=seed, threads=threads, log=log)
    model = build_model(n, src, dst, w, alt, max_cycle, max_chain, side, lo, hi, adj=adj, cycles=cycles)
    stats["method"] = "cycle formulation + PICEF" if max_cycle else "edge formulation + PICEF"
    stats["columns"] = int(model.cost.size)
    stats["cycles"] = int(model.n_cycles)
    stats["rows"] = int(model.A.shape[0])
    stats["time_build"] = perf_counter() - t
    integral = bool(np.all(np.abs(model.cost - np.round(model.cost)) < 1e-9))
    engine = _Engine(model, deadline, integral, seed, threads, log, stats,
                     adj=adj, altruist=alt, max_chain=max_chain if max_cycle else None)
    chosen, bound, status = engine.run()
    if status == "infeasible":
        return Solution((), (), 0.0, -math.inf, math.inf, "infeasible", _stats(stats, t_start))
    return _finish(instance, chosen, w, bound, status, stats, t_start)


def _shorter_cycles(instance: Instance, max_cycle: int, max_chain: int | None, deadline: float,
                    too_many: TooManyCycles, t_start: float, **options: Any) -> Solution:
    """Too many cycles to enumerate and price in the time given: the answer with cycles one
    arc shorter (also a valid answer for ``max_cycle``), in the time left, and as its bound the
    assignment relaxation (no limit on cycles or chains), which holds for every limit.

    Without this, 2,048 pairs at K = L = 4 (23.4 million cycles: 50-88 s to build, 69 s for
    two LP rounds) ran 159 s under a 60 s limit and returned nothing.
    """
    n, w, alt = instance.n_vertices, instance.total_weight(), instance.altruist
    t = perf_counter()
    relaxed = solve_assignment(n, instance.src, instance.dst, w, alt, chains=max_chain != 0)
    bound = float(np.sort(w[relaxed]).sum())
    time_assignment = perf_counter() - t
    sub = solve(instance, max_cycle - 1, max_chain, time_limit=max(deadline - perf_counter(), 0.01), **options)
    stats = dict(sub.stats)
    stats.update({"cycles_over_limit": too_many.count,
                  "max_cycle_solved": sub.stats.get("max_cycle_solved", max_cycle - 1),
                  "bound_method": "assignment relaxation (no cycle or chain limit)",
                  "assignment_bound": bound, "time_assignment": time_assignment,
                  "bound_for_shorter_cycles": sub.stats.get("bound_for_shorter_cycles", sub.bound)})
    bound = max(bound, sub.objective)
    gap = (bound - sub.objective) / max(1.0, abs(sub.objective))
    return Solution(sub.cycles, sub.chains, sub.objective, bound, gap, "time_limit", _stats(stats, t_start))


class _Engine:
    """LP, Lagrangian bound, incumbent, fixing, final MIP (see module docstring)."""

    def __init__(self, model: Model, deadline: float | None, integral: bool, seed: int,
                 threads: int | None, log: bool, stats: dict[str, Any], *,
                 adj: Adjacency | None = None, altruist: np.ndarray | None = None,
                 max_chain: int | None = None) -> None:
        self.m = model
        self.adj = adj
        self.altruist = altruist
        self.max_chain = max_chain
        self.deadline = deadline
        self.integral = integral
        self.seed = seed
        self.threads = threads
        self.log = log
        self.stats = stats
        self.AT = model.A.T.tocsr()

    # helpers -----------------------------------------------------------------------

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(self.deadline - perf_counter(), 0.01)

    def past_deadline(self) -> bool:
        return self.deadline is not None and perf_counter() >= self.deadline

    def _mip_time(self) -> float | None:
        """Time to give the final MIP: HiGHS overran its limit by up to 6 s while loading,
        presolving and finishing a node (1,024 pairs, 128,000 columns), so it gets 5% and
        1 s less than what is left."""
        left = self.remaining()
        return None if left is None else max(0.95 * left - 1.0, 0.01)

    def highs(self) -> highspy.Highs:
        return hs.new_highs(seed=self.seed, threads=self.threads, log=self.log)

    def value(self, x: np.ndarray) -> float:
        return float(self.m.cost @ x)

    def lagrangian(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        """Reduced costs and the bound ``UB(y)``, after fixing signs of ``y``."""
        m = self.m
        y = y.copy()
        y[(y > 0) & ~np.isfinite(m.row_hi)] = 0.0
        y[(y < 0) & ~np.isfinite(m.row_lo)] = 0.0
        rc = m.cost - self.AT @ y
        rows = np.where(y > 0, y * np.where(np.isfinite(m.row_hi), m.row_hi, 0.0),
                        y * np.where(np.isfinite(m.row_lo), m.row_lo, 0.0))
        return rc, float(rows.sum() + np.maximum(rc, 0.0).sum())

    def mip(self, cols: np.ndarray, time_cap: float | None, start: np.ndarray | None = None,
            cutoff: float | None = None, heuristic: bool = False) -> tuple[np.ndarray | None, float, str]:
        """Solve the MIP over ``cols``; returns (x over all columns or None, dual bound, status)."""
        model = self.m
        h = self.highs()
        hs.load(h, model, cols, integer=True)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.999 if self.integral else 1e-6)
        if time_cap is not None:
            h.setOptionValue("time_limit", float(time_cap))
        if not heuristic:
            # the incumbent is already good: no primal heuristics (sub-MIPs alone took 18 s
            # of a 60 s final MIP at 1,024 pairs even with the effort set to 0)
            h.setOptionValue("mip_heuristic_effort", 0.0)
            for name in ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
                         "mip_heuristic_run_root_reduced_cost", "mip_heuristic_run_feasibility_jump"):
                h.setOptionValue(name, False)
        if cutoff is not None:
            # HiGHS minimises -cost: only solutions at least this good are wanted
            h.setOptionValue("objective_bound", -float(cutoff) + 1e-6)
        if start is not None:
            hs.set_start(h, start[cols])
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        dual = -float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else math.inf
        x = None
        if info.primal_solution_status == 2:  # feasible
            xv = np.asarray(h.getSolution().col_value)
            x = np.zeros(model.cost.size)
            x[cols] = np.round(xv)
        if status == highspy.HighsModelStatus.kOptimal:
            return x, dual, "optimal"
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kObjectiveBound):
            return x, dual, "infeasible"
        return x, dual, "time_limit"

    # pipeline ----------------------------------------------------------------------

    def arcs(self, x: np.ndarray) -> np.ndarray:
        """The arcs a column solution uses (boolean mask)."""
        return np.asarray(self.m.col_arcs.T @ x).ravel() > 0.5

    def run(self) -> tuple[np.ndarray, float | None, str]:
        """Returns (chosen arcs mask, bound or None when proven, status)."""
        m = self.m
        if (m.cost.size > DIRECT_MIP_COLUMNS and self.max_chain is not None and m.n_cycles
                and m.arc_in_row is not None):
            self.pack_rows = packing_rows(m)
            self.AT_cyc = m.A[:, :m.n_cycles].T.tocsr()
            self.stats["method"] = "cycle formulation + PICEF, LP with chains priced by dynamic programming"
            y, ub = self.packing_lp()
            if self.past_deadline() and self.rounded is not None:
                # no time left for pricing every column (3 s at 24 million): the LP rounded
                self.stats["rounded"] = self.stats["incumbent"] = self.value(self.rounded)
                return self.arcs(self.rounded), ub, "time_limit"
            self.lp_y = y
            x, bound, status = self.run_with_fixing(self.reduced_costs(y), ub)
            return self.arcs(x), bound, status
        x, bound, status = self.run_columns()
        return self.arcs(x), bound, status

    def run_columns(self) -> tuple[np.ndarray, float | None, str]:
        m = self.m
        ncol = m.cost.size
        if ncol == 0:
            if np.any(m.row_lo > 0) or np.any(m.row_hi < 0):
                return np.zeros(0), None, "infeasible"
            return np.zeros(0), None, "optimal"
        if ncol <= DIRECT_MIP_COLUMNS:
            t = perf_counter()
            x, dual, status = self.mip(np.arange(ncol), self.remaining(), heuristic=True)
            self.stats["time_mip"] = perf_counter() - t
            if x is None:
                return np.zeros(ncol), None, "infeasible" if status != "time_limit" else "time_limit"
            return x, (None if status == "optimal" else dual), status
        return self.run_with_fixing()

    def lp(self) -> tuple[np.ndarray, float]:
        """Column generation for the LP relaxation; returns row prices and LP value."""
        m = self.m
        ncol = m.cost.size
        t = perf_counter()
        if ncol <= CG_INITIAL_COLUMNS:
            active = np.arange(ncol)
        else:
            # start from the best columns per unit of capacity they use
            per = m.cost / np.maximum(np.diff(m.A.indptr), 1)
            active = np.sort(np.argsort(-per, kind="stable")[:CG_INITIAL_COLUMNS])
        h = self.highs()
        hs.load(h, m, active, integer=False)
        h.setOptionValue("solver", LP_SOLVER)
        if LP_SOLVER == "ipm":
            h.setOptionValue("run_crossover", "off")
        if self.deadline is not None:
            h.setOptionValue("time_limit", float(self.remaining()))
        in_lp = np.zeros(ncol, dtype=bool)
        in_lp[active] = True
        rounds = 0
        while True:
            rounds += 1
            h.run()
            sol = h.getSolution()
            y = -np.asarray(sol.row_dual)
            rc = m.cost - self.AT @ y
            rc[in_lp] = 0.0
            cand = np.flatnonzero(rc > 1e-7)
            if cand.size == 0 or (self.deadline is not None and perf_counter() > self.deadline):
                break
            if cand.size > CG_BATCH:
                cand = cand[np.argsort(-rc[cand], kind="stable")[:CG_BATCH]]
                cand.sort()
            hs.add_cols(h, m, cand, integer=False)
            in_lp[cand] = True
            if self.deadline is not None:
                # HiGHS counts time_limit from the creation of the object, not per run
                h.setOptionValue("time_limit", h.getRunTime() + float(self.remaining()))
        lp_value = -float(h.getInfo().objective_function_value)
        self.stats["lp_rounds"] = rounds
        self.stats["lp_columns"] = int(in_lp.sum())
        self.stats["lp_value"] = lp_value
        self.stats["time_lp"] = perf_counter() - t
        return y, lp_value

    # packing pipeline: cycles + whole chains priced by dynamic programming ------------

    def _prices(self, y_pack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Sign-fixed packing duals -> (row prices, cycle reduced costs, arc values, row part of UB)."""
        m = self.m
        rows = self.pack_rows
        lo, hi = m.row_lo[rows], m.row_hi[rows]
        y = y_pack.copy()
        y[(y > 0) & ~np.isfinite(hi)] = 0.0
        y[(y < 0) & ~np.isfinite(lo)] = 0.0
        row_part = float(np.where(y > 0, y * np.where(np.isfinite(hi), hi, 0.0),
                                  y * np.where(np.isfinite(lo), lo, 0.0)).sum())
        y_full = np.zeros(m.A.shape[0])
        y_full[rows] = y
        rc_cyc = m.cost[:m.n_cycles] - self.AT_cyc @ y_full
        arc_value = m.arc_weight - np.where(m.arc_in_row >= 0, y_full[np.maximum(m.arc_in_row, 0)], 0.0)
        if m.side_arcs is not None:
            arc_value = arc_value - m.side_arcs.T @ y[m.n_core_rows:]
        return y, rc_cyc, arc_value, row_part

    def reduced_costs(self, y: np.ndarray) -> np.ndarray:
        """Packing row prices -> a reduced cost for every model column (PICEF columns: the
        best chain through them, see ``_picef_scores``)."""
        _, rc_cyc, arc_value, _ = self._prices(y)
        return np.concatenate([rc_cyc, self._picef_scores(arc_value, self._start_value(y))])

    def _start_value(self, y: np.ndarray) -> np.ndarray:
        """Value of starting a chain at each vertex: minus its altruist row price."""
        m = self.m
        start = np.zeros(self.adj.n)
        alts = np.flatnonzero(self.altruist)
        start[alts] = -y[m.n_vertex_rows + np.arange(alts.size)]
        return start

    def _picef_scores(self, arc_value: np.ndarray, start: np.ndarray) -> np.ndarray:
        """For every PICEF column (arc at a position), the best reduced cost of a chain through it.

        Over walks (an upper bound): best way to reach the arc's giver at the
        position before, plus the arc, plus the best continuation. A chain with
        reduced cost ``r`` only uses PICEF columns scoring ``>= r``, so fixing
        on these scores keeps every chain that fixing on whole chains keeps.
        """
        m, adj, L = self.m, self.adj, self.max_chain
        cols = np.arange(m.n_cycles, m.cost.size)
        if cols.size == 0:
            return np.empty(0)
        g = chain_bounds(adj, self.altruist, arc_value, L)
        reach = [np.where(self.altruist, start, -np.inf)]  # reach[p][v]: best value arriving at v after p arcs
        inner = ~self.altruist[adj.src]
        for p in range(1, L):
            best = np.full(adj.n, -np.inf)
            prev = reach[-1]
            sel = inner if p > 1 else self.altruist[adj.src]
            np.maximum.at(best, adj.dst[sel], prev[adj.src[sel]] + arc_value[sel])
            reach.append(best)
        arc = m.col_arcs.indices[m.col_arcs.indptr[cols]]
        pos = m.chain_pos[cols]
        through = np.empty(cols.size)
        for p in range(1, L + 1):
            at = pos == p
            through[at] = reach[p - 1][adj.src[arc[at]]] + arc_value[arc[at]] + g[L - p][adj.dst[arc[at]]]
        return through

    def _chain_bound(self, arc_value: np.ndarray, start: np.ndarray) -> float:
        """Sum over altruists of max(0, best chain reduced cost), over walks (an upper bound)."""
        L = self.max_chain
        if not L or not self.altruist.any():
            return 0.0
        g = chain_bounds(self.adj, self.altruist, arc_value, L - 1)
        adj = self.adj
        first = self.altruist[adj.src]
        best = np.full(adj.n, -np.inf)
        np.maximum.at(best, adj.src[first], arc_value[first] + g[L - 1][adj.dst[first]])
        alts = np.flatnonzero(self.altruist)
        return float(np.maximum(start[alts] + best[alts], 0.0).sum())

    def _chains(self, arc_value: np.ndarray, start: np.ndarray, threshold: float,
                cap: int | None = None) -> tuple[sparse.csr_matrix, np.ndarray, bool]:
        """Chains worth ``>= threshold`` as (chains x arcs, values, truncated)."""
        L = self.max_chain
        n_arcs = self.adj.src.size
        if not L or not self.altruist.any():
            return sparse.csr_matrix((0, n_arcs)), np.empty(0), False
        _, arcs, values, truncated = chain_paths(self.adj, self.altruist, arc_value, start, L,
                                                 threshold, cap=cap)
        counts = np.concatenate([np.full(a.shape[0], a.shape[1], dtype=np.int64) for a in arcs]) \
            if arcs else np.empty(0, dtype=np.int64)
        indptr = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        idx = np.concatenate([np.sort(a, axis=1).ravel() for a in arcs]) if arcs else np.empty(0, dtype=np.int64)
        mat = sparse.csr_matrix((np.ones(idx.size), idx, indptr), shape=(counts.size, n_arcs))
        return mat, values, truncated

    def _packing_highs(self) -> highspy.Highs:
        """A HiGHS model with the packing layout's rows (vertices, altruists, side) and no columns."""
        m, rows = self.m, self.pack_rows
        h = self.highs()
        lo = np.where(np.isfinite(m.row_lo[rows]), m.row_lo[rows], -hs.INF)
        hi = np.where(np.isfinite(m.row_hi[rows]), m.row_hi[rows], hs.INF)
        h.addRows(lo.size, lo, hi, 0, np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        return h

    def packing_lp(self) -> tuple[np.ndarray, float]:
        """Column generation over cycles and whole chains; returns packing row prices and UB."""
        m = self.m
        n_cyc = m.n_cycles
        t = perf_counter()
        rows = self.pack_rows
        h = self._packing_highs()
        h.setOptionValue("solver", PACKING_LP_SOLVER)
        cyc = self._per_vertex(m.cost[:n_cyc], CG_INITIAL_PER_VERTEX, CG_INITIAL_COLUMNS)
        in_lp = np.zeros(n_cyc, dtype=bool)
        y = np.zeros(rows.size)
        _, _, arc_value, _ = self._prices(y)
        chains = self._chains(arc_value, self._start_value(y), 1e-6, cap=CHAIN_CAP)
        new_chains = self._per_altruist(chains[0], chains[1])
        rounds = 0
        n_chains = 0
        best_ub = math.inf
        best_y = y
        batches: list[tuple[np.ndarray, sparse.csr_matrix, np.ndarray, sparse.csc_matrix]] = []
        round_seconds: list[float] = []
        while True:
            rounds += 1
            if cyc.size or new_chains.shape[0]:
                cost, A, _ = packing_columns(m, cyc, new_chains)
                A.sort_indices()
                batches.append((cyc, new_chains, cost, A))
                _add_packing_cols(h, cost, A)
                in_lp[cyc] = True
                n_chains += new_chains.shape[0]
            if self.deadline is not None:
                # HiGHS counts time_limit from the creation of the object, not per run
                h.setOptionValue("time_limit", h.getRunTime() + float(self.remaining()))
            t_run = perf_counter()
            h.run()
            round_seconds.append(round(perf_counter() - t_run, 3))
            y = -np.asarray(h.getSolution().row_dual)
            y, rc_cyc, arc_value, row_part = self._prices(y)
            start = self._start_value(y)
            ub = row_part + float(np.maximum(rc_cyc, 0.0).sum()) + self._chain_bound(arc_value, start)
            if ub < best_ub:
                best_ub, best_y = ub, y
            if self.deadline is not None and perf_counter() > self.deadline:
                break
            rc_cyc[in_lp] = 0.0
            cand = self._per_vertex(rc_cyc, CG_PER_VERTEX, CG_BATCH)
            chains = self._chains(arc_value, start, 1e-6, cap=CHAIN_CAP)
            if chains[0].shape[0] == 0 and chains[2]:
                chains = self._chains(arc_value, start, 1e-6)
            new_chains = self._per_altruist(chains[0], chains[1])
            if cand.size == 0 and new_chains.shape[0] == 0:
                break
            cyc = cand
        self.stats["lp_rounds"] = rounds
        self.stats["lp_round_seconds"] = round_seconds  # HiGHS's time for each round's LP
        self.stats["lp_columns"] = int(in_lp.sum()) + n_chains
        self.stats["lp_value"] = -float(h.getInfo().objective_function_value)
        self.stats["time_lp"] = perf_counter() - t
        self.rounded = self._round(np.asarray(h.getSolution().col_value), batches)
        self.lp_h, self.lp_batches = h, batches
        self.lp_cycles = in_lp  # cycles that are columns of the LP (the dives add to it)
        return best_y, best_ub

    def _round(self, x: np.ndarray, batches: list) -> np.ndarray | None:
        """A solution over the model's columns from the LP's: largest value first, if disjoint.

        Cycles and whole chains are taken greedily while they share no vertex
        or altruist; a chain is written as its PICEF columns. None with side
        constraints (the greedy does not check them).
        """
        if self.m.side_arcs is not None or not batches:
            return None
        cyc, chains, cost, A = _registry(batches)
        x = x[:cost.size]
        order = np.lexsort((-cost, -x))
        order = order[x[order] > 1e-9]
        return self._model_x(_greedy_disjoint(A, order), cyc, chains)

    def _model_x(self, chosen: np.ndarray, cyc: np.ndarray, chains: sparse.csr_matrix) -> np.ndarray:
        """Packing-layout columns ``chosen`` (cycle index, or -1 for the next chain) as model columns."""
        m, adj, L = self.m, self.adj, self.max_chain
        out = np.zeros(m.cost.size)
        chain_row = np.cumsum(cyc < 0) - 1
        chain_cols = np.arange(m.n_cycles, m.cost.size)
        keys = m.col_arcs.indices[m.col_arcs.indptr[chain_cols]] * (L + 1) + m.chain_pos[chain_cols]
        korder = np.argsort(keys, kind="stable")
        for j in chosen:
            if cyc[j] >= 0:
                out[cyc[j]] = 1.0
                continue
            arcs = chains.indices[chains.indptr[chain_row[j]]:chains.indptr[chain_row[j] + 1]]
            # giving order: the altruist's gift first, then each arc leaves where the last arrived
            nxt = {int(adj.src[a]): int(a) for a in arcs}
            v = int(adj.src[arcs[self.altruist[adj.src[arcs]]][0]])
            for pos in range(1, arcs.size + 1):
                a = nxt[v]
                key = a * (L + 1) + pos
                out[chain_cols[korder[np.searchsorted(keys[korder], key)]]] = 1.0
                v = int(adj.dst[a])
        return out

    def dive(self, time_cap: float, share: float = 0.0, fixed: np.ndarray | None = None,
             floor: float | None = None) -> np.ndarray | None:
        """An incumbent by diving on the LP with column generation at every step.

        From the LP optimum: fix to 1 every column at 1 and the largest fractional columns
        (``DIVE_FIX``, or the share ``share`` of the fractional ones if more) that share no
        vertex, re-solve (``PACKING_LP_SOLVER``), price cycles and chains over the vertices
        still free and add the best, and repeat until the LP is integral. Past ``time_cap``
        the columns fixed so far are completed greedily. The columns it adds stay in the LP
        (``lp_batches``) and every bound is freed again at the end, so the next dive starts
        from the LP. With ``fixed`` (LP column indices) those columns are fixed first and the
        dive goes on from there; with ``floor`` it is abandoned (None) once its LP falls to
        ``floor``. Model columns, or None with side constraints.
        """
        m = self.m
        if m.side_arcs is not None or not getattr(self, "lp_batches", None):
            return None
        t_end = perf_counter() + time_cap
        h = self.lp_h
        if self.deadline is not None:
            h.setOptionValue("time_limit", h.getRunTime() + max(time_cap, 0.01))
        if fixed is None and h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # the LP again, with the columns earlier dives added (freeing their bounds reset the
            # status; right after ``packing_lp`` it is still solved, 1-1.5 s saved at 2,048 pairs)
            h.run()
        cyc, chains, cost, A = _registry(self.lp_batches)
        chain_list = [chains]
        if not hasattr(self, "_cycle_vertices"):
            self._cycle_vertices = m.A[:m.n_vertex_rows, :m.n_cycles].T.tocsr()   # cycles x vertex rows
        V = self._cycle_vertices
        n_rows = self.pack_rows.size
        covered = np.zeros(n_rows, dtype=bool)                    # rows taken by fixed columns
        steps = 0
        pruned = False
        while True:
            if fixed is not None:
                # around a packing: its kept cycles are fixed before anything is solved
                pick, fixed = np.asarray(fixed, dtype=np.int32), None
            else:
                if steps and floor is not None and (h.getModelStatus() != highspy.HighsModelStatus.kOptimal
                                                    or -h.getInfo().objective_function_value <= floor + 0.5):
                    pruned = True  # this dive will not beat ``floor``
                    break
                x = np.asarray(h.getSolution().col_value)
                frac = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
                if (h.getModelStatus() != highspy.HighsModelStatus.kOptimal or perf_counter() > t_end
                        or frac.size == 0):
                    break
                # fix: every column at 1, and the largest fractional ones that share no vertex
                order = frac[np.lexsort((frac, -cost[frac], -x[frac]))]
                pick = _greedy_disjoint(A, order, covered.copy(), max(DIVE_FIX, int(share * frac.size)))
                pick = np.union1d(pick, np.flatnonzero(x >= 1 - 1e-6)).astype(np.int32)
            steps += 1
            h.changeColsBounds(pick.size, pick, np.ones(pick.size), np.ones(pick.size))
            covered[A[:, pick].indices] = True
            h.run()
            # price over the free vertices only
            y, rc_cyc, arc_value, _ = self._prices(-np.asarray(h.getSolution().row_dual))
            start = self._start_value(y)
            rc_cyc[(V @ covered[:m.n_vertex_rows].astype(float)) > 0] = -np.inf
            rc_cyc[self.lp_cycles] = -np.inf  # already columns (within the solver's tolerance)
            taken = covered[:m.n_core_rows]
            arc_value = arc_value.copy()
            for row in (m.arc_in_row, m.arc_alt_row):
                arc_value[(row >= 0) & taken[np.maximum(row, 0)]] = -np.inf
            new_cyc = self._per_vertex(rc_cyc, CG_PER_VERTEX, CG_BATCH)
            found = self._chains(arc_value, start, 1e-6, cap=CHAIN_CAP)
            new_chains = self._per_altruist(found[0], found[1])
            if new_cyc.size or new_chains.shape[0]:
                c2, A2, _ = packing_columns(m, new_cyc, new_chains)
                A2.sort_indices()
                _add_packing_cols(h, c2, A2)
                self.lp_batches.append((new_cyc, new_chains, c2, A2))
                self.lp_cycles[new_cyc] = True
                cost = np.concatenate([cost, c2])
                A = sparse.hstack([A, A2], format="csc")
                cyc = np.concatenate([cyc, new_cyc, np.full(new_chains.shape[0], -1)])
                chain_list.append(new_chains)
                h.run()
        if pruned or (not steps and h.getModelStatus() != highspy.HighsModelStatus.kOptimal):
            # abandoned, or out of time before its first step (the LP unsolved: nothing to round)
            if pruned:
                self.stats["dives_pruned"] = self.stats.get("dives_pruned", 0) + 1
            n = h.getNumCol()
            h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.ones(n))
            return None
        x = np.asarray(h.getSolution().col_value)
        if x.size < cost.size:
            x = np.zeros(cost.size)
        # the columns at 1, then the rest greedily by LP value (all of it, if the dive ended early)
        order = np.lexsort((np.arange(cost.size), -cost, -np.round(x, 6)))
        chosen = _greedy_disjoint(A, order[x[order] > 1e-9])
        self.stats["dive_steps"] = self.stats.get("dive_steps", 0) + steps
        # free every column again for the next dive
        n = h.getNumCol()
        h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.ones(n))
        return self._model_x(chosen, cyc, sparse.vstack(chain_list, format="csr"))

    def dives(self, best: np.ndarray, rc: np.ndarray, ub: float, cap: float) -> np.ndarray:
        """Several dives, then a MIP over the union of their columns.

        The first ``DIVE_PLAIN`` dives start from the LP (``DIVE_SHARES`` in turn); after
        them, every other dive keeps a random ``DIVE_KEEP`` of the best packing's cycles fixed
        and dives on the rest. Every dive but the first is abandoned once its LP cannot beat
        the best packing so far.

        Returns the best packing found (``best`` if nothing beats it). The dives get ``cap``
        seconds; under a time limit, once the best packing so far would leave more columns
        than a proof can take (``PROOF_MAX_COLUMNS`` after fixing), the dives go on until
        close to the deadline, since no final MIP will need the time.
        """
        tol = 0.999 if self.integral else 1e-6
        if self.m.side_arcs is not None or not getattr(self, "lp_batches", None):
            return best
        t0 = perf_counter()
        t_end = t0 + cap
        found: list[np.ndarray] = []
        rng = np.random.default_rng(self.seed)
        for i in range(DIVE_MAX):
            left = t_end - perf_counter()
            if left <= 0:
                break
            floor = self.value(best) if found else None
            if i >= DIVE_PLAIN and i % 2 == 0:
                # around the best so far: keep a random share of its cycles, dive on the rest
                keep = self._lp_cycles_of(best)
                x = self.dive(left, DIVE_SHARES[0], fixed=keep[rng.random(keep.size) < DIVE_KEEP], floor=floor)
                self.stats.setdefault("dives_guided", []).append(None if x is None else self.value(x))
            else:
                x = self.dive(left, DIVE_SHARES[i % len(DIVE_SHARES)], floor=floor)
            if x is None:
                continue
            found.append(x)
            if self.value(x) > self.value(best):
                best = x
            if self.value(best) >= ub - tol:
                break
            if self.deadline is not None and int((rc >= self.value(best) - ub - 1e-6).sum()) > PROOF_MAX_COLUMNS:
                t_end = max(t_end, self.deadline - max(2.0, 0.15 * (self.deadline - t0)))
        self.stats["time_dive"] = perf_counter() - t0
        if not found:
            return best
        self.stats["dives"] = [self.value(x) for x in found]
        self.stats["dive"] = max(self.stats["dives"])
        if len(found) > 1 and self.value(best) < ub - tol and not self.past_deadline():
            # the dives' columns together: a small MIP can combine their parts
            union = np.flatnonzero(np.sum(found, axis=0))
            t = perf_counter()
            cap = MERGE_SECONDS if self.deadline is None else min(MERGE_SECONDS, 0.5 * self.remaining())
            x, _, _ = self.mip(union, cap, heuristic=True, start=best)
            self.stats["time_merge"] = perf_counter() - t
            if x is not None:
                self.stats["merge"] = self.value(x)
                if self.value(x) > self.value(best):
                    best = x
        return best

    def _packing_of(self, x: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
        """A model solution as packing columns: (its cycle indices, its chains as chains x arcs)."""
        m, adj = self.m, self.adj
        cyc = np.flatnonzero(x[:m.n_cycles] > 0.5)
        on = np.asarray(m.col_arcs[m.n_cycles:].T @ x[m.n_cycles:]).ravel() > 0.5
        succ = {int(adj.src[a]): int(a) for a in np.flatnonzero(on)}
        chains = []
        for a0 in np.flatnonzero(self.altruist):
            v, arcs = int(a0), []
            while v in succ:
                arcs.append(succ[v])
                v = int(adj.dst[arcs[-1]])
            if arcs:
                chains.append(np.sort(arcs))
        indptr = np.r_[0, np.cumsum([c.size for c in chains])].astype(np.int64)
        idx = np.concatenate(chains) if chains else np.empty(0, dtype=np.int64)
        return cyc, sparse.csr_matrix((np.ones(idx.size), idx, indptr), shape=(len(chains), adj.src.size))

    def pool_mip(self, best: np.ndarray, cap: float) -> np.ndarray:
        """A MIP over cycles and whole chains priced near zero, started from ``best`` (see
        ``POOL_COLUMNS``); returns the better of its answer and ``best``."""
        m = self.m
        if m.side_arcs is not None:
            return best  # the swaps and the packing layout's rows know no side constraints
        t = perf_counter()
        y, rc_cyc, arc_value, _ = self._prices(self.lp_y)
        chains, values, _ = self._chains(arc_value, self._start_value(y), -POOL_WINDOW, cap=CHAIN_CAP)
        scores = np.sort(np.concatenate([rc_cyc[rc_cyc >= -POOL_WINDOW], values]))[::-1]
        window = POOL_WINDOW if scores.size <= POOL_COLUMNS else -float(scores[POOL_COLUMNS - 1])
        best_cyc, best_chains = self._packing_of(best)
        cyc = np.union1d(np.flatnonzero(rc_cyc >= -window - 1e-6), best_cyc)
        chains = chains[np.flatnonzero(values >= -window - 1e-6)]
        # the best packing's chains go last, once (not also as a priced copy: no parallel columns)
        theirs = {_row_key(best_chains, i) for i in range(best_chains.shape[0])}
        chains = chains[[i for i in range(chains.shape[0]) if _row_key(chains, i) not in theirs]]
        chains = sparse.vstack([chains, best_chains], format="csr")
        cost, A, _ = packing_columns(m, cyc, chains)
        A.sort_indices()
        h = self._packing_highs()
        _add_packing_cols(h, cost, A)
        hs.set_integer(h, True)
        h.setOptionValue("time_limit", float(cap))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.999 if self.integral else 1e-6)
        start = np.zeros(cost.size)
        start[np.searchsorted(cyc, best_cyc)] = 1.0
        start[cost.size - best_chains.shape[0]:] = 1.0
        start = _one_swaps(A, cost, start)
        if np.any(A @ start > 1.5):
            raise RuntimeError("internal error: the pool MIP's start is not a packing")
        self.stats["pool_start"] = float(cost @ start)
        hs.set_start(h, start)
        h.run()
        self.stats["pool_columns"] = int(cost.size)
        self.stats["pool_window"] = round(window, 3)
        if h.getInfo().primal_solution_status == 2:
            x = np.round(np.asarray(h.getSolution().col_value))
            registry = np.concatenate([cyc, np.full(chains.shape[0], -1)])
            out = self._model_x(np.flatnonzero(x > 0.5), registry, chains)
            self.stats["pool"] = self.value(out)
            if self.value(out) > self.value(best):
                best = out
        self.stats["time_pool"] = perf_counter() - t
        return best

    def _lp_cycles_of(self, x: np.ndarray) -> np.ndarray:
        """The LP's columns (indices) that are cycles of the model solution ``x``, one per cycle."""
        cyc = _registry_cycles(self.lp_batches)
        on = np.zeros(cyc.size, dtype=bool)
        on[cyc >= 0] = x[cyc[cyc >= 0]] > 0.5
        cols = np.flatnonzero(on)
        return np.sort(cols[np.unique(cyc[cols], return_index=True)[1]])

    def _per_vertex(self, score: np.ndarray, k: int, limit: int) -> np.ndarray:
        """Cycles scoring above zero: for each vertex the best ``k`` through it, at most ``limit``.

        Sorted cycle indices; ties are broken by index, so the choice is deterministic.
        """
        if not hasattr(self, "_cyc_entries"):
            V = self.m.A[:self.m.n_vertex_rows, :self.m.n_cycles].tocsr()
            self._cyc_entries = (np.repeat(np.arange(V.shape[0]), np.diff(V.indptr)), V.indices.astype(np.int64))
        ent_row, ent_col = self._cyc_entries
        s = score[ent_col]
        ok = s > 1e-6
        return _top_per_group(ent_row[ok], ent_col[ok], s[ok], k, limit)

    def _per_altruist(self, mat: sparse.csr_matrix, values: np.ndarray) -> sparse.csr_matrix:
        """Of priced chains (chains x arcs), each altruist's best ``CHAIN_PER_ALTRUIST``, at most ``CHAIN_BATCH``."""
        if values.size == 0:
            return mat
        src = self.adj.src[mat.indices]
        gift = self.altruist[src]  # the one arc of each chain that leaves an altruist
        alt = np.empty(mat.shape[0], dtype=np.int64)
        alt[np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))[gift]] = src[gift]
        return mat[_top_per_group(alt, np.arange(values.size), values, CHAIN_PER_ALTRUIST, CHAIN_BATCH)]

    def run_with_fixing(self, rc: np.ndarray | None = None,
                        ub: float | None = None) -> tuple[np.ndarray, float | None, str]:
        """Bound, incumbent, fixing, final MIP; ``rc`` and ``ub`` from an LP solved elsewhere."""
        m = self.m
        ncol = m.cost.size
        if rc is None:
            y, _ = self.lp()
            rc, ub = self.lagrangian(y)
        self.stats["lagrangian_bound"] = ub
        # incumbent: MIP over columns of near-zero reduced cost, heuristics on, time-capped
        t = perf_counter()
        order = np.argsort(-rc, kind="stable")
        k = min(ncol, max(2000, min(INCUMBENT_POOL_MAX, int((rc > -1e-6).sum()) * 3)))
        self.stats["incumbent_pool"] = int(k)
        pool = np.sort(order[:k])
        rounded = getattr(self, "rounded", None)
        tol = 0.999 if self.integral else 1e-6
        if rounded is not None:
            self.stats["rounded"] = self.value(rounded)
            cap = DIVE_SECONDS if self.deadline is None else min(DIVE_SECONDS, 0.4 * self.remaining())
            if self.value(rounded) < ub - tol and not self.past_deadline():
                rounded = self.dives(rounded, rc, ub, cap)
            if (POOL_SECONDS > 0 and self.value(rounded) < ub - tol
                    and (self.deadline is None or self.remaining() >= POOL_MIN_LEFT)):
                cap = POOL_SECONDS if self.deadline is None else min(POOL_SECONDS, 0.5 * self.remaining())
                rounded = self.pool_mip(rounded, cap)
        if rounded is not None and self.value(rounded) >= ub - (0.999 if self.integral else 1e-6):
            self.stats["incumbent"] = self.value(rounded)
            self.stats["time_incumbent"] = perf_counter() - t
            self.stats["fixed_columns"] = ncol
            return rounded, None, "optimal"
        if rounded is not None:
            # the best packing so far: a floor for the incumbent and a start for its MIP
            pool = np.union1d(pool, np.flatnonzero(rounded))
        cap = INCUMBENT_SECONDS if self.deadline is None else min(INCUMBENT_SECONDS, 0.3 * self.remaining())
        if (self.deadline is not None and rounded is not None
                and int((rc >= self.value(rounded) - ub - 1e-6).sum()) > PROOF_MAX_COLUMNS):
            # no proof will be attempted even from this incumbent: the time left is better spent
            # looking for a better one (1,024 pairs K = L = 4: 55,656 -> 55,891 with 30 s)
            cap = 0.8 * self.remaining()
        x_inc = None
        if not self.past_deadline():
            x_inc, _, _ = self.mip(pool, cap, heuristic=True, start=rounded)
        if rounded is not None and (x_inc is None or self.value(x_inc) < self.value(rounded)):
            x_inc = rounded
        if x_inc is None:
            x_inc = np.zeros(ncol)
            if np.any(m.row_lo > 0):
                # side constraints may make the empty clearing infeasible: no incumbent yet
                x_inc = None
        inc = self.value(x_inc) if x_inc is not None else -math.inf
        self.stats["incumbent"] = inc
        self.stats["time_incumbent"] = perf_counter() - t
        if x_inc is not None and inc >= ub - (0.999 if self.integral else 1e-6):
            self.stats["fixed_columns"] = ncol
            return x_inc, None, "optimal"
        if self.deadline is not None and perf_counter() >= self.deadline:
            if x_inc is None:
                return np.zeros(ncol), None, "time_limit"
            return x_inc, ub, "time_limit"
        # reduced-cost fixing
        keep = np.flatnonzero(rc >= inc - ub - 1e-6) if x_inc is not None else np.arange(ncol)
        self.stats["kept_columns"] = int(keep.size)
        if self.deadline is not None and x_inc is not None and keep.size > PROOF_MAX_COLUMNS:
            # HiGHS would not finish; loading and presolving this many columns alone overran
            # the time limit by 15-70 s (2,048 pairs: 794,000 columns)
            return x_inc, ub, "time_limit"
        t = perf_counter()
        x, dual, status = self.mip(keep, self._mip_time(), start=x_inc)
        if x is None or (x_inc is not None and self.value(x) < inc):
            x = x_inc
        self.stats["time_mip"] = perf_counter() - t
        if x is None:
            return np.zeros(ncol), None, "infeasible" if status == "infeasible" else "time_limit"
        if status == "optimal" or status == "infeasible":
            return x, None, "optimal"
        best = self.value(x)
        return x, min(ub, max(best, dual)), "time_limit"


def _registry_cycles(batches: list) -> np.ndarray:
    """For each LP column in order, its cycle index in the model (-1 for a chain)."""
    return np.concatenate([np.concatenate([b[0], np.full(b[1].shape[0], -1)]) for b in batches])


def _registry(batches: list) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray, sparse.csc_matrix]:
    """The LP's columns in order: cycle index (-1 for a chain), the chains, costs, matrix.

    Columns came batch by batch, each batch's cycles then its chains.
    """
    cyc = _registry_cycles(batches)
    chains = sparse.vstack([b[1] for b in batches], format="csr")
    cost = np.concatenate([b[2] for b in batches])
    A = sparse.hstack([b[3] for b in batches], format="csc")
    return cyc, chains, cost, A


def _add_packing_cols(h: highspy.Highs, cost: np.ndarray, A: sparse.csc_matrix) -> None:
    """Add packing-layout columns (from ``packing_columns``, indices sorted) in [0, 1] to ``h``."""
    h.addCols(cost.size, -cost, np.zeros(cost.size), np.ones(cost.size), A.nnz,
              A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32), A.data.astype(np.float64))


def _one_swaps(A: sparse.csc_matrix, cost: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A packing improved by swaps of one column: a column whose rows are free, or free and
    held by one chosen column worth no more (and with more rows, if worth the same), takes
    their place, best gain first, until none is left.

    Run on the pool MIP's start: HiGHS's presolve drops a column dominated by another (a
    subset of its rows, worth at least as much), and a start using it loses its value. This
    does not stop every loss: at 1,024 pairs seed 1,026 presolve still mapped the start to a
    worse one (50,669 -> 50,410), which is why the pool MIP keeps the better of its answer
    and the start.
    """
    x = x.copy()
    n_rows = A.shape[0]
    size = np.diff(A.indptr)
    col_of = np.repeat(np.arange(A.shape[1]), size)
    while True:  # each swap gains value, or loses none and frees rows: this ends
        owner = np.full(n_rows, -1)
        on = np.flatnonzero(x > 0.5)
        held = A[:, on]
        owner[held.indices] = np.repeat(on, np.diff(held.indptr))
        o = owner[A.indices]
        # per column: the one chosen column it overlaps (or -1), and whether there is only one
        hi = np.full(A.shape[1], -1)
        lo = np.full(A.shape[1], A.shape[1])
        np.maximum.at(hi, col_of, o)
        np.minimum.at(lo, col_of, np.where(o >= 0, o, A.shape[1]))
        single = (lo == hi) | (hi == -1)
        other = np.where(hi >= 0, hi, 0)
        gain = cost - np.where(hi >= 0, cost[other], 0.0)
        ok = single & (x < 0.5) & ((gain > 1e-9) | ((gain >= 0) & (gain <= 1e-9) & (hi >= 0) & (size < size[other])))
        if not ok.any():
            break
        j = int(np.flatnonzero(ok)[np.argmax(gain[ok])])
        if hi[j] >= 0:
            x[hi[j]] = 0.0
        x[j] = 1.0
    return x


def _row_key(mat: sparse.csr_matrix, i: int) -> bytes:
    """Row ``i`` of a 0/1 CSR matrix with sorted indices, as a hashable key."""
    return mat.indices[mat.indptr[i]:mat.indptr[i + 1]].astype(np.int64).tobytes()


def _greedy_disjoint(A: sparse.csc_matrix, order: np.ndarray, used: np.ndarray | None = None,
                     limit: int | None = None) -> np.ndarray:
    """Columns of ``A`` taken in ``order`` while they share no row with those taken (or ``used``)."""
    used = np.zeros(A.shape[0], dtype=bool) if used is None else used
    out = []
    for j in order:
        rows = A.indices[A.indptr[j]:A.indptr[j + 1]]
        if used[rows].any():
            continue
        used[rows] = True
        out.append(int(j))
        if limit is not None and len(out) >= limit:
            break
    return np.asarray(out, dtype=np.int64)


def _top_per_group(group: np.ndarray, item: np.ndarray, score: np.ndarray, k: int, limit: int) -> np.ndarray:
    """Items that are among the ``k`` best-scoring of some group, at most ``limit`` best overall.

    ``group``, ``item`` and ``score`` are parallel (an item may sit in several groups).
    Returns sorted unique items; ties go to the lower item index.
    """
    if item.size == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((item, -score, group))
    g = group[order]
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    rank = np.arange(g.size) - np.repeat(first, np.diff(np.r_[first, g.size]))
    chosen = order[rank < k]
    items, at = np.unique(item[chosen], return_index=True)
    if items.size > limit:
        best = score[chosen][at]
        items = np.sort(items[np.lexsort((items, -best))[:limit]])
    return items


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
