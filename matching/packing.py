"""The kidney front's own LP and incumbent for large instances: the packing layout.

With a cycle limit and chains, the programme of :mod:`matching.model` has PICEF position rows
(``L - 1`` per vertex) that the LP does not need. :class:`PackingEngine` solves the LP in the
*packing layout* instead: rows are only the vertices, the altruists and the side constraints,
and a chain is one whole column (it uses its altruist and every vertex it reaches). Column
generation prices every enumerated cycle with one sparse product and chains by dynamic
programming over the arcs (:func:`~matching.cycles.chain_paths`).

From the LP it builds the incumbent: the LP rounded greedily, then dives (fix the largest LP
columns, re-solve, price over the vertices still free, repeat until integral; later dives start
around the best packing so far), a MIP over the dives' columns, and a pool MIP over the cycles
and chains priced closest to zero. Then the engine's own steps follow (:meth:`Engine.finish`):
the incumbent MIP, reduced-cost fixing (a PICEF column is scored by the best chain through it)
and the final MIP over the programme's columns.
"""

from __future__ import annotations

import math
from time import perf_counter
from typing import Any

import highspy
import numpy as np
from scipy import sparse

from . import highs as hs
from .cycles import Adjacency, chain_bounds, chain_paths
from .engine import Engine, row_prices
from .model import Model, packing_columns, packing_rows
from .options import Options

#: One batch of packing-layout columns: (cycle indices, chains x arcs, costs, rows x columns).
Batch = tuple[np.ndarray, sparse.csr_matrix, np.ndarray, sparse.csc_matrix]


