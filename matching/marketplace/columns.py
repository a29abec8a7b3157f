"""Candidate legs to one integer programme over whole exchanges, solved with HiGHS, and back.

The problem lives at the level of members: a leg is "member A's offer serves member B's need",
and an exchange is a sequence of legs in which each leg's receiver gives the next one. So the
columns are built from legs directly, not from a graph of listings:

* **cycles**: simple cycles of at most K members in the *member graph* (``A -> B`` when some
  non-gift leg goes from A to B) are enumerated with numpy, meeting in the middle, then each is
  expanded into one column per choice of leg on each hop. Each member of a ring gives one offer
  and receives one need, so the listings of a column are always distinct. Rings that visit a
  member twice are never needed: such a ring splits into two shorter rings with the same legs,
  score and credits.
* **gift chains**: one variable per (leg, position ``1..L``): position 1 only for gift legs,
  position ``p + 1`` only for non-gift legs whose giver can receive at position ``p``; for each
  member and position, ``legs given at p + 1 <= legs received at p``. Any of a member's offers
  may follow any of its needs, so this member-level flow is exactly "a chain passes it on", and a
  chain may pass through a member twice with different listings.
* **pairs**: one column per non-gift leg (when the policy allows pairs).

Rows: every listing is used at most once; the chain flow rows; and the credit rule (see
``docs/matching.md`` and :func:`shortfalls`): each exchange is paid for on its own, so a member's
shortfalls (what it receives minus what it gives in a ring; what it receives in a pair or a chain)
add up to at most ``max(balance + limit, 0)``. A column that alone is short of more than that is
never built, and each credit row gets a Chvatal-Gomory cut ("at most one column short of more
than half the room").

The programme is a set packing with a few side rows. HiGHS solves small ones whole (branch and
bound to an absolute gap below 1 point: scores are integers, so that proves the optimum); larger
ones get the LP bound, LP-guided packings and a MIP over the LP's support (:func:`solve_model`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import highspy
import numpy as np
from scipy import sparse

from ..highs import new_highs, set_start
from .candidates import Candidates
from .types import Market, Policy

CYCLE, CHAIN, PAIR, FLOW = 0, 1, 2, 3


@dataclass
class MarketModel:
    """The integer programme: maximise ``cost @ x`` subject to ``row_lo <= A @ x <= row_hi``, x binary.

    Columns, in order: cycles (by length), chain leg-positions, pairs, and (for the bound on
    rings of any length only) flow legs. ``col_kind`` tells which; ``col_legs`` lists each column's
    candidate rows (CSR: ``col_legs.indices[col_legs.indptr[j]:col_legs.indptr[j + 1]]``, in
    giving order); ``chain_pos`` is the position of a chain column (0 for others).
    """

    cost: np.ndarray
    A: sparse.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_kind: np.ndarray
    col_legs: sparse.csr_matrix
    chain_pos: np.ndarray
    cands: Candidates
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return int(self.cost.size)

    def legs_of(self, j: int) -> list[int]:
        p = self.col_legs.indptr
        return self.col_legs.indices[p[j]:p[j + 1]].tolist()


@dataclass
class ModelSolution:
    x: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    stats: dict[str, Any]


# -- the member graph and its cycles ----------------------------------------------------------------


class MemberGraph:
    """Non-gift legs grouped by (giver member, receiver member): the hops of a ring."""

    def __init__(self, n_members: int, giver: np.ndarray, receiver: np.ndarray, legs: np.ndarray) -> None:
        self.n = n_members
        order = np.lexsort((legs, receiver, giver))
        self.legs = legs[order]                      # leg rows sorted by hop
        key = giver[order].astype(np.int64) * n_members + receiver[order]
        self.key, self.start, counts = np.unique(key, return_index=True, return_counts=True)
        self.count = counts.astype(np.int64)         # parallel legs per hop
        self.src = self.key // n_members
        self.dst = self.key % n_members
        rorder = np.lexsort((self.src, self.dst))
        self.rkey = self.dst[rorder] * n_members + self.src[rorder]
        self.rsrc = self.src[rorder]

    def hop(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Index of hop ``a -> b`` (which must exist)."""
        return np.searchsorted(self.key, a.astype(np.int64) * self.n + b)

    def walks(self, hops: int) -> int:
        """Member paths of ``hops`` hops, counted as walks: what enumeration must grow."""
        if self.key.size == 0:
            return 0
        adj = sparse.csr_matrix((np.ones(self.key.size), (self.src, self.dst)), shape=(self.n, self.n))
        v = np.ones(self.n)
        for _ in range(hops):
            v = adj @ v
        return int(v.sum())


