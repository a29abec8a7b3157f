"""The integer programme: columns, rows and how a solution maps back to arcs.

Every column is a set of arcs: a cycle (cycle formulation, ``max_cycle > 0``),
an arc used by a cycle (edge formulation, ``max_cycle == 0``), or an arc at a
position of a chain (PICEF, Dickerson et al. 2016). ``Model.col_arcs`` (columns x
arcs, 0/1) is that relation; the objective, the side constraints and the
decoding of a solution are all products with it, which is what makes a new
kind of linear constraint over arcs a one-line extension
(``side @ col_arcs.T``).

Rows, in order:

* ``vertex``: each non-altruist vertex receives at most once (cycles and chains);
* ``altruist``: each altruist gives at most once;
* ``flow``: a chain leaves vertex ``i`` at position ``p+1`` only if it reached
  ``i`` at position ``p`` (``out - in <= 0``); in the edge formulation also
  ``out - in == 0`` for cycle arcs (a circulation);
* ``side``: the instance's side constraints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .cycles import Adjacency, enumerate_cycles
from .engine import Programme


@dataclass
class Model(Programme):
    """The kidney-exchange programme: a :class:`~matching.engine.Programme` whose columns are sets of arcs.

    Columns, in order: cycles (the first ``n_cycles``; or, in the edge formulation, one per
    arc), then PICEF chain positions. The packing rows are the vertex rows (the first
    ``n_vertex_rows``), then the altruist rows; side constraint rows are the last
    ``side_arcs.shape[0]``.
    """

    col_arcs: sparse.csr_matrix  # columns x arcs, 0/1
    n_cycles: int
    chain_pos: np.ndarray  # position of each chain column (0 if not a chain column)
    n_vertex_rows: int
    #: row of each arc's receiving vertex (-1 if none), row of its giving altruist (-1 if none)
    arc_in_row: np.ndarray
    arc_alt_row: np.ndarray
    side_arcs: sparse.csr_matrix | None  # side constraints x arcs
    arc_weight: np.ndarray


def packing_columns(base: Model, cycle_cols: np.ndarray, chain_arcs: sparse.csr_matrix
                    ) -> tuple[np.ndarray, sparse.csc_matrix, sparse.csr_matrix]:
    """Columns of the *packing* layout: rows are vertices, altruists and side constraints only.

    ``cycle_cols`` are cycle columns of ``base``; ``chain_arcs`` (chains x
    arcs, 0/1) are whole chains, each one column (no position rows needed).
    Returns (cost, matrix, col_arcs).
    """
    keep_rows = packing_rows(base)
    A_cyc = base.A[:, cycle_cols][keep_rows, :]
    arcs_cyc = base.col_arcs[cycle_cols]
    n_rows = keep_rows.size
    n_core = base.n_packing_rows
    ca = chain_arcs.tocsr()
    ca.sort_indices()
    if ca.shape[0]:
        rows = base.arc_in_row[ca.indices]
        # the altruist's gift is the only arc of a chain that leaves an altruist
        alt_of = base.arc_alt_row[ca.indices]
        chain_of = np.repeat(np.arange(ca.shape[0]), np.diff(ca.indptr))
        is_alt = alt_of >= 0
        r = np.concatenate([rows, alt_of[is_alt]])
        c = np.concatenate([chain_of, chain_of[is_alt]])
        core = sparse.csc_matrix((np.ones(r.size), (r, c)), shape=(n_core, ca.shape[0]))
        if base.side_arcs is not None and base.side_arcs.shape[0]:
            core = sparse.vstack([core, sparse.csc_matrix(base.side_arcs @ ca.T)], format="csc")
        A_chain = core
    else:
        A_chain = sparse.csc_matrix((n_rows, 0))
    A = sparse.hstack([A_cyc, A_chain], format="csc")
    A.sort_indices()
    cost = np.concatenate([base.cost[cycle_cols], np.asarray(ca @ base.arc_weight).ravel()])
    col_arcs = sparse.vstack([arcs_cyc, ca], format="csr")
    return cost, A, col_arcs


def packing_rows(base: Model) -> np.ndarray:
    """Rows of ``base`` kept in the packing layout (vertex, altruist and side rows)."""
    n_side = 0 if base.side_arcs is None else base.side_arcs.shape[0]
    total = base.A.shape[0]
    return np.concatenate([np.arange(base.n_packing_rows), np.arange(total - n_side, total)])


def chain_columns(adj: Adjacency, altruist: np.ndarray, max_chain: int) -> tuple[np.ndarray, np.ndarray]:
    """PICEF chain variables: (arc index, position) pairs that some chain can use.

    An arc from an altruist is usable at position 1 only; an arc ``i -> j``
    between pairs at positions ``d(i) + 1 .. max_chain``, where ``d(i)`` is
    the fewest arcs from any altruist to ``i``.
    """
    n = adj.n
    m = adj.src.size
    if max_chain <= 0 or not altruist.any() or m == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    inf = np.iinfo(np.int64).max
    dist = np.full(n, inf, dtype=np.int64)
    dist[altruist] = 0
    frontier = altruist.copy()
    for d in range(1, max_chain):
        reach = np.zeros(n, dtype=bool)
        arcs_from = frontier[adj.src]
        reach[adj.dst[arcs_from]] = True
        new = reach & (dist == inf)
        dist[new] = d
        frontier = new
        if not new.any():
            break
    from_alt = altruist[adj.src]
    arc_ids, pos = [], []
    first = np.flatnonzero(from_alt)
    arc_ids.append(first)
    pos.append(np.ones(first.size, dtype=np.int64))
    pair_arcs = np.flatnonzero(~from_alt & (dist[adj.src] < max_chain))
    for p in range(2, max_chain + 1):
        sel = pair_arcs[dist[adj.src[pair_arcs]] <= p - 1]
        arc_ids.append(sel)
        pos.append(np.full(sel.size, p, dtype=np.int64))
    return np.concatenate(arc_ids), np.concatenate(pos)


class _Columns:
    """Columns added block by block: the rows each uses (and with what coefficient), its arcs,
    its cost and its chain position; :meth:`matrices` lays them out as sparse matrices."""

    def __init__(self) -> None:
        self.blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.n = 0

    def add(self, rows: np.ndarray, vals: np.ndarray, arcs: np.ndarray, cost: np.ndarray,
            pos: np.ndarray) -> None:
        """``rows``, ``vals``: (columns x k), a row of -1 is none; ``arcs``: (columns x j)."""
        self.blocks.append((rows, vals, arcs, cost, pos))
        self.n += rows.shape[0]

    def matrices(self, n_rows: int, n_arcs: int) -> tuple[sparse.csc_matrix, sparse.csr_matrix, np.ndarray, np.ndarray]:
        """(rows x columns, columns x arcs, costs, chain positions)."""
        rows, vals, counts, arc_rows, arc_cols = [], [], [], [], []
        first = 0
        for r, v, a, _, _ in self.blocks:
            keep = r >= 0
            rows.append(r[keep])
            vals.append(v[keep])
            counts.append(keep.sum(axis=1))
            arc_rows.append(np.repeat(np.arange(first, first + a.shape[0]), a.shape[1]))
            arc_cols.append(a.ravel())
            first += r.shape[0]
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(_cat(counts, np.int64), out=indptr[1:])
        A = sparse.csc_matrix((_cat(vals, float), _cat(rows, np.int64), indptr), shape=(n_rows, self.n))
        col_arcs = sparse.csr_matrix((np.ones(sum(a.size for a in arc_cols)),
                                      (_cat(arc_rows, np.int64), _cat(arc_cols, np.int64))), shape=(self.n, n_arcs))
        cost = _cat([b[3] for b in self.blocks], float)
        pos = _cat([b[4] for b in self.blocks], np.int64)
        return A, col_arcs, cost, pos


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype=dtype)


def build_model(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    altruist: np.ndarray,
    max_cycle: int,
    max_chain: int | None,
    side: sparse.csr_matrix | None = None,
    side_lo: np.ndarray | None = None,
    side_hi: np.ndarray | None = None,
    adj: Adjacency | None = None,
    cycles: dict[int, np.ndarray] | None = None,
) -> Model:
    """Build the cycle formulation (``max_cycle > 0``) or the edge formulation (``0``).

    ``max_chain=None`` (no chain limit) is supported with ``max_cycle == 0``
    only, where cycles and chains share one variable per arc. Rows, in order:
    vertices, altruists, the edge formulation's flow rows, the chain-position
    rows, the side constraints.
    """
    if max_chain is None and max_cycle > 0:
        raise ValueError("a chain limit is needed when cycles are limited (max_cycle > 0)")
    adj = Adjacency(n, src, dst) if adj is None else adj
    rows = _RowLayout(altruist)
    cols = _Columns()
    lo, hi = [np.full(rows.n_pair + rows.n_alt, -np.inf)], [np.ones(rows.n_pair + rows.n_alt)]
    if max_cycle:
        if cycles is None:
            cycles = enumerate_cycles(adj, max_cycle, vertex_ok=~altruist)
        _cycle_columns(cols, rows, adj, weight, cycles)
        n_cycles = cols.n
    else:
        n_cycles = 0
        _edge_columns(cols, rows, src, dst, weight, chains_unlimited=max_chain is None)
        lo.append(np.full(rows.n_pair, -np.inf) if max_chain is None else np.zeros(rows.n_pair))
        hi.append(np.zeros(rows.n_pair))
    if max_chain and rows.n_alt:
        _picef_columns(cols, rows, adj, weight, altruist, max_chain)
        lo.append(np.full(rows.n_pair * (max_chain - 1), -np.inf))
        hi.append(np.zeros(rows.n_pair * (max_chain - 1)))
    row_lo, row_hi = np.concatenate(lo), np.concatenate(hi)
    A, col_arcs, cost, chain_pos = cols.matrices(row_lo.size, src.size)
    has_side = side is not None and side.shape[0] > 0
    if has_side:
        A = sparse.vstack([A, sparse.csc_matrix(side @ col_arcs.T)], format="csc")
        row_lo = np.concatenate([row_lo, side_lo])
        row_hi = np.concatenate([row_hi, side_hi])
    A.sort_indices()
    pair = ~altruist
    return Model(
        cost=cost, A=A, row_lo=row_lo, row_hi=row_hi, n_packing_rows=rows.n_pair + rows.n_alt,
        col_arcs=col_arcs, n_cycles=n_cycles, chain_pos=chain_pos, n_vertex_rows=rows.n_pair,
        arc_in_row=np.where(pair[dst], rows.pair_index[dst], -1),
        arc_alt_row=np.where(altruist[src], rows.alt_index[src] + rows.r_alt, -1),
        side_arcs=side.tocsr() if has_side else None,
        arc_weight=np.asarray(weight, dtype=float),
    )


class _RowLayout:
    """Where each vertex's rows are: vertex rows first, then altruists, flow, chain positions."""

    def __init__(self, altruist: np.ndarray) -> None:
        pair = ~altruist
        self.n_pair, self.n_alt = int(pair.sum()), int(altruist.sum())
        self.pair_index = np.full(altruist.size, -1, dtype=np.int64)
        self.pair_index[pair] = np.arange(self.n_pair)
        self.alt_index = np.full(altruist.size, -1, dtype=np.int64)
        self.alt_index[altruist] = np.arange(self.n_alt)
        self.r_alt = self.n_pair
        self.r_flow = self.n_pair + self.n_alt
        self.r_chain = self.r_flow  # moved past the flow rows when the edge formulation has them

    def chain_row(self, vertex: np.ndarray, q: np.ndarray, max_chain: int) -> np.ndarray:
        """Chain-position row (vertex, q), q = 1 .. max_chain - 1: out at q + 1 minus in at q <= 0."""
        return self.r_chain + self.pair_index[vertex] * (max_chain - 1) + (q - 1)