class PackingEngine(Engine):
    """The engine with the packing-layout LP, dives and pool MIP of the kidney front."""

    def __init__(self, model: Model, options: Options, *, deadline: float | None, stats: dict[str, Any],
                 adj: Adjacency, altruist: np.ndarray, max_chain: int) -> None:
        super().__init__(model, options, deadline=deadline, stats=stats)
        self.m = model
        self.adj = adj
        self.altruist = altruist
        self.max_chain = max_chain
        self.pack_rows = packing_rows(model)
        self.AT_cyc = model.A[:, :model.n_cycles].T.tocsr()
        V = model.A[:model.n_vertex_rows, :model.n_cycles].tocsr()       # vertex rows x cycles
        self.cycle_vertices = V.T.tocsr()
        self.cycle_entries = (np.repeat(np.arange(V.shape[0]), np.diff(V.indptr)), V.indices.astype(np.int64))
        self.rng = np.random.default_rng(options.seed)
        # the LP, kept for the dives: its HiGHS object, its columns batch by batch, its cycles
        self.lp_h: highspy.Highs | None = None
        self.lp_batches: list[Batch] = []
        self.lp_cycles = np.zeros(model.n_cycles, dtype=bool)
        self.lp_y = np.zeros(self.pack_rows.size)
        self.rounded: np.ndarray | None = None

    def run(self) -> tuple[np.ndarray, float | None, str]:
        """LP in the packing layout, incumbent, then the engine's fixing and final MIP."""
        self.stats["method"] = "cycle formulation + PICEF, LP with chains priced by dynamic programming"
        y, ub = self.packing_lp()
        if self.past_deadline() and self.rounded is not None:
            # no time left for pricing every column (3 s at 24 million): the LP rounded
            self.stats["rounded"] = self.stats["incumbent"] = self.value(self.rounded)
            return self.rounded, ub, "time_limit"
        self.lp_y = y
        rc = self.reduced_costs(y)
        self.t_incumbent = perf_counter()
        return self.finish(rc, ub, self.heuristics(rc, ub))

    def heuristics(self, rc: np.ndarray, ub: float) -> np.ndarray | None:
        """The LP rounded, then the dives and the pool MIP while they can still gain."""
        o, best = self.options, self.rounded
        if best is None:
            return None
        self.stats["rounded"] = self.value(best)
        if self.value(best) < ub - self.tol and not self.past_deadline():
            cap = o.dive_seconds if self.deadline is None else min(o.dive_seconds, 0.4 * self.remaining())
            best = self.dives(best, rc, ub, cap)
        if (o.pool_seconds > 0 and self.value(best) < ub - self.tol
                and (self.deadline is None or self.remaining() >= o.pool_min_left)):
            cap = o.pool_seconds if self.deadline is None else min(o.pool_seconds, 0.5 * self.remaining())
            best = self.pool_mip(best, cap)
        return best

    # prices ------------------------------------------------------------------------------------

    def _prices(self, y_pack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Packing duals -> (sign-fixed row prices, cycle reduced costs, arc values, row part of UB)."""
        m = self.m
        y, row_part = row_prices(y_pack, m.row_lo[self.pack_rows], m.row_hi[self.pack_rows])
        y_full = np.zeros(m.A.shape[0])
        y_full[self.pack_rows] = y
        rc_cyc = m.cost[:m.n_cycles] - self.AT_cyc @ y_full
        arc_value = m.arc_weight - np.where(m.arc_in_row >= 0, y_full[np.maximum(m.arc_in_row, 0)], 0.0)
        if m.side_arcs is not None:
            arc_value = arc_value - m.side_arcs.T @ y[m.n_packing_rows:]
        return y, rc_cyc, arc_value, row_part

    def reduced_costs(self, y: np.ndarray) -> np.ndarray:
        """Packing row prices -> a reduced cost for every model column (PICEF columns: the
        best chain through them, see ``_picef_scores``)."""
        _, rc_cyc, arc_value, _ = self._prices(y)
        return np.concatenate([rc_cyc, self._picef_scores(arc_value, self._start_value(y))])

    def _start_value(self, y: np.ndarray) -> np.ndarray:
        """Value of starting a chain at each vertex: minus its altruist row price."""
        start = np.zeros(self.adj.n)
        alts = np.flatnonzero(self.altruist)
        start[alts] = -y[self.m.n_vertex_rows + np.arange(alts.size)]
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
            sel = inner if p > 1 else self.altruist[adj.src]
            np.maximum.at(best, adj.dst[sel], reach[-1][adj.src[sel]] + arc_value[sel])
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

    def _per_vertex(self, score: np.ndarray, k: int, limit: int) -> np.ndarray:
        """Cycles scoring above zero: for each vertex the best ``k`` through it, at most ``limit``.

        Sorted cycle indices; ties are broken by index, so the choice is deterministic.
        """
        ent_row, ent_col = self.cycle_entries
        s = score[ent_col]
        ok = s > 1e-6
        return _top_per_group(ent_row[ok], ent_col[ok], s[ok], k, limit)

    def _per_altruist(self, mat: sparse.csr_matrix, values: np.ndarray) -> sparse.csr_matrix:
        """Of priced chains (chains x arcs), each altruist's best ``chain_per_altruist``, at most ``chain_batch``."""
        if values.size == 0:
            return mat
        src = self.adj.src[mat.indices]
        gift = self.altruist[src]  # the one arc of each chain that leaves an altruist
        alt = np.empty(mat.shape[0], dtype=np.int64)
        alt[np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))[gift]] = src[gift]
        o = self.options
        return mat[_top_per_group(alt, np.arange(values.size), values, o.chain_per_altruist, o.chain_batch)]

    def _priced(self, rc_cyc: np.ndarray, arc_value: np.ndarray, start: np.ndarray,
                 exhaustive: bool = True) -> tuple[np.ndarray, sparse.csr_matrix]:
        """The cycles and chains to add in a round: each vertex's and altruist's best that price
        positive. ``exhaustive``: if capped chain pricing found none, price them uncapped."""
        o = self.options
        cyc = self._per_vertex(rc_cyc, o.cg_per_vertex, o.cg_batch)
        chains = self._chains(arc_value, start, 1e-6, cap=o.chain_cap)
        if exhaustive and chains[0].shape[0] == 0 and chains[2]:
            chains = self._chains(arc_value, start, 1e-6)
        return cyc, self._per_altruist(chains[0], chains[1])

    # the LP ------------------------------------------------------------------------------------

    def _packing_highs(self) -> highspy.Highs:
        """A HiGHS model with the packing layout's rows (vertices, altruists, side) and no columns."""
        h = self.highs()
        hs.add_rows(h, self.m.row_lo[self.pack_rows], self.m.row_hi[self.pack_rows])
        h.setOptionValue("solver", self.options.packing_lp_method)
        return h

    def _add_batch(self, h: highspy.Highs, cyc: np.ndarray, chains: sparse.csr_matrix) -> Batch:
        """Add cycles and whole chains to the LP ``h`` as packing-layout columns; their batch."""
        cost, A, _ = packing_columns(self.m, cyc, chains)
        A.sort_indices()
        hs.add_columns(h, cost, A)
        self.lp_batches.append((cyc, chains, cost, A))
        self.lp_cycles[cyc] = True
        return self.lp_batches[-1]

    def packing_lp(self) -> tuple[np.ndarray, float]:
        """Column generation over cycles and whole chains; returns packing row prices and UB."""
        m, o = self.m, self.options
        t = perf_counter()
        h = self.lp_h = self._packing_highs()
        y = np.zeros(self.pack_rows.size)
        _, _, arc_value, _ = self._prices(y)
        cyc = self._per_vertex(m.cost[:m.n_cycles], o.cg_initial_per_vertex, o.cg_initial_columns)
        chains = self._chains(arc_value, self._start_value(y), 1e-6, cap=o.chain_cap)
        new_chains = self._per_altruist(chains[0], chains[1])
        rounds, n_chains, best_ub, best_y = 0, 0, math.inf, y
        round_seconds: list[float] = []
        while True:
            rounds += 1
            if cyc.size or new_chains.shape[0]:
                self._add_batch(h, cyc, new_chains)
                n_chains += new_chains.shape[0]
            if self.deadline is not None:
                # HiGHS counts time_limit from the creation of the object, not per run
                h.setOptionValue("time_limit", h.getRunTime() + float(self.remaining()))
            t_run = perf_counter()
            h.run()
            round_seconds.append(round(perf_counter() - t_run, 3))
            y, rc_cyc, arc_value, row_part = self._prices(-np.asarray(h.getSolution().row_dual))
            start = self._start_value(y)
            ub = row_part + float(np.maximum(rc_cyc, 0.0).sum()) + self._chain_bound(arc_value, start)
            if ub < best_ub:
                best_ub, best_y = ub, y
            if self.past_deadline():
                break
            rc_cyc[self.lp_cycles] = 0.0
            cyc, new_chains = self._priced(rc_cyc, arc_value, start)
            if cyc.size == 0 and new_chains.shape[0] == 0:
                break
        self.stats.update(lp_rounds=rounds, lp_round_seconds=round_seconds,  # HiGHS's time for each round
                          lp_columns=int(self.lp_cycles.sum()) + n_chains,
                          lp_value=-float(h.getInfo().objective_function_value), time_lp=perf_counter() - t)
        self.rounded = self._round(np.asarray(h.getSolution().col_value))
        return best_y, best_ub

    # from packing columns to model columns ---------------------------------------------------

    def _round(self, x: np.ndarray) -> np.ndarray | None:
        """A solution over the model's columns from the LP's: largest value first, if disjoint.

        Cycles and whole chains are taken greedily while they share no vertex
        or altruist; a chain is written as its PICEF columns. None with side
        constraints (the greedy does not check them).
        """
        if self.m.side_arcs is not None or not self.lp_batches:
            return None
        cyc, chains, cost, A = _registry(self.lp_batches)
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

    def _lp_cycles_of(self, x: np.ndarray) -> np.ndarray:
        """The LP's columns (indices) that are cycles of the model solution ``x``, one per cycle."""
        cyc = _registry_cycles(self.lp_batches)
        on = np.zeros(cyc.size, dtype=bool)
        on[cyc >= 0] = x[cyc[cyc >= 0]] > 0.5
        cols = np.flatnonzero(on)
        return np.sort(cols[np.unique(cyc[cols], return_index=True)[1]])

    # dives -------------------------------------------------------------------------------------

    def dive(self, time_cap: float, share: float = 0.0, fixed: np.ndarray | None = None,
             floor: float | None = None) -> np.ndarray | None:
        """An incumbent by diving on the LP with column generation at every step.

        From the LP optimum: fix to 1 every column at 1 and the largest fractional columns
        (``dive_fix``, or the share ``share`` of the fractional ones if more) that share no
        vertex, re-solve, price cycles and chains over the vertices still free and add the
        best, and repeat until the LP is integral. Past ``time_cap`` the columns fixed so far
        are completed greedily. The columns it adds stay in the LP (``lp_batches``) and every
        bound is freed again at the end, so the next dive starts from the LP. With ``fixed``
        (LP column indices) those columns are fixed first and the dive goes on from there;
        with ``floor`` it is abandoned (None) once its LP falls to ``floor``. Model columns,
        or None with side constraints.
        """
        if self.m.side_arcs is not None or self.lp_h is None or not self.lp_batches:
            return None
        t_end = perf_counter() + time_cap
        h = self.lp_h
        if self.deadline is not None:
            h.setOptionValue("time_limit", h.getRunTime() + max(time_cap, 0.01))
        if fixed is None and h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # the LP again, with the columns earlier dives added (freeing their bounds reset the
            # status; right after ``packing_lp`` it is still solved)
            h.run()
        covered = np.zeros(self.pack_rows.size, dtype=bool)       # rows taken by fixed columns
        steps, pruned = 0, False
        while True:
            cost = np.concatenate([b[2] for b in self.lp_batches])
            A = sparse.hstack([b[3] for b in self.lp_batches], format="csc")
            if fixed is not None:
                # around a packing: its kept cycles are fixed before anything is solved
                pick, fixed = np.asarray(fixed, dtype=np.int32), None
            else:
                solved = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
                if steps and floor is not None and (not solved or -h.getInfo().objective_function_value <= floor + 0.5):
                    pruned = True  # this dive will not beat ``floor``
                    break
                x = np.asarray(h.getSolution().col_value)
                frac = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
                if not solved or perf_counter() > t_end or frac.size == 0:
                    break
                # every column at 1, and the largest fractional ones that share no vertex
                order = frac[np.lexsort((frac, -cost[frac], -x[frac]))]
                pick = _greedy_disjoint(A, order, covered.copy(), max(self.options.dive_fix, int(share * frac.size)))
                pick = np.union1d(pick, np.flatnonzero(x >= 1 - 1e-6)).astype(np.int32)
            steps += 1
            h.changeColsBounds(pick.size, pick, np.ones(pick.size), np.ones(pick.size))
            covered[A[:, pick].indices] = True
            h.run()
            self._dive_price(h, covered)
        return self._dive_end(h, steps, pruned)

    def _dive_price(self, h: highspy.Highs, covered: np.ndarray) -> None:
        """Price cycles and chains over the vertices still free, add the best, re-solve."""
        m = self.m
        y, rc_cyc, arc_value, _ = self._prices(-np.asarray(h.getSolution().row_dual))
        start = self._start_value(y)
        rc_cyc[(self.cycle_vertices @ covered[:m.n_vertex_rows].astype(float)) > 0] = -np.inf
        rc_cyc[self.lp_cycles] = -np.inf  # already columns (within the solver's tolerance)
        taken = covered[:m.n_packing_rows]
        arc_value = arc_value.copy()
        for row in (m.arc_in_row, m.arc_alt_row):
            arc_value[(row >= 0) & taken[np.maximum(row, 0)]] = -np.inf
        cyc, chains = self._priced(rc_cyc, arc_value, start, exhaustive=False)
        if cyc.size or chains.shape[0]:
            self._add_batch(h, cyc, chains)
            h.run()

    def _dive_end(self, h: highspy.Highs, steps: int, pruned: bool) -> np.ndarray | None:
        """The dive's packing (None if abandoned), with every LP column freed again."""
        n = h.getNumCol()
        unsolved = not steps and h.getModelStatus() != highspy.HighsModelStatus.kOptimal
        out = None
        if pruned:
            self.stats["dives_pruned"] = self.stats.get("dives_pruned", 0) + 1
        elif not unsolved:  # (out of time before its first step, the LP unsolved: nothing to round)
            cyc, chains, cost, A = _registry(self.lp_batches)
            x = np.asarray(h.getSolution().col_value)
            if x.size < cost.size:
                x = np.zeros(cost.size)
            # the columns at 1, then the rest greedily by LP value (all of it, if the dive ended early)
            order = np.lexsort((np.arange(cost.size), -cost, -np.round(x, 6)))
            out = self._model_x(_greedy_disjoint(A, order[x[order] > 1e-9]), cyc, chains)
            self.stats["dive_steps"] = self.stats.get("dive_steps", 0) + steps
        h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), np.ones(n))
        return out

    def dives(self, best: np.ndarray, rc: np.ndarray, ub: float, cap: float) -> np.ndarray:
        """Several dives, then a MIP over the union of their columns.

        The first ``dive_plain`` dives start from the LP (``dive_shares`` in turn); after
        them, every other dive keeps a random ``dive_keep`` of the best packing's cycles fixed
        and dives on the rest. Every dive but the first is abandoned once its LP cannot beat
        the best packing so far.

        Returns the best packing found (``best`` if nothing beats it). The dives get ``cap``
        seconds; under a time limit, once the best packing so far would leave more columns
        than a proof can take (``proof_max_columns`` after fixing), the dives go on until
        close to the deadline, since no final MIP will need the time.
        """
        o = self.options
        if self.m.side_arcs is not None or not self.lp_batches:
            return best
        t0 = perf_counter()
        t_end = t0 + cap
        found: list[np.ndarray] = []
        for i in range(o.dive_max):
            left = t_end - perf_counter()
            if left <= 0:
                break
            floor = self.value(best) if found else None
            if i >= o.dive_plain and i % 2 == 0:
                # around the best so far: keep a random share of its cycles, dive on the rest
                keep = self._lp_cycles_of(best)
                x = self.dive(left, o.dive_shares[0], fixed=keep[self.rng.random(keep.size) < o.dive_keep],
                              floor=floor)
                self.stats.setdefault("dives_guided", []).append(None if x is None else self.value(x))
            else:
                x = self.dive(left, o.dive_shares[i % len(o.dive_shares)], floor=floor)
            if x is None:
                continue
            found.append(x)
            if self.value(x) > self.value(best):
                best = x
            if self.value(best) >= ub - self.tol:
                break
            if self.deadline is not None and int((rc >= self.value(best) - ub - 1e-6).sum()) > o.proof_max_columns:
                t_end = max(t_end, self.deadline - max(2.0, 0.15 * (self.deadline - t0)))
        self.stats["time_dive"] = perf_counter() - t0
        if not found:
            return best
        self.stats["dives"] = [self.value(x) for x in found]
        self.stats["dive"] = max(self.stats["dives"])
        if len(found) > 1 and self.value(best) < ub - self.tol and not self.past_deadline():
            # the dives' columns together: a small MIP can combine their parts
            union = np.flatnonzero(np.sum(found, axis=0))
            t = perf_counter()
            cap = o.merge_seconds if self.deadline is None else min(o.merge_seconds, 0.5 * self.remaining())
            x, _, _ = self.mip(union, cap, heuristic=True, start=best)
            self.stats["time_merge"] = perf_counter() - t
            if x is not None:
                self.stats["merge"] = self.value(x)
                if self.value(x) > self.value(best):
                    best = x
        return best

    # the pool MIP ------------------------------------------------------------------------------

    def pool_mip(self, best: np.ndarray, cap: float) -> np.ndarray:
        """A MIP over cycles and whole chains priced near zero, started from ``best`` (see
        ``Options.pool_columns``); returns the better of its answer and ``best``."""
        m = self.m
        if m.side_arcs is not None:
            return best  # the swaps and the packing layout's rows know no side constraints
        t = perf_counter()
        cyc, chains, window, best_cyc, n_best_chains = self._pool(best)
        cost, A, _ = packing_columns(m, cyc, chains)
        A.sort_indices()
        h = self._packing_highs()
        hs.add_columns(h, cost, A)
        hs.set_integer(h, True)
        h.setOptionValue("time_limit", float(cap))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.999 if self.integral else 1e-6)
        start = np.zeros(cost.size)  # the best packing: its cycles, and its chains, which go last
        start[np.searchsorted(cyc, best_cyc)] = 1.0
        start[cost.size - n_best_chains:] = 1.0
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

    def _pool(self, best: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix, float, np.ndarray, int]:
        """The pool MIP's columns: cycles (with the best packing's) and chains (the best packing's
        last, once) priced within the widest window that fits ``pool_columns``; that window; the
        best packing's cycles and number of chains."""
        o = self.options
        y, rc_cyc, arc_value, _ = self._prices(self.lp_y)
        chains, values, _ = self._chains(arc_value, self._start_value(y), -o.pool_window, cap=o.chain_cap)
        scores = np.sort(np.concatenate([rc_cyc[rc_cyc >= -o.pool_window], values]))[::-1]
        window = o.pool_window if scores.size <= o.pool_columns else -float(scores[o.pool_columns - 1])
        best_cyc, best_chains = self._packing_of(best)
        cyc = np.union1d(np.flatnonzero(rc_cyc >= -window - 1e-6), best_cyc)
        chains = chains[np.flatnonzero(values >= -window - 1e-6)]
        # not also as a priced copy: no parallel columns
        theirs = {_row_key(best_chains, i) for i in range(best_chains.shape[0])}
        chains = chains[[i for i in range(chains.shape[0]) if _row_key(chains, i) not in theirs]]
        return cyc, sparse.vstack([chains, best_chains], format="csr"), window, best_cyc, best_chains.shape[0]


def _registry_cycles(batches: list[Batch]) -> np.ndarray:
    """For each LP column in order, its cycle index in the model (-1 for a chain)."""
    return np.concatenate([np.concatenate([b[0], np.full(b[1].shape[0], -1)]) for b in batches])


def _registry(batches: list[Batch]) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray, sparse.csc_matrix]:
    """The LP's columns in order: cycle index (-1 for a chain), the chains, costs, matrix.

    Columns came batch by batch, each batch's cycles then its chains.
    """
    cyc = _registry_cycles(batches)
    chains = sparse.vstack([b[1] for b in batches], format="csr")
    cost = np.concatenate([b[2] for b in batches])
    A = sparse.hstack([b[3] for b in batches], format="csc")
    return cyc, chains, cost, A


def _one_swaps(A: sparse.csc_matrix, cost: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A packing improved by swaps of one column: a column whose rows are free, or free and
    held by one chosen column worth no more (and with more rows, if worth the same), takes
    their place, best gain first, until none is left.

    Run on the pool MIP's start: HiGHS's presolve drops a column dominated by another (a
    subset of its rows, worth at least as much), and a start using it loses its value. This
    does not stop every loss (presolve may still map the start to a worse one), which is why
    the pool MIP keeps the better of its answer and the start.
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