def _grow(paths: np.ndarray, keys: np.ndarray, targets: np.ndarray, n: int, forward: bool) -> np.ndarray:
    """Extend each path by one hop (at its end, or at its start going backwards) to members above its lowest."""
    if paths.shape[0] == 0:
        return np.empty((0, paths.shape[1] + 1), dtype=paths.dtype)
    low = paths[:, 0] if forward else paths[:, -1]
    end = (paths[:, -1] if forward else paths[:, 0]).astype(np.int64)
    lo = np.searchsorted(keys, end * n + low + 1)
    hi = np.searchsorted(keys, end * n + n)
    cnt = hi - lo
    row = np.repeat(np.arange(paths.shape[0]), cnt)
    pos = np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    nxt = targets[pos].astype(paths.dtype)
    base = paths[row]
    ok = np.ones(nxt.size, dtype=bool)
    for c in range(paths.shape[1]):
        ok &= base[:, c] != nxt
    base, nxt = base[ok], nxt[ok]
    return np.concatenate([base, nxt[:, None]] if forward else [nxt[:, None], base], axis=1)


def member_cycles(graph: MemberGraph, max_len: int) -> dict[int, np.ndarray]:
    """Simple cycles of 2..max_len members, lowest member first, each once (meet in the middle).

    From each member ``s``, forward paths of ``ceil(k/2)`` hops and backward paths of
    ``floor(k/2)`` hops over members above ``s`` are joined on their last member. Time and memory
    grow like ``n * d ** ceil(k/2)`` for n members of average degree d, plus the cycles found.
    """
    n = graph.n
    verts = np.unique(graph.src).astype(np.int32)[:, None]
    fwd, bwd = {0: verts}, {0: verts}
    for t in range(1, (max_len + 1) // 2 + 1):
        fwd[t] = _grow(fwd[t - 1], graph.key, graph.dst, n, True)
    for t in range(1, max_len // 2 + 1):
        bwd[t] = _grow(bwd[t - 1], graph.rkey, graph.rsrc, n, False)
    out = {}
    for k in range(2, max_len + 1):
        f, b = fwd[(k + 1) // 2], bwd[k // 2]
        fkey = f[:, 0].astype(np.int64) * n + f[:, -1]
        bkey = b[:, -1].astype(np.int64) * n + b[:, 0]
        border = np.argsort(bkey, kind="stable")
        lo = np.searchsorted(bkey[border], fkey, side="left")
        cnt = np.searchsorted(bkey[border], fkey, side="right") - lo
        frow = np.repeat(np.arange(f.shape[0]), cnt)
        brow = border[np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)]
        ff, bb = f[frow], b[brow]
        ok = np.ones(frow.size, dtype=bool)
        for i in range(1, f.shape[1] - 1):
            for j in range(1, b.shape[1] - 1):
                ok &= ff[:, i] != bb[:, j]
        cyc = np.concatenate([ff[ok], bb[ok][:, 1:-1]], axis=1)
        out[k] = cyc[np.lexsort(cyc.T[::-1])] if cyc.shape[0] else cyc
    return out


def expand_cycles(graph: MemberGraph, cycles: np.ndarray) -> np.ndarray:
    """Member cycles (count x k) to leg cycles: one row per choice of parallel leg on each hop."""
    count, k = cycles.shape
    if count == 0:
        return np.empty((0, k), dtype=np.int64)
    hops = graph.hop(cycles, np.roll(cycles, -1, axis=1))        # count x k
    mult = graph.count[hops]
    total = mult.prod(axis=1)
    row = np.repeat(np.arange(count), total)
    local = np.arange(int(total.sum())) - np.repeat(np.cumsum(total) - total, total)
    out = np.empty((row.size, k), dtype=np.int64)
    for i in range(k - 1, -1, -1):
        m = mult[row, i]
        out[:, i] = graph.legs[graph.start[hops[row, i]] + local % m]
        local //= m
    return out


# -- the programme ------------------------------------------------------------------------------------

#: Chvatal-Gomory cuts added for each credit row (k: "columns short of more than room / k, weighted,
#: at most k - 1"). k = 2 closed a third of the LP's gap on the synthetic markets; see docs/performance.md.
CREDIT_CUTS = (2,)


def shortfalls(cands: Candidates, ic: np.ndarray, il: np.ndarray, ikind: np.ndarray, ipos: np.ndarray,
               receiver: np.ndarray, giver: np.ndarray, n_members: int, n_cols: int) -> sparse.csr_matrix:
    """Credits each member is short in each column (members x columns): the credit rule.

    Each exchange is paid for on its own. In a ring a member is short what it receives minus what
    it gives, if that is positive; in a pair or a gift chain it is short what it receives (a
    chain's help arrives before the member passes it on, so passing on does not pay for it; the
    gift itself moves nothing). What a member earns in one exchange never pays for another, so
    however many of a run's exchanges are declined, nobody ends below its limit. Flow legs (the
    bound on rings of any length) are short nothing.
    """
    credits = cands.credits[il]
    pays = (ikind != FLOW) & ~((ikind == CHAIN) & (ipos == 1)) & (credits > 0)
    earns = (ikind == CYCLE) & (credits > 0)
    rows = np.concatenate([receiver[il[pays]], giver[il[earns]]])
    cols = np.concatenate([ic[pays], ic[earns]])
    vals = np.concatenate([credits[pays], -credits[earns]])
    short = sparse.csr_matrix((vals, (rows, cols)), shape=(n_members, n_cols))
    short.sum_duplicates()
    short.data = np.maximum(short.data, 0.0)
    short.eliminate_zeros()
    return short



def build_model(market: Market, cands: Candidates, policy: Policy, *, max_cycle: int | None = None,
                max_chain: int | None = None, any_length_cycles: bool = False) -> MarketModel:
    """The integer programme for ``cands`` under ``policy`` (see the module docstring).

    Parameters
    ----------
    market, cands, policy
    max_cycle, max_chain : int, optional
        Override the policy's ring and chain lengths (members, legs).
    any_length_cycles : bool
        Instead of enumerating rings, allow rings of any length with one variable per leg and
        "gives as often as it receives" per member: an upper bound for every K (the K report).

    Notes
    -----
    Time is dominated by ring enumeration, ``O(n d^ceil(K/2))`` for n members of average degree
    d in the member graph, and by the ``O(C L)`` chain variables for C candidate legs.
    """
    t0 = perf_counter()
    K = policy.max_cycle if max_cycle is None else max_cycle
    L = policy.max_chain if max_chain is None else max_chain
    bonus = int(policy.weights.reciprocity)
    n_members = len(market.members)
    n_listings = len(cands.listings)
    gift_listing = np.fromiter((x.is_gift for x in cands.listings), dtype=bool, count=n_listings)
    legs = np.arange(cands.size)
    giver = cands.member[cands.offer]
    receiver = cands.member[cands.need]
    gift = gift_listing[cands.offer]
    score = cands.score.astype(np.int64)
    paid = legs[~gift]

    blocks: list[tuple[int, np.ndarray, np.ndarray]] = []   # (kind, columns x legs, chain position)
    stats: dict[str, int] = {}
    graph = MemberGraph(n_members, giver[paid], receiver[paid], paid)
    stats["member_hops"] = int(graph.key.size)

    # cycles
    ring_counts = {}
    if any_length_cycles:
        blocks.append((FLOW, paid[:, None], np.zeros(paid.size, dtype=np.int64)))
    elif K >= 2 and graph.key.size:
        for k, cyc in member_cycles(graph, K).items():
            leg_cycles = expand_cycles(graph, cyc)
            ring_counts[k] = int(leg_cycles.shape[0])
            if leg_cycles.shape[0]:
                blocks.append((CYCLE, leg_cycles, np.zeros(leg_cycles.shape[0], dtype=np.int64)))
    stats["rings"] = sum(ring_counts.values())
    stats["rings_by_length"] = ring_counts

    # chain leg-positions: gifts at position 1, then legs whose giver can receive at the position before
    chain_vars = 0
    if L >= 1:
        at = legs[gift]
        reach = np.zeros(n_members, dtype=bool)
        for p in range(1, L + 1):
            if p > 1:
                at = paid[reach[giver[paid]]]
            if at.size == 0:
                break
            blocks.append((CHAIN, at[:, None], np.full(at.size, p, dtype=np.int64)))
            chain_vars += at.size
            reach = np.zeros(n_members, dtype=bool)
            reach[receiver[at]] = True
    stats["chain_variables"] = chain_vars

    if policy.allow_pairs:
        blocks.append((PAIR, paid[:, None], np.zeros(paid.size, dtype=np.int64)))
    stats["pairs"] = int(paid.size) if policy.allow_pairs else 0

    # columns: flatten every block into (column, leg) incidences
    kinds, costs, positions, inc_col, inc_leg, width_of = [], [], [], [], [], []
    n_cols = 0
    for kind, mat, pos in blocks:
        count, width = mat.shape
        cols = np.arange(n_cols, n_cols + count)
        kinds.append(np.full(count, kind, dtype=np.int8))
        positions.append(pos)
        s = score[mat].sum(axis=1)
        costs.append(s if kind == PAIR else s + bonus * width)
        inc_col.append(np.repeat(cols, width))
        inc_leg.append(mat.ravel())
        width_of.append(np.full(count, width, dtype=np.int64))
        n_cols += count
    col_kind = np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int8)
    cost = np.concatenate(costs).astype(np.float64) if costs else np.zeros(0)
    chain_pos = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    ic = np.concatenate(inc_col) if inc_col else np.zeros(0, dtype=np.int64)
    il = np.concatenate(inc_leg) if inc_leg else np.zeros(0, dtype=np.int64)
    widths = np.concatenate(width_of) if width_of else np.zeros(0, dtype=np.int64)

    # the credit rule: what each member is short in each column, and columns nobody can afford
    room = np.array([max(float(m.balance + m.credit_limit), 0.0) for m in market.members]) if n_members \
        else np.zeros(0)
    short = shortfalls(cands, ic, il, col_kind[ic], chain_pos[ic], receiver, giver, n_members, n_cols)
    sc = short.tocoo()
    unaffordable = np.zeros(n_cols, dtype=bool)
    unaffordable[sc.col[sc.data > room[sc.row] + 1e-9]] = True
    stats["unaffordable_columns"] = int(unaffordable.sum())
    if unaffordable.any():
        keep = ~unaffordable
        new_index = np.cumsum(keep) - 1
        inc_keep = keep[ic]
        ic, il = new_index[ic[inc_keep]], il[inc_keep]
        col_kind, cost, chain_pos, widths = col_kind[keep], cost[keep], chain_pos[keep], widths[keep]
        short = short[:, np.flatnonzero(keep)]
        n_cols = int(keep.sum())
    col_legs = sparse.csr_matrix((np.ones(il.size), il, np.r_[0, np.cumsum(widths)]),
                                 shape=(n_cols, max(cands.size, 1)))
    ikind = col_kind[ic]
    ipos = chain_pos[ic]

    # rows: listings once
    used_listings = np.unique(np.concatenate([cands.offer[il], cands.need[il]]))
    listing_row = np.full(n_listings, -1, dtype=np.int64)
    listing_row[used_listings] = np.arange(used_listings.size)
    r_row = [listing_row[cands.offer[il]], listing_row[cands.need[il]]]
    r_col = [ic, ic]
    r_val = [np.ones(il.size), np.ones(il.size)]
    lo = [np.full(used_listings.size, -np.inf)]
    hi = [np.ones(used_listings.size)]
    n_rows = used_listings.size

    # rows: chain flow, legs given by member B at position p + 1 <= legs B received at p
    if chain_vars and L >= 2:
        chain = ikind == CHAIN
        out_key = giver[il] * (L + 1) + (ipos - 1)      # (B, p) for a leg given at p + 1
        in_key = receiver[il] * (L + 1) + ipos          # (B, p) for a leg received at p
        needed = np.unique(out_key[chain & (ipos >= 2)])
        flow_row = np.full(n_members * (L + 1), -1, dtype=np.int64)
        flow_row[needed] = n_rows + np.arange(needed.size)
        give = chain & (ipos >= 2)
        take = chain & (ipos < L) & (flow_row[in_key] >= 0)
        r_row += [flow_row[out_key[give]], flow_row[in_key[take]]]
        r_col += [ic[give], ic[take]]
        r_val += [np.ones(int(give.sum())), -np.ones(int(take.sum()))]
        lo.append(np.full(needed.size, -np.inf))
        hi.append(np.zeros(needed.size))
        n_rows += needed.size
        stats["flow_rows"] = int(needed.size)
    if any_length_cycles and paid.size:
        flow = ikind == FLOW
        members_in = np.unique(np.concatenate([giver[il[flow]], receiver[il[flow]]]))
        row_of = np.full(n_members, -1, dtype=np.int64)
        row_of[members_in] = n_rows + np.arange(members_in.size)
        r_row += [row_of[giver[il[flow]]], row_of[receiver[il[flow]]]]
        r_col += [ic[flow], ic[flow]]
        r_val += [np.ones(int(flow.sum())), -np.ones(int(flow.sum()))]
        lo.append(np.zeros(members_in.size))
        hi.append(np.zeros(members_in.size))
        n_rows += members_in.size

    # rows: credits. A member's shortfalls over the exchanges it takes part in fit within what it may
    # spend; members whose needs could never overspend get no row.
    short = short.tocsr()
    sc = short.tocoo()
    paying = (ikind != FLOW) & ~((ikind == CHAIN) & (ipos == 1))
    worst = np.zeros(n_listings)               # each need's largest shortfall in any column
    np.maximum.at(worst, cands.need[il[paying]], np.asarray(short[receiver[il[paying]], ic[paying]]).ravel())
    could_spend = np.zeros(n_members)
    np.add.at(could_spend, cands.member[np.flatnonzero(worst)], worst[worst > 0])
    binding = np.flatnonzero(could_spend > room + 1e-9)
    if binding.size:
        row_of = np.full(n_members, -1, dtype=np.int64)
        row_of[binding] = np.arange(binding.size)
        on = row_of[sc.row] >= 0
        rr, cc, vv = row_of[sc.row[on]], sc.col[on], sc.data[on]
        r_row.append(n_rows + rr)
        r_col.append(cc)
        r_val.append(vv)
        lo.append(np.full(binding.size, -np.inf))
        hi.append(room[binding])
        n_rows += binding.size
        # Chvatal-Gomory cuts of each row: at most one column short of more than half the room,
        # and at most two short of more than a third (each counted twice above two thirds)
        R = room[binding][rr]
        for k in CREDIT_CUTS:
            v = np.floor(k * vv / (R * (1 + 1e-9)) + 1e-12) if R.size else vv
            cut = v > 0
            members_cut = np.unique(rr[cut])
            cut_row = np.full(binding.size, -1, dtype=np.int64)
            cut_row[members_cut] = n_rows + np.arange(members_cut.size)
            r_row.append(cut_row[rr[cut]])
            r_col.append(cc[cut])
            r_val.append(v[cut])
            lo.append(np.full(members_cut.size, -np.inf))
            hi.append(np.full(members_cut.size, k - 1.0))
            n_rows += members_cut.size
    stats["credit_rows"] = int(binding.size)

    A = sparse.csc_matrix((np.concatenate(r_val), (np.concatenate(r_row), np.concatenate(r_col))),
                          shape=(n_rows, n_cols))
    A.sum_duplicates()
    A.eliminate_zeros()
    stats.update(columns=n_cols, rows=n_rows, nonzeros=int(A.nnz), listing_rows=int(used_listings.size))
    stats["bonus"] = bonus
    stats["build_seconds"] = perf_counter() - t0
    return MarketModel(cost, A, np.concatenate(lo), np.concatenate(hi), col_kind, col_legs, chain_pos, cands,
                       stats)


def greedy(model: MarketModel, priority: np.ndarray | None = None) -> np.ndarray:
    """A feasible packing: chains (by position), then rings, then pairs, each best points per leg first.

    Each column is taken if every row stays within its bounds, so the result is always feasible;
    later passes admit chain legs whose chain started later in the order. It is the optimiser's
    first incumbent: under a time limit the answer is never worse than this. (Of the orders tried
    on synthetic markets, this one started closest to the optimum.) With ``priority`` (an LP
    solution), columns go in order of it first (rounded to 0.001, so near-ties fall back to the
    order above).
    """
    n = model.n_cols
    x = np.zeros(n)
    if n == 0:
        return x
    widths = np.diff(model.col_legs.indptr)
    shape_rank = np.choose(model.col_kind, [1, 0, 2, 1])     # chains, rings (and flow legs), pairs
    keys = [np.arange(n), -model.cost / np.maximum(widths, 1), model.chain_pos, shape_rank]
    if priority is not None:
        keys.append(-np.round(priority, 3))
    order = np.lexsort(keys)
    A = model.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    lo, hi = model.row_lo.tolist(), model.row_hi.tolist()
    act = [0.0] * A.shape[0]
    left = order.tolist()
    for _ in range(4):
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


def improve(model: MarketModel, x: np.ndarray, order: np.ndarray, passes: int = 3) -> np.ndarray:
    """Local search from a packing: add a column in place of the columns it clashes with, when that gains.

    For each column of ``order`` not in the packing, the chosen columns sharing a listing with it
    are taken out and it is put in, if its points exceed theirs and every row stays within bounds
    (credit and chain-flow rows included); up to ``passes`` passes, until a pass changes nothing.

    Parameters
    ----------
    model : MarketModel
    x : ndarray
        A feasible packing (0/1 per column); not changed.
    order : ndarray
        The columns to try, in order.
    passes : int

    Returns
    -------
    ndarray
        A feasible packing worth at least as much as ``x``.
    """
    A = model.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    hi = np.where(np.isfinite(model.row_hi), model.row_hi, np.inf).tolist()
    lo = np.where(np.isfinite(model.row_lo), model.row_lo, -np.inf).tolist()
    cost = model.cost.tolist()
    n_listing = int(model.stats.get("listing_rows", 0))
    x = x.copy()
    act = (A @ x).tolist()
    owner = [-1] * n_listing                    # the chosen column using each listing
    for j in np.flatnonzero(x > 0.5).tolist():
        for k in range(indptr[j], indptr[j + 1]):
            if indices[k] < n_listing:
                owner[indices[k]] = j
    todo = order.tolist()
    for _ in range(passes):
        changed = False
        for j in todo:
            if x[j] > 0.5:
                continue
            out = {owner[indices[k]] for k in range(indptr[j], indptr[j + 1])
                   if indices[k] < n_listing and owner[indices[k]] >= 0}
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
                    if indices[k] < n_listing and owner[indices[k]] == i:
                        owner[indices[k]] = -1
            x[j] = 1.0
            for k in range(indptr[j], indptr[j + 1]):
                if indices[k] < n_listing:
                    owner[indices[k]] = j
            changed = True
        if not changed:
            break
    return x


#: Largest programme given to HiGHS's branch and bound. Above it HiGHS's presolve and clique
#: detection alone ran for minutes at 170,000 columns and did not stop at the time limit, so
#: larger programmes get the LP bound and an LP-guided packing instead (see docs/performance.md).
MIP_MAX_COLUMNS = 20_000
#: Programmes above this size get the LP bound and an LP-guided packing before branch and bound,
#: so a short time limit still ends with a good answer and a useful gap.
LP_FIRST_COLUMNS = 2_000
#: Branch-and-bound nodes for the MIP over the LP's support (the columns the LP uses), which
#: improves on the LP-guided packing; a node limit, not a time limit, keeps it deterministic.
SUPPORT_MIP_NODES = 200
#: Columns whose LP reduced cost is above minus this many points are tried by :func:`improve`.
IMPROVE_REDUCED_COST = 20.0


def _highs(model: MarketModel, *, seed: int, time_limit: float | None, integer: bool,
           cols: np.ndarray | None = None) -> highspy.Highs:
    h = new_highs(seed=seed, threads=None, log=False)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    A = model.A if cols is None else model.A[:, cols].tocsc()
    cost = model.cost if cols is None else model.cost[cols]
    n = int(cost.size)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = int(A.shape[0])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isfinite(model.row_lo), model.row_lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(model.row_hi), model.row_hi, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    return h


def lagrangian_bound(model: MarketModel, y: np.ndarray) -> float:
    """An upper bound on every packing from any row prices ``y`` (LP duals, maximisation signs).

    ``sum_r b_r y_r + sum_j max(0, cost_j - A_j y)``, with ``y_r`` clipped to the sign its row
    allows (a price on a ``<=`` row is never negative). It is valid for any ``y``, so the bound
    does not rest on the LP solver's tolerances.
    """
    hi_ok, lo_ok = np.isfinite(model.row_hi), np.isfinite(model.row_lo)
    y = np.where(hi_ok, np.maximum(y, 0.0), 0.0) + np.where(lo_ok, np.minimum(y, 0.0), 0.0)
    rc = model.cost - model.A.T @ y
    return float(np.where(hi_ok, model.row_hi, 0.0) @ np.maximum(y, 0.0)
                 + np.where(lo_ok, model.row_lo, 0.0) @ np.minimum(y, 0.0) + np.maximum(rc, 0.0).sum())


def _mip(model: MarketModel, start: np.ndarray, *, seed: int, time_limit: float | None,
         cols: np.ndarray | None = None, max_nodes: int | None = None) -> tuple[np.ndarray, float, bool, dict]:
    """HiGHS's branch and bound from ``start`` (over ``cols`` only, if given): best packing, bound, proven."""
    h = _highs(model, seed=seed, time_limit=time_limit, integer=True, cols=cols)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.999)
    if max_nodes is not None:
        h.setOptionValue("mip_max_nodes", int(max_nodes))
    set_start(h, start if cols is None else start[cols])
    h.run()
    status, info = h.getModelStatus(), h.getInfo()
    x = start
    if info.primal_solution_status == 2:
        found = np.round(np.asarray(h.getSolution().col_value))
        if cols is not None:
            full = np.zeros(model.n_cols)
            full[cols] = found
            found = full
        if model.cost @ found > model.cost @ start:
            x = found
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else math.inf
    return x, bound, status == highspy.HighsModelStatus.kOptimal, {
        "nodes": int(info.mip_node_count), "lp_iterations": int(info.simplex_iteration_count)}


