"""The clearing engine: a 0/1 programme solved by HiGHS, with a certified bound and a proof when it can.

Both fronts of :mod:`matching` build a :class:`Programme` (maximise ``cost @ x`` subject to
``row_lo <= A @ x <= row_hi``, ``x`` binary) and run an :class:`Engine` on it:

* the kidney-exchange / math-trade front (:func:`matching.solve`): cycles and PICEF chain
  positions of an :class:`~matching.Instance` (:mod:`matching.model`), with a packing-layout
  column generation of its own for large instances (:mod:`matching.packing`);
* the marketplace (:func:`matching.marketplace.match`): rings, gift-chain positions and pairs
  of candidate legs, with credit rows (:mod:`matching.marketplace.columns`).

The pipeline (:meth:`Engine.run`):

1. A small programme goes straight to one MIP (``Options.direct_mip_columns``).
2. The LP relaxation (column generation when there are many columns) and, from its row prices
   ``y``, the **Lagrangian bound** ``row bounds . y + sum(max(0, cost - A.T y))``, valid for any
   prices of the right signs, so the proof never rests on the LP solver's tolerances.
3. An **incumbent**: a packing from the front (its greedy, guided by the LP, or the kidney
   front's dives), improved by local search (:func:`improve`), then a MIP over the columns priced
   near zero, started from it.
4. **Reduced-cost fixing**: a solution worth at least the incumbent ``z`` uses only columns with
   reduced cost ``>= z - UB``; the others are dropped.
5. The **final MIP** over the kept columns, started from the incumbent: its optimum is the
   optimum of the whole programme. Under a time limit its dual bound (capped by ``UB``)
   certifies the gap of the best solution found.

How the engine searches is set by :class:`~matching.options.Options`; what it answers is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import highspy
import numpy as np
from scipy import sparse

from . import highs as hs
from .options import Options


@dataclass
class Programme:
    """Maximise ``cost @ x`` subject to ``row_lo <= A @ x <= row_hi``, ``x`` binary.

    The first ``n_packing_rows`` rows are set-packing rows (0/1 entries, at most 1: a vertex, an
    altruist, a listing); the local search (:func:`improve`) reads clashes from them.
    """

    cost: np.ndarray
    A: sparse.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    n_packing_rows: int

    @property
    def n_cols(self) -> int:
        return int(self.cost.size)


@dataclass(frozen=True)
class Outcome:
    """What :meth:`Engine.solve` found: the columns chosen, their value, a bound and a status.

    ``status`` is ``"optimal"`` (proven), ``"time_limit"`` (stopped by the clock: the best found),
    ``"feasible"`` (too large for branch and bound: the best found, ``Options.mip_max_columns``)
    or ``"infeasible"``. ``bound`` is a proven upper bound on the optimum (the objective when
    optimal; rounded down when every cost is a whole number).
    """

    x: np.ndarray
    objective: float
    bound: float
    status: str


def row_prices(y: np.ndarray, row_lo: np.ndarray, row_hi: np.ndarray) -> tuple[np.ndarray, float]:
    """Row prices given the sign their rows allow, and their part of the Lagrangian bound.

    A price on a row with no upper bound is never positive, on one with no lower bound never
    negative; the part is ``sum(y * upper bound where y > 0, y * lower bound where y < 0)``.
    """
    y = np.asarray(y, dtype=float).copy()
    y[(y > 0) & ~np.isfinite(row_hi)] = 0.0
    y[(y < 0) & ~np.isfinite(row_lo)] = 0.0
    part = np.where(y > 0, y * np.where(np.isfinite(row_hi), row_hi, 0.0),
                    y * np.where(np.isfinite(row_lo), row_lo, 0.0))
    return y, float(part.sum())


def lagrangian(prog: Programme, y: np.ndarray, AT: sparse.csr_matrix | None = None) -> tuple[np.ndarray, float]:
    """Reduced costs and the Lagrangian bound of row prices ``y`` (maximisation signs).

    With ``y`` given the signs its rows allow (:func:`row_prices`), every binary ``x`` within
    the rows is worth at most ``row bounds . y + sum(max(0, cost - A.T y))``, whatever ``y`` is.

    Examples
    --------
    >>> prog = Programme(np.array([3.0, 2.0]), sparse.csc_matrix(np.ones((1, 2))),
    ...                  np.array([-np.inf]), np.array([1.0]), 1)
    >>> lagrangian(prog, np.array([2.5]))
    (array([ 0.5, -0.5]), 3.0)
    """
    y, part = row_prices(y, prog.row_lo, prog.row_hi)
    rc = prog.cost - (prog.A.T @ y if AT is None else AT @ y)
    return rc, part + float(np.maximum(rc, 0.0).sum())


def greedy(prog: Programme, order: np.ndarray, passes: int = 4) -> np.ndarray:
    """A feasible packing: the columns of ``order`` taken in turn when every row stays within bounds.

    Rejected columns are tried again in up to ``passes`` passes (a row with a lower bound, such
    as a chain's flow, may admit a column once another is in). O(passes * nonzeros).
    """
    x = np.zeros(prog.n_cols)
    A = prog.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    lo, hi = prog.row_lo.tolist(), prog.row_hi.tolist()
    act = [0.0] * A.shape[0]
    left = np.asarray(order).tolist()
    for _ in range(passes):
        rejected = []
        for j in left:
            ok = True
            for k in range(indptr[j], indptr[j + 1]):
                v = act[indices[k]] + data[k]
                if v > hi[indices[k]] + 1e-9 or v < lo[indices[k]] - 1e-9:
                    ok = False
                    break
            if ok:
                for k in range(indptr[j], indptr[j + 1]):
                    act[indices[k]] += data[k]
                x[j] = 1.0
            else:
                rejected.append(j)
        if len(rejected) == len(left):
            break
        left = rejected
    return x


def improve(prog: Programme, x: np.ndarray, order: np.ndarray, passes: int = 3) -> np.ndarray:
    """Local search from a feasible packing: a column replaces the columns it clashes with, when that gains.

    For each column of ``order`` not in the packing, the chosen columns sharing a packing row
    with it are taken out and it is put in, if it is worth more than they are and every row
    stays within bounds; up to ``passes`` passes, until one changes nothing. Returns a feasible
    packing worth at least ``x`` (``x`` itself is not changed).
    """
    A = prog.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    hi, lo = prog.row_hi.tolist(), prog.row_lo.tolist()
    cost = prog.cost.tolist()
    n_pack = prog.n_packing_rows
    x = x.copy()
    act = (A @ x).tolist()
    owner = [-1] * n_pack                    # the chosen column holding each packing row
    for j in np.flatnonzero(x > 0.5).tolist():
        for k in range(indptr[j], indptr[j + 1]):
            if indices[k] < n_pack:
                owner[indices[k]] = j
    todo = np.asarray(order).tolist()
    for _ in range(passes):
        changed = False
        for j in todo:
            if x[j] > 0.5:
                continue
            out = {owner[indices[k]] for k in range(indptr[j], indptr[j + 1])
                   if indices[k] < n_pack and owner[indices[k]] >= 0}
            if cost[j] <= sum(cost[i] for i in out):
                continue
            delta: dict[int, float] = {}
            for i in out:
                for k in range(indptr[i], indptr[i + 1]):
                    delta[indices[k]] = delta.get(indices[k], 0.0) - data[k]
            for k in range(indptr[j], indptr[j + 1]):
                delta[indices[k]] = delta.get(indices[k], 0.0) + data[k]
            if any(act[r] + d > hi[r] + 1e-9 or act[r] + d < lo[r] - 1e-9 for r, d in delta.items()):
                continue
            for r, d in delta.items():
                act[r] += d
            for i in out:
                x[i] = 0.0
                for k in range(indptr[i], indptr[i + 1]):
                    if indices[k] < n_pack and owner[indices[k]] == i:
                        owner[indices[k]] = -1
            x[j] = 1.0
            for k in range(indptr[j], indptr[j + 1]):
                if indices[k] < n_pack:
                    owner[indices[k]] = j
            changed = True
        if not changed:
            break
    return x


class Engine:
    """Bound, incumbent, fixing and final MIP over one :class:`Programme` (see the module docstring).

    A front adapts it by overriding :meth:`first_packing` (a feasible packing before any LP),
    :meth:`lp_packing` (one guided by the LP's solution) and :meth:`simple_bound` (a bound
    that needs no LP).
    """

    def __init__(self, prog: Programme, options: Options, *, deadline: float | None = None,
                 stats: dict[str, Any] | None = None) -> None:
        self.prog = prog
        self.options = options
        self.deadline = deadline
        self.stats: dict[str, Any] = {} if stats is None else stats
        self.AT = prog.A.T.tocsr()
        self.integral = bool(np.all(np.abs(prog.cost - np.round(prog.cost)) < 1e-9))
        # a solution this close to a bound is proven optimal (whole-number costs: under 1 point)
        self.tol = 0.999 if self.integral else 1e-6
        self.t_incumbent = perf_counter()

    # hooks for the fronts -----------------------------------------------------------------

    def first_packing(self) -> np.ndarray | None:
        """A feasible packing to start from, before any LP (none by default)."""
        return None

    def lp_packing(self, x_lp: np.ndarray) -> np.ndarray | None:
        """A feasible packing guided by the LP's solution ``x_lp`` (none by default)."""
        return None

    def simple_bound(self) -> float:
        """A bound that needs no LP (every column at its best); no answer's bound is above it."""
        return float(np.maximum(self.prog.cost, 0.0).sum())

    # helpers -------------------------------------------------------------------------------

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(self.deadline - perf_counter(), 0.01)

    def past_deadline(self) -> bool:
        return self.deadline is not None and perf_counter() >= self.deadline

    def value(self, x: np.ndarray) -> float:
        return float(self.prog.cost @ x)

    def better(self, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        """The better of two packings (either may be None); ``b`` on a tie."""
        if b is not None and (a is None or self.value(b) >= self.value(a)):
            return b
        return a

    def highs(self) -> highspy.Highs:
        o = self.options
        return hs.new_highs(seed=o.seed, threads=o.threads, log=o.log)

    def lagrangian(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        return lagrangian(self.prog, y, self.AT)

    def mip(self, cols: np.ndarray, time_cap: float | None, start: np.ndarray | None = None,
            heuristic: bool = False, max_nodes: int | None = None) -> tuple[np.ndarray | None, float, str]:
        """The MIP over ``cols``: (x over all columns or None, dual bound, status).

        With ``heuristic=False`` HiGHS's primal heuristics are off: the caller already holds a
        good incumbent, and the sub-MIPs alone took a large share of the final MIP's time.
        """
        h = self.highs()
        hs.load(h, self.prog, cols, integer=True)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.999 if self.integral else 1e-6)
        if time_cap is not None:
            h.setOptionValue("time_limit", max(float(time_cap), 0.01))
        if max_nodes is not None:
            h.setOptionValue("mip_max_nodes", int(max_nodes))
        if not heuristic:
            h.setOptionValue("mip_heuristic_effort", 0.0)
            for name in ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
                         "mip_heuristic_run_root_reduced_cost", "mip_heuristic_run_feasibility_jump"):
                h.setOptionValue(name, False)
        if start is not None:
            hs.set_start(h, start[cols])
        h.run()
        status, info = h.getModelStatus(), h.getInfo()
        dual = -float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else math.inf
        self.stats["mip_nodes"] = self.stats.get("mip_nodes", 0) + int(info.mip_node_count)
        x = None
        if info.primal_solution_status == 2:  # feasible
            x = np.zeros(self.prog.n_cols)
            x[cols] = np.round(np.asarray(h.getSolution().col_value))
        if status == highspy.HighsModelStatus.kOptimal:
            return x, dual, "optimal"
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kObjectiveBound):
            return x, dual, "infeasible"
        return x, dual, "time_limit"

    # the pipeline --------------------------------------------------------------------------

    def solve(self) -> Outcome:
        """Run the pipeline and say what was found, with its bound rounded down when it can be."""
        x, bound, status = self.run()
        objective = self.value(x)
        if status == "infeasible":
            return Outcome(x, objective, -math.inf, status)
        bound = objective if bound is None else min(float(bound), self.simple_bound())
        if self.integral:
            bound = math.floor(bound + 1e-6)
        if bound <= objective + 1e-9:
            bound, status = objective, "optimal"
        return Outcome(x, objective, bound, status)

    def run(self) -> tuple[np.ndarray, float | None, str]:
        """(columns chosen, bound or None when proven, status)."""
        prog = self.prog
        n = prog.n_cols
        if n == 0:
            feasible = np.all(prog.row_lo <= 0) and np.all(prog.row_hi >= 0)
            return np.zeros(0), None, "optimal" if feasible else "infeasible"
        self.t_incumbent = perf_counter()
        start = self.first_packing()
        if start is not None:
            self.stats["greedy"] = self.value(start)
        if start is not None and self.past_deadline():
            return start, self.simple_bound(), "time_limit"
        if n <= self.options.direct_mip_columns:
            return self.direct_mip(start)
        lp = self.lp()
        if lp is None:  # no prices in time
            return (start if start is not None else np.zeros(n)), self.simple_bound(), "time_limit"
        y, x_lp = lp
        rc, ub = self.lagrangian(y)
        best = self.better(self.lp_packing(x_lp), start)
        if best is not None:
            near = np.flatnonzero((x_lp > 1e-3) | (rc > -self.options.improve_window))
            best = improve(prog, best, near[np.lexsort((near, -rc[near], -np.round(x_lp[near], 3)))])
            self.stats["improved"] = self.value(best)
        return self.finish(rc, ub, best, support=np.flatnonzero(x_lp > 1e-3))

    def direct_mip(self, start: np.ndarray | None) -> tuple[np.ndarray, float | None, str]:
        t = perf_counter()
        x, dual, status = self.mip(np.arange(self.prog.n_cols), self.remaining(), start=start, heuristic=True)
        self.stats["time_mip"] = perf_counter() - t
        x = self.better(x, start)  # the start on a tie: HiGHS's presolve may map it to an equal one
        if x is None:
            return np.zeros(self.prog.n_cols), None, "infeasible" if status != "time_limit" else "time_limit"
        return x, (None if status == "optimal" else dual), status

    def lp(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The LP relaxation by column generation: (row prices, LP solution), or None if no
        prices were found before the deadline."""
        prog, o = self.prog, self.options
        n = prog.n_cols
        t = perf_counter()
        if n <= o.cg_initial_columns:
            active = np.arange(n)
        else:  # start from the best columns per unit of capacity they use
            per = prog.cost / np.maximum(np.diff(prog.A.indptr), 1)
            active = np.sort(np.argsort(-per, kind="stable")[:o.cg_initial_columns])
        h = self.highs()
        hs.load(h, prog, active, integer=False)
        h.setOptionValue("solver", o.lp_method)
        if o.lp_method == "ipm":
            h.setOptionValue("run_crossover", "on" if o.lp_crossover else "off")
            if o.ipm_tolerance is not None:
                h.setOptionValue("ipm_optimality_tolerance", float(o.ipm_tolerance))
        if not o.lp_presolve:
            h.setOptionValue("presolve", "off")
        in_lp = np.zeros(n, dtype=bool)
        in_lp[active] = True
        cols = active
        rounds = 0
        while True:
            rounds += 1
            if self.deadline is not None:
                # HiGHS counts time_limit from the creation of the object, not per run
                h.setOptionValue("time_limit", h.getRunTime() + float(self.remaining()))
            h.run()
            sol = h.getSolution()
            if not sol.dual_valid:
                break
            y = -np.asarray(sol.row_dual)
            rc = prog.cost - self.AT @ y
            rc[in_lp] = 0.0
            cand = np.flatnonzero(rc > 1e-7)
            if cand.size == 0 or self.past_deadline():
                break
            if cand.size > o.cg_batch:
                cand = np.sort(cand[np.argsort(-rc[cand], kind="stable")[:o.cg_batch]])
            hs.add_cols(h, prog, cand, integer=False)
            in_lp[cand] = True
            cols = np.concatenate([cols, cand])
        self.stats.update(lp_rounds=rounds, lp_columns=int(in_lp.sum()), time_lp=perf_counter() - t,
                          lp_status=h.modelStatusToString(h.getModelStatus()))
        if not sol.dual_valid or not sol.value_valid:
            return None
        self.stats["lp_value"] = -float(h.getInfo().objective_function_value)
        x = np.zeros(n)
        x[cols] = np.asarray(sol.col_value)
        return -np.asarray(sol.row_dual), x

    def finish(self, rc: np.ndarray, ub: float, best: np.ndarray | None,
               support: np.ndarray | None = None) -> tuple[np.ndarray, float | None, str]:
        """Steps 3-5 from the LP's reduced costs ``rc`` and bound ``ub``, and the best packing so far."""
        self.stats["lagrangian_bound"] = ub
        if best is not None and self.value(best) >= ub - self.tol:
            self.stats["incumbent"] = self.value(best)
            self.stats["time_incumbent"] = perf_counter() - self.t_incumbent
            self.stats["fixed_columns"] = self.prog.n_cols
            return best, None, "optimal"
        x_inc = self.incumbent_mip(rc, ub, best, support)
        return self.prove(rc, ub, x_inc)

    def incumbent_mip(self, rc: np.ndarray, ub: float, best: np.ndarray | None,
                      support: np.ndarray | None) -> np.ndarray | None:
        """A MIP over the columns priced near zero, the LP's support and the best packing's
        columns, heuristics on, started from the best packing; the better of its answer and it."""
        o, n = self.options, self.prog.n_cols
        k = min(n, max(o.incumbent_pool_min, min(o.incumbent_pool_max, int((rc > -1e-6).sum()) * 3)))
        pool = np.sort(np.argsort(-rc, kind="stable")[:k])
        for extra in (support, None if best is None else np.flatnonzero(best)):
            if extra is not None:
                pool = np.union1d(pool, extra)
        self.stats["incumbent_pool"] = int(pool.size)
        cap = o.incumbent_seconds
        if self.deadline is not None:
            share = o.incumbent_share * self.remaining()
            cap = share if cap is None else min(cap, share)
            if best is not None and int((rc >= self.value(best) - ub - 1e-6).sum()) > o.proof_max_columns:
                # no proof will be attempted even from this packing: the time is better spent
                # looking for a better one
                cap = 0.8 * self.remaining()
        if self.deadline is None and best is not None and not o.incumbent_before_proof:
            kept = int((rc >= self.value(best) - ub - 1e-6).sum())
            if o.mip_max_columns is None or kept <= o.mip_max_columns:
                return best  # the final MIP takes every column fixing would keep anyway
        x = None
        if not self.past_deadline() and pool.size:
            x, _, _ = self.mip(pool, cap, start=best, heuristic=True, max_nodes=o.incumbent_nodes)
        x = self.better(best, x)
        if x is None and np.all(self.prog.row_lo <= 0):
            x = np.zeros(n)  # the empty packing (not always feasible: rows with lower bounds)
        return x

    def prove(self, rc: np.ndarray, ub: float, x_inc: np.ndarray | None) -> tuple[np.ndarray, float | None, str]:
        """Reduced-cost fixing from the incumbent, then the final MIP over the columns kept."""
        o, n = self.options, self.prog.n_cols
        inc = self.value(x_inc) if x_inc is not None else -math.inf
        self.stats["incumbent"] = inc
        self.stats["time_incumbent"] = perf_counter() - self.t_incumbent
        if x_inc is not None and inc >= ub - self.tol:
            self.stats["fixed_columns"] = n
            return x_inc, None, "optimal"
        if self.past_deadline():
            return (np.zeros(n), None, "time_limit") if x_inc is None else (x_inc, ub, "time_limit")
        keep = np.flatnonzero(rc >= inc - ub - 1e-6) if x_inc is not None else np.arange(n)
        self.stats["kept_columns"] = int(keep.size)
        if x_inc is not None:
            if self.deadline is not None and keep.size > o.proof_max_columns:
                return x_inc, ub, "time_limit"
            if o.mip_max_columns is not None and keep.size > o.mip_max_columns:
                return x_inc, ub, "feasible"
        t = perf_counter()
        left = self.remaining()
        cap = None if left is None else max(o.final_mip_share * left - o.final_mip_reserve, 0.01)
        x, dual, status = self.mip(keep, cap, start=x_inc, heuristic=o.final_mip_heuristics)
        self.stats["time_mip"] = perf_counter() - t
        x = self.better(x_inc, x)
        if x is None:
            return np.zeros(n), None, "infeasible" if status == "infeasible" else "time_limit"
        if status in ("optimal", "infeasible"):  # infeasible: nothing beats the incumbent
            return x, None, "optimal"
        return x, min(ub, max(self.value(x), dual)), "time_limit"
