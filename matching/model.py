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


@dataclass
class Model:
    """A built model (max ``cost @ x`` s.t. ``row_lo <= A @ x <= row_hi``, x binary)."""

    cost: np.ndarray
    A: sparse.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_arcs: sparse.csr_matrix
    kind: np.ndarray  # 0 cycle, 1 cycle arc (edge formulation), 2 chain arc
    n_cycles: int
    cycle_blocks: list[tuple[int, np.ndarray]]  # (first column, cycles of one length)
    chain_pos: np.ndarray  # position of each chain column (0 if not a chain column)
    n_vertex_rows: int
    #: row of each arc's receiving vertex (-1 if none), row of its giving altruist (-1 if none)
    arc_in_row: np.ndarray | None = None
    arc_alt_row: np.ndarray | None = None
    #: vertex and altruist rows come first; side constraint rows are the last ``side_arcs.shape[0]``
    n_core_rows: int = 0
    side_arcs: sparse.csr_matrix | None = None  # side constraints x arcs
    arc_weight: np.ndarray | None = None


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
    n_core = base.n_core_rows
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
    return np.concatenate([np.arange(base.n_core_rows), np.arange(total - n_side, total)])


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
    only, where cycles and chains share one variable per arc.
    """
    if adj is None:
        adj = Adjacency(n, src, dst)
    m = src.size
    pair = ~altruist
    pair_index = np.full(n, -1, dtype=np.int64)
    pair_index[pair] = np.arange(int(pair.sum()))
    alt_index = np.full(n, -1, dtype=np.int64)
    alt_index[altruist] = np.arange(int(altruist.sum()))
    n_pair, n_alt = int(pair.sum()), int(altruist.sum())

    col_rows: list[np.ndarray] = []   # row indices per column chunk (flattened) ...
    col_vals: list[np.ndarray] = []
    col_ptr_counts: list[np.ndarray] = []
    arc_rows: list[np.ndarray] = []  # for col_arcs
    arc_cols: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    cyc_blocks: list[tuple[int, np.ndarray]] = []
    n_cols = 0

    # ---- row layout
    r_vertex = 0
    r_alt = n_pair
    r_flow = n_pair + n_alt
    row_lo_parts = [np.full(n_pair, -np.inf), np.full(n_alt, -np.inf)]
    row_hi_parts = [np.ones(n_pair), np.ones(n_alt)]

    edge_form = max_cycle == 0
    unlimited_chain = max_chain is None
    if unlimited_chain and not edge_form:
        raise ValueError("a chain limit is needed when cycles are limited (max_cycle > 0)")

    n_cycles = 0
    if not edge_form:
        if cycles is None:
            cycles = enumerate_cycles(adj, max_cycle, vertex_ok=pair)
        for k in sorted(cycles):
            cyc = cycles[k]
            c = cyc.shape[0]
            if c == 0:
                continue
            nxt = np.roll(cyc, -1, axis=1)
            aid = adj.arc_ids(cyc.ravel(), nxt.ravel()).reshape(c, k)
            col_rows.append(pair_index[cyc].ravel() + r_vertex)
            col_vals.append(np.ones(c * k))
            col_ptr_counts.append(np.full(c, k, dtype=np.int64))
            arc_rows.append(np.repeat(np.arange(n_cols, n_cols + c), k))
            arc_cols.append(aid.ravel())
            costs.append(weight[aid].sum(axis=1))
            kinds.append(np.zeros(c, dtype=np.int8))
            positions.append(np.zeros(c, dtype=np.int64))
            cyc_blocks.append((n_cols, cyc))
            n_cols += c
        n_cycles = n_cols
        flow_rows = 0
    else:
        # edge formulation: one column per pair->pair arc, circulation rows per pair
        if unlimited_chain:
            # cycles and chains share the arc variables: out(i) <= in(i) for pairs
            ea = np.arange(m)
            flow_hi = np.zeros(n_pair)
        else:
            ea = np.flatnonzero(pair[src] & pair[dst])
            flow_hi = np.zeros(n_pair)
        c = ea.size
        s_, d_ = src[ea], dst[ea]
        rows = []
        vals = []
        # receive row of dst; for altruist source the altruist row; flow rows (out +1, in -1)
        in_row = pair_index[d_] + r_vertex
        out_row = np.where(pair[s_], pair_index[s_] + r_flow, alt_index[s_] + r_alt)
        in_flow_row = pair_index[d_] + r_flow
        rows = np.stack([in_row, out_row, in_flow_row], axis=1)
        vals = np.tile(np.array([1.0, 1.0, -1.0]), (c, 1))
        col_rows.append(rows.ravel())
        col_vals.append(vals.ravel())
        col_ptr_counts.append(np.full(c, 3, dtype=np.int64))
        arc_rows.append(np.arange(n_cols, n_cols + c))
        arc_cols.append(ea)
        costs.append(weight[ea])
        kinds.append(np.ones(c, dtype=np.int8))
        positions.append(np.zeros(c, dtype=np.int64))
        n_cols += c
        flow_rows = n_pair
        row_lo_parts.append(np.zeros(n_pair) if not unlimited_chain else np.full(n_pair, -np.inf))
        row_hi_parts.append(flow_hi)

    r_chain = r_flow + flow_rows
    n_chain_rows = 0
    if not unlimited_chain and max_chain and max_chain > 0 and n_alt:
        aid, pos = chain_columns(adj, altruist, max_chain)
        L = max_chain
        c = aid.size
        s_, d_ = src[aid], dst[aid]
        # chain flow row (i, q) for q = 1..L-1: out at q+1 minus in at q <= 0
        n_chain_rows = n_pair * (L - 1)

        def flow_row(vertex: np.ndarray, q: np.ndarray) -> np.ndarray:
            return r_chain + pair_index[vertex] * (L - 1) + (q - 1)

        in_row = pair_index[d_] + r_vertex
        first = pos == 1
        out_row = np.where(first, alt_index[s_] + r_alt, flow_row(s_, np.maximum(pos - 1, 1)))
        has_in_flow = pos <= L - 1
        in_flow_row = np.where(has_in_flow, flow_row(d_, np.minimum(pos, L - 1)), -1)
        rows = np.stack([in_row, out_row, in_flow_row], axis=1)
        vals = np.stack([np.ones(c), np.ones(c), -np.ones(c)], axis=1)
        keep = rows >= 0
        cnt = keep.sum(axis=1)
        col_rows.append(rows[keep])
        col_vals.append(vals[keep])
        col_ptr_counts.append(cnt)
        arc_rows.append(np.arange(n_cols, n_cols + c))
        arc_cols.append(aid)
        costs.append(weight[aid])
        kinds.append(np.full(c, 2, dtype=np.int8))
        positions.append(pos)
        n_cols += c
        row_lo_parts.append(np.full(n_chain_rows, -np.inf))
        row_hi_parts.append(np.zeros(n_chain_rows))

    n_rows_core = r_chain + n_chain_rows
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    if col_ptr_counts:
        np.cumsum(np.concatenate(col_ptr_counts), out=indptr[1:])
    A = sparse.csc_matrix(
        (np.concatenate(col_vals) if col_vals else np.empty(0),
         np.concatenate(col_rows) if col_rows else np.empty(0, dtype=np.int64),
         indptr),
        shape=(n_rows_core, n_cols),
    )
    col_arcs = sparse.csr_matrix(
        (np.ones(sum(a.size for a in arc_cols)),
         (np.concatenate(arc_rows) if arc_rows else np.empty(0, dtype=np.int64),
          np.concatenate(arc_cols) if arc_cols else np.empty(0, dtype=np.int64))),
        shape=(n_cols, m),
    )
    row_lo = np.concatenate(row_lo_parts)
    row_hi = np.concatenate(row_hi_parts)
    if side is not None and side.shape[0]:
        S = sparse.csc_matrix(side @ col_arcs.T)
        A = sparse.vstack([A, S], format="csc")
        row_lo = np.concatenate([row_lo, side_lo])
        row_hi = np.concatenate([row_hi, side_hi])
    A.sort_indices()
    return Model(
        cost=np.concatenate(costs) if costs else np.empty(0),
        A=A, row_lo=row_lo, row_hi=row_hi, col_arcs=col_arcs,
        kind=np.concatenate(kinds) if kinds else np.empty(0, dtype=np.int8),
        n_cycles=n_cycles, cycle_blocks=cyc_blocks,
        chain_pos=np.concatenate(positions) if positions else np.empty(0, dtype=np.int64),
        n_vertex_rows=n_pair,
        arc_in_row=np.where(pair[dst], pair_index[dst] + r_vertex, -1),
        arc_alt_row=np.where(altruist[src], alt_index[src] + r_alt, -1),
        n_core_rows=n_pair + n_alt,
        side_arcs=side.tocsr() if side is not None and side.shape[0] else None,
        arc_weight=np.asarray(weight, dtype=float),
    )