def solve_model(model: MarketModel, *, time_limit: float | None = None, seed: int = 0) -> ModelSolution:
    """The best packing found, with a certified bound; exact when the programme is small enough.

    1. :func:`greedy` gives a first packing.
    2. Above :data:`LP_FIRST_COLUMNS` columns, the LP relaxation (interior point, within the time
       limit) gives a bound (:func:`lagrangian_bound` of its duals), a greedy pass in order of LP
       value a second packing, :func:`improve` a better one, and a MIP over the LP's support (at most
       :data:`SUPPORT_MIP_NODES` nodes; skipped when step 3 runs without a time limit) usually a
       better one.
    3. Up to :data:`MIP_MAX_COLUMNS` columns, HiGHS's branch and bound starts from the best
       packing and runs to the optimum or the time limit. The objective is an integer (scores are
       whole points), so an absolute gap below 1 proves the optimum.

    Parameters
    ----------
    model : MarketModel
    time_limit : float, optional
        Seconds for all of it; past them the best packing found is returned.
    seed : int
        HiGHS's random seed.

    Returns
    -------
    ModelSolution
        ``status`` is ``"optimal"`` (proven), ``"time_limit"`` (stopped; best found), or
        ``"feasible"`` (too large for branch and bound: the best LP-guided packing). ``gap`` says
        how far from the optimum the answer can be. The bound is never above :func:`simple_bound`.
    """
    t0 = perf_counter()
    n = model.n_cols
    if n == 0:
        return ModelSolution(np.zeros(0), 0.0, 0.0, 0.0, "optimal", {"solve_seconds": 0.0, "method": "empty"})
    start = greedy(model)
    stats: dict[str, Any] = {"greedy_seconds": perf_counter() - t0, "greedy_objective": float(model.cost @ start)}
    x, bound, name = start, simple_bound(model), "time_limit"

    def remaining() -> float | None:
        return None if time_limit is None else time_limit - (perf_counter() - t0)

    if n > LP_FIRST_COLUMNS:
        t_lp = perf_counter()
        h = _highs(model, seed=seed, time_limit=remaining(), integer=False)
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        # measured at 20,000 listings: 11.2 s with presolve and the default tolerance, 8.5 s without
        # presolve at 1e-5 (the bound comes from the duals, so it stays valid at any tolerance)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("ipm_optimality_tolerance", 1e-5)
        h.run()
        sol = h.getSolution()
        stats.update(lp_seconds=perf_counter() - t_lp, ipm_iterations=int(h.getInfo().ipm_iteration_count),
                     lp_status=h.modelStatusToString(h.getModelStatus()))
        # any prices give a valid bound, so an LP that stopped short of its tolerance still helps
        if sol.value_valid and sol.dual_valid:
            name = "feasible"
            lp_x = np.asarray(sol.col_value)
            stats["lp_objective"] = float(h.getInfo().objective_function_value)
            stats["lp_bound"] = lagrangian_bound(model, np.asarray(sol.row_dual))
            bound = min(bound, stats["lp_bound"])
            rounded = greedy(model, priority=lp_x)
            stats["rounded_objective"] = float(model.cost @ rounded)
            if model.cost @ rounded > model.cost @ x:
                x = rounded
            # local search over the columns the LP uses or nearly prices in, most used first
            rc = model.cost - model.A.T @ np.maximum(np.asarray(sol.row_dual), 0.0)
            near = np.flatnonzero((lp_x > 1e-3) | (rc > -IMPROVE_REDUCED_COST))
            x = improve(model, x, near[np.lexsort((near, -rc[near], -np.round(lp_x[near], 3)))])
            stats["improved_objective"] = float(model.cost @ x)
            left = remaining()
            # without a time limit, branch and bound over every column follows and finds the optimum
            if (left is None and n > MIP_MAX_COLUMNS) or (left is not None and left > 0):
                t_sub = perf_counter()
                support = np.flatnonzero((lp_x > 1e-3) | (x > 0.5))
                x, *_ = _mip(model, x, seed=seed, time_limit=left, cols=support, max_nodes=SUPPORT_MIP_NODES)
                stats.update(support_columns=int(support.size), support_objective=float(model.cost @ x),
                             support_seconds=perf_counter() - t_sub)
    left = remaining()
    if n <= MIP_MAX_COLUMNS and (left is None or left > 0):
        x, mip_bound, proven, mip = _mip(model, x, seed=seed, time_limit=left)
        bound = min(bound, mip_bound)
        stats.update(mip)
        name = "optimal" if proven else "time_limit"
    objective = float(model.cost @ x)
    bound = max(float(math.floor(bound + 1e-6)), objective)
    if bound <= objective:
        name = "optimal"
    gap = (bound - objective) / max(1.0, abs(objective))
    stats["solve_seconds"] = perf_counter() - t0
    return ModelSolution(x, objective, bound, float(gap), name, stats)