def _cycle_columns(cols: _Columns, rows: _RowLayout, adj: Adjacency, weight: np.ndarray,
                   cycles: dict[int, np.ndarray]) -> None:
    """One column per cycle: it uses the vertex row of each of its vertices."""
    for k in sorted(cycles):
        cyc = cycles[k]
        c = cyc.shape[0]
        if c == 0:
            continue
        aid = adj.arc_ids(cyc.ravel(), np.roll(cyc, -1, axis=1).ravel()).reshape(c, k)
        cols.add(rows.pair_index[cyc], np.ones((c, k)), aid, weight[aid].sum(axis=1), np.zeros(c, dtype=np.int64))


def _edge_columns(cols: _Columns, rows: _RowLayout, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
                  chains_unlimited: bool) -> None:
    """One column per arc with a flow row per vertex: ``out - in == 0`` (a circulation), or with
    unlimited chains, where cycles and chains share the arcs, ``out <= in`` for pairs."""
    pair = rows.pair_index >= 0
    ea = np.arange(src.size) if chains_unlimited else np.flatnonzero(pair[src] & pair[dst])
    s_, d_ = src[ea], dst[ea]
    out_row = np.where(pair[s_], rows.pair_index[s_] + rows.r_flow, rows.alt_index[s_] + rows.r_alt)
    r = np.stack([rows.pair_index[d_], out_row, rows.pair_index[d_] + rows.r_flow], axis=1)
    cols.add(r, np.tile(np.array([1.0, 1.0, -1.0]), (ea.size, 1)), ea[:, None], weight[ea],
             np.zeros(ea.size, dtype=np.int64))
    rows.r_chain = rows.r_flow + rows.n_pair


def _picef_columns(cols: _Columns, rows: _RowLayout, adj: Adjacency, weight: np.ndarray,
                   altruist: np.ndarray, max_chain: int) -> None:
    """PICEF: one column per (arc, position) some chain can use (:func:`chain_columns`)."""
    aid, pos = chain_columns(adj, altruist, max_chain)
    L = max_chain
    s_, d_ = adj.src[aid], adj.dst[aid]
    first = pos == 1
    out_row = np.where(first, rows.alt_index[s_] + rows.r_alt, rows.chain_row(s_, np.maximum(pos - 1, 1), L))
    in_flow_row = np.where(pos <= L - 1, rows.chain_row(d_, np.minimum(pos, L - 1), L), -1)
    r = np.stack([rows.pair_index[d_], out_row, in_flow_row], axis=1)
    vals = np.tile(np.array([1.0, 1.0, -1.0]), (aid.size, 1))
    cols.add(r, vals, aid[:, None], weight[aid], pos)