def simple_bound(model: MarketModel) -> float:
    """An upper bound that needs no LP: every need is met at most once, and so is every offer given.

    Each leg earns at most its score, plus the bonus where it can be given in a ring or chain, so the
    sum over needs (or over offers) of their best leg bounds any packing. Used when a time limit
    stops HiGHS before its own bound exists.
    """
    if model.n_cols == 0:
        return 0.0
    cands = model.cands
    widths = np.diff(model.col_legs.indptr)
    col = np.repeat(np.arange(model.n_cols), widths)
    leg = model.col_legs.indices
    leg_best = np.zeros(cands.size)
    np.maximum.at(leg_best, leg, np.where(model.col_kind[col] == PAIR, 0, model.stats["bonus"]) + cands.score[leg])
    need_best = np.zeros(len(cands.listings))
    offer_best = np.zeros(len(cands.listings))
    np.maximum.at(need_best, cands.need, leg_best)
    np.maximum.at(offer_best, cands.offer, leg_best)
    return float(min(need_best.sum(), offer_best.sum()))


def decode(model: MarketModel, sol: ModelSolution) -> list[tuple[str, list[int]]]:
    """The chosen columns as (shape, candidate rows in giving order): rings, chains, pairs.

    Chains are read off the flow: at each member and position, the chains arriving (in order of
    their legs) take the legs it gives at the next position (in order), so the same solution
    always reads the same way.
    """
    chosen = np.flatnonzero(sol.x > 0.5)
    kind = model.col_kind[chosen]
    out: list[tuple[str, list[int]]] = []
    for j in chosen[kind == CYCLE]:
        out.append(("cycle", model.legs_of(int(j))))
    cands = model.cands
    chain_cols = chosen[kind == CHAIN]
    if chain_cols.size:
        leg = model.col_legs.indices[model.col_legs.indptr[chain_cols]]
        pos = model.chain_pos[chain_cols]
        giver = cands.member[cands.offer[leg]]
        receiver = cands.member[cands.need[leg]]
        chains: list[list[int]] = []
        ends: dict[int, list[list[int]]] = {}
        first = np.flatnonzero(pos == 1)
        for i in first[np.argsort(leg[first])]:
            chains.append([int(leg[i])])
            ends.setdefault(int(receiver[i]), []).append(chains[-1])
        for p in range(2, int(pos.max()) + 1):
            nxt: dict[int, list[list[int]]] = {}
            at = np.flatnonzero(pos == p)
            for i in at[np.lexsort((leg[at], giver[at]))]:
                waiting = ends.get(int(giver[i]))
                if not waiting:
                    raise RuntimeError("internal error: a chain leg with no chain arriving")
                ch = waiting.pop(0)
                ch.append(int(leg[i]))
                nxt.setdefault(int(receiver[i]), []).append(ch)
            ends = nxt
        out.extend(("chain", ch) for ch in chains)
    for j in chosen[kind == PAIR]:
        out.append(("pair", model.legs_of(int(j))))
    return out


def legs_chosen(model: MarketModel, sol: ModelSolution) -> int:
    """Needs met by a solution: legs over all chosen columns."""
    widths = np.diff(model.col_legs.indptr)
    return int(widths[sol.x > 0.5].sum())
