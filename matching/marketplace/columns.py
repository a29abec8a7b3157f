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

With the failure-aware objective (``Policy(objective="expected")``) each column is worth the
points expected to go ahead (:mod:`~matching.marketplace.expected`), in hundredths of a point
(whole numbers, so an absolute gap below 1 still proves the optimum). A chain's legs are then
worth less the further they are from the gift, by a product over every party before them, which
chain positions cannot carry: gift chains become whole columns instead (``PATH``), grown from
each gift one leg at a time, each gift keeping its best ``policy.max_chains_per_gift`` chains of
each length.

Rows: every listing is used at most once; the chain flow rows; and the credit rule (see
``docs/matching.md`` and :func:`shortfalls`): each exchange is paid for on its own, so a member's
shortfalls (what it receives minus what it gives in a ring; what it receives in a pair or a chain)
add up to at most ``max(balance + limit, 0)``. A column that alone is short of more than that is
never built, and each credit row gets a Chvatal-Gomory cut ("at most one column short of more
than half the room").

The programme is a set packing with a few side rows, a :class:`~matching.engine.Programme` solved
by the clearing engine (:mod:`matching.engine`), the same engine as the kidney-exchange and
math-trade benchmarks measure, with :data:`MARKET_OPTIONS` and this module's greedy packings as
its starts (:func:`solve_model`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np
from scipy import sparse

from ..cycles import Adjacency, enumerate_cycles
from ..engine import Engine, Programme, greedy
from ..options import Options
from .acceptance import AcceptanceModel
from .candidates import Candidates
from .expected import CHAIN, CYCLE, FLOW, PAIR, PATH, LegOdds
from .types import Market, Policy

#: Expected points are costed in hundredths of a point.
EXPECTED_SCALE = 100

#: The engine's options for the marketplace, tuned on its synthetic markets (``bench/marketplace.py``):
#: programmes up to 2,000 columns go to one MIP; larger ones get the LP by interior point over
#: every column at once (no column generation: the whole LP was faster), without crossover or
#: presolve, at tolerance 1e-5 (the bound comes from the duals, valid at any tolerance); then a
#: node-limited MIP over the LP's support (deterministic, unlike a time limit; skipped without a
#: time limit when branch and bound over the kept columns follows anyway); no branch and
#: bound over more than 20,000 columns (HiGHS's presolve alone ran for minutes at 170,000), and
#: HiGHS's heuristics on in it (they find most of its improvements on these markets). The
#: match's own time limit already keeps a margin for HiGHS, so the final MIP gets all that is left.
MARKET_OPTIONS = Options(
    direct_mip_columns=2_000, mip_max_columns=20_000,
    lp_method="ipm", lp_crossover=False, lp_presolve=False, ipm_tolerance=1e-5, cg_initial_columns=2**62,
    incumbent_seconds=None, incumbent_share=1.0, incumbent_nodes=200, incumbent_pool_min=0, incumbent_pool_max=0,
    incumbent_before_proof=False,
    final_mip_share=1.0, final_mip_reserve=0.0, final_mip_heuristics=True,
)

#: Chvatal-Gomory cuts added for each credit row (k: "columns short of more than room / k, weighted,
#: at most k - 1"). k = 2 closes a third of the LP's gap on the synthetic markets; more cost LP time.
CREDIT_CUTS = (2,)


@dataclass
class MarketModel(Programme):
    """The marketplace's programme (a :class:`~matching.engine.Programme`; its packing rows are
    the listings).

    Columns, in order: cycles (by length), chain leg-positions (or, with the expected
    objective, whole chains), pairs, and (for the bound on rings of any length only) flow legs.
    ``col_kind`` tells which; ``col_legs`` lists each column's candidate rows (CSR:
    ``col_legs.indices[col_legs.indptr[j]:col_legs.indptr[j + 1]]``, in giving order);
    ``chain_pos`` is the position of a chain column (0 for others); costs are points times
    ``scale`` (1, or :data:`EXPECTED_SCALE` for expected points).
    """

    col_kind: np.ndarray
    col_legs: sparse.csr_matrix
    chain_pos: np.ndarray
    cands: Candidates
    stats: dict[str, Any] = field(default_factory=dict)
    scale: int = 1

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


# -- the member graph and its rings --------------------------------------------------------------


class MemberGraph:
    """Non-gift legs grouped by (giver member, receiver member): the hops of a ring.

    ``adj`` is the graph of members with one arc per hop (the engine's :class:`Adjacency`, whose
    cycles are the rings); ``legs[start[h]:start[h] + count[h]]`` are the parallel legs of hop ``h``.
    """

    def __init__(self, n_members: int, giver: np.ndarray, receiver: np.ndarray, legs: np.ndarray) -> None:
        order = np.lexsort((legs, receiver, giver))
        self.legs = legs[order]                      # leg rows sorted by hop
        key = giver[order].astype(np.int64) * n_members + receiver[order]
        key, self.start, counts = np.unique(key, return_index=True, return_counts=True)
        self.count = counts.astype(np.int64)         # parallel legs per hop
        self.adj = Adjacency(n_members, key // n_members, key % n_members)

    @property
    def n_hops(self) -> int:
        return int(self.adj.src.size)

    def rings(self, max_len: int) -> dict[int, np.ndarray]:
        """Member cycles of 2..max_len members, lowest member first, each once (:func:`enumerate_cycles`)."""
        return enumerate_cycles(self.adj, max_len)

    def expand(self, cycles: np.ndarray) -> np.ndarray:
        """Member cycles (count x k) to leg cycles: one row per choice of parallel leg on each hop."""
        count, k = cycles.shape
        if count == 0:
            return np.empty((0, k), dtype=np.int64)
        hops = self.adj.arc_ids(cycles.ravel(), np.roll(cycles, -1, axis=1).ravel()).reshape(count, k)
        mult = self.count[hops]
        total = mult.prod(axis=1)
        row = np.repeat(np.arange(count), total)
        local = np.arange(int(total.sum())) - np.repeat(np.cumsum(total) - total, total)
        out = np.empty((row.size, k), dtype=np.int64)
        for i in range(k - 1, -1, -1):
            m = mult[row, i]
            out[:, i] = self.legs[self.start[hops[row, i]] + local % m]
            local //= m
        return out


def member_graph(market: Market, cands: Candidates) -> MemberGraph:
    """The member graph of the candidate legs that are not gifts."""
    gift = np.fromiter((x.is_gift for x in cands.listings), dtype=bool, count=len(cands.listings))
    paid = np.flatnonzero(~gift[cands.offer])
    return MemberGraph(len(market.members), cands.member[cands.offer[paid]], cands.member[cands.need[paid]], paid)


# -- the programme ----------------------------------------------------------------------------------


def shortfalls(cands: Candidates, ic: np.ndarray, il: np.ndarray, ikind: np.ndarray, ipos: np.ndarray,
               receiver: np.ndarray, giver: np.ndarray, n_members: int, n_cols: int,
               ifirst: np.ndarray | None = None) -> sparse.csr_matrix:
    """Credits each member is short in each column (members x columns): the credit rule.

    Each exchange is paid for on its own. In a ring a member is short what it receives minus what
    it gives, if that is positive; in a pair or a gift chain it is short what it receives (a
    chain's help arrives before the member passes it on, so passing on does not pay for it; the
    gift itself moves nothing). What a member earns in one exchange never pays for another, so
    however many of a run's exchanges are declined, nobody ends below its limit. Flow legs (the
    bound on rings of any length) are short nothing. ``ifirst`` marks each column's first leg
    (a whole chain's gift).
    """
    credits = cands.credits[il]
    pays = (ikind != FLOW) & ~((ikind == CHAIN) & (ipos == 1)) & (credits > 0)
    if ifirst is not None:
        pays &= ~((ikind == PATH) & ifirst)
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
                max_chain: int | None = None, any_length_cycles: bool = False,
                odds: LegOdds | None = None) -> MarketModel:
    """The integer programme for ``cands`` under ``policy`` (see the module docstring).

    Parameters
    ----------
    market, cands, policy
    max_cycle, max_chain : int, optional
        Override the policy's ring and chain lengths (members, legs).
    any_length_cycles : bool
        Instead of enumerating rings, allow rings of any length with one variable per leg and
        "gives as often as it receives" per member: an upper bound for every K (the K report).
    odds : LegOdds, optional
        With the expected objective, the chances to weigh columns by (default: from
        ``market.acceptance``, or the prior when the market has none).

    Notes
    -----
    Time is dominated by ring enumeration, ``O(n d^ceil(K/2))`` for n members of average degree
    d in the member graph, and by the ``O(C L)`` chain variables for C candidate legs.
    """
    t0 = perf_counter()
    legs = _Legs(market, cands)
    K = policy.max_cycle if max_cycle is None else max_cycle
    L = policy.max_chain if max_chain is None else max_chain
    stats: dict[str, Any] = {}
    expected = policy.objective == "expected"
    if expected and odds is None:
        odds = LegOdds(market, cands, market.acceptance or AcceptanceModel.prior())
    bonus = int(policy.weights.reciprocity)
    blocks = _ring_blocks(legs, K, any_length_cycles, stats)
    if expected:
        blocks += _path_blocks(legs, cands, L, odds, bonus, policy.max_chains_per_gift, stats)
    else:
        blocks += _chain_blocks(legs, L, stats)
    if policy.allow_pairs:
        blocks.append((PAIR, legs.paid[:, None], np.zeros(legs.paid.size, dtype=np.int64)))
    stats["pairs"] = int(legs.paid.size) if policy.allow_pairs else 0
    scale = EXPECTED_SCALE if expected else 1
    cols = _Columns(blocks, cands.score.astype(np.int64), bonus, odds if expected else None, scale)
    room = np.array([max(float(m.balance + m.credit_limit), 0.0) for m in market.members]) \
        if legs.n_members else np.zeros(0)
    short = cols.affordable(cands, legs, room, stats)
    rows = _Rows(cols)
    rows.listings(cands, stats)
    if stats["chain_variables"] and L >= 2 and not expected:
        rows.chain_flow(legs, L, stats)
    if any_length_cycles and legs.paid.size:
        rows.ring_flow(legs)
    rows.credits(cands, legs, short, room, stats)
    A = sparse.csc_matrix((np.concatenate(rows.val), (np.concatenate(rows.row), np.concatenate(rows.col))),
                          shape=(rows.n, cols.n))
    A.sum_duplicates()
    A.eliminate_zeros()
    stats.update(columns=cols.n, rows=rows.n, nonzeros=int(A.nnz), bonus=cols.bonus, scale=scale)
    stats["build_seconds"] = perf_counter() - t0
    col_legs = sparse.csr_matrix((np.ones(cols.il.size), cols.il, np.r_[0, np.cumsum(cols.widths)]),
                                 shape=(cols.n, max(cands.size, 1)))
    return MarketModel(cols.cost, A, np.concatenate(rows.lo), np.concatenate(rows.hi), stats["listing_rows"],
                       cols.kind, col_legs, cols.chain_pos, cands, stats, scale)


class _Legs:
    """The candidate legs as the programme sees them: giver and receiver members, gifts, paid legs."""

    def __init__(self, market: Market, cands: Candidates) -> None:
        self.n_members = len(market.members)
        self.n_listings = len(cands.listings)
        gift_listing = np.fromiter((x.is_gift for x in cands.listings), dtype=bool, count=self.n_listings)
        self.all = np.arange(cands.size)
        self.giver = cands.member[cands.offer]
        self.receiver = cands.member[cands.need]
        self.gift = gift_listing[cands.offer]
        self.paid = self.all[~self.gift]


Block = tuple[int, np.ndarray, np.ndarray]   # (kind, columns x legs, chain position of each column)


def _ring_blocks(legs: _Legs, K: int, any_length: bool, stats: dict[str, Any]) -> list[Block]:
    """Rings of 2..K members, each expanded over the parallel legs of its hops; or, for the bound
    on rings of any length, one flow column per paid leg."""
    graph = MemberGraph(legs.n_members, legs.giver[legs.paid], legs.receiver[legs.paid], legs.paid)
    stats["member_hops"] = graph.n_hops
    blocks: list[Block] = []
    counts: dict[int, int] = {}
    if any_length:
        blocks.append((FLOW, legs.paid[:, None], np.zeros(legs.paid.size, dtype=np.int64)))
    elif K >= 2 and graph.n_hops:
        for k, cyc in graph.rings(K).items():
            leg_cycles = graph.expand(cyc)
            counts[k] = int(leg_cycles.shape[0])
            if leg_cycles.shape[0]:
                blocks.append((CYCLE, leg_cycles, np.zeros(leg_cycles.shape[0], dtype=np.int64)))
    stats["rings"] = sum(counts.values())
    stats["rings_by_length"] = counts
    return blocks


def _chain_blocks(legs: _Legs, L: int, stats: dict[str, Any]) -> list[Block]:
    """Chain leg-positions: gifts at position 1, then paid legs whose giver can receive at the
    position before."""
    blocks: list[Block] = []
    total = 0
    at = legs.all[legs.gift]
    reach = np.zeros(legs.n_members, dtype=bool)
    for p in range(1, L + 1):
        if p > 1:
            at = legs.paid[reach[legs.giver[legs.paid]]]
        if at.size == 0:
            break
        blocks.append((CHAIN, at[:, None], np.full(at.size, p, dtype=np.int64)))
        total += at.size
        reach = np.zeros(legs.n_members, dtype=bool)
        reach[legs.receiver[at]] = True
    stats["chain_variables"] = total
    return blocks


def _path_blocks(legs: _Legs, cands: Candidates, L: int, odds: LegOdds, bonus: int, per_gift: int,
                 stats: dict[str, Any]) -> list[Block]:
    """Whole gift chains of 1..L legs: each gift leg, then paid legs whose giver received the leg
    before, no listing twice; each gift keeps its best ``per_gift`` chains of each length (by
    expected points), the chains of one length growing the next."""
    blocks: list[Block] = []
    total = dropped = 0
    mat = legs.all[legs.gift][:, None]
    paid = legs.paid[np.argsort(legs.giver[legs.paid], kind="stable")]
    paid_giver = legs.giver[paid]
    score = cands.score.astype(float) + bonus
    for p in range(1, L + 1):
        if p > 1:
            last = legs.receiver[mat[:, -1]]
            lo = np.searchsorted(paid_giver, last, side="left")
            cnt = np.searchsorted(paid_giver, last, side="right") - lo
            row = np.repeat(np.arange(mat.shape[0]), cnt)
            nxt = paid[np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
                       + np.repeat(lo, cnt)]
            fresh = ~np.any(cands.offer[mat[row]] == cands.offer[nxt][:, None], axis=1)
            fresh &= ~np.any(cands.need[mat[row]] == cands.need[nxt][:, None], axis=1)
            mat = np.concatenate([mat[row[fresh]], nxt[fresh][:, None]], axis=1)
        if mat.shape[0] == 0:
            break
        value = (score[mat] * odds.chances(PATH, mat)).sum(axis=1)
        order = np.lexsort(tuple(mat[:, i] for i in range(p - 1, -1, -1)) + (-value, mat[:, 0]))
        gift = mat[order, 0]
        starts = np.r_[0, np.flatnonzero(gift[1:] != gift[:-1]) + 1]
        rank = np.arange(gift.size) - np.repeat(starts, np.diff(np.r_[starts, gift.size]))
        keep = np.sort(order[rank < per_gift])
        dropped += int(mat.shape[0] - keep.size)
        mat = mat[keep]
        blocks.append((PATH, mat, np.zeros(mat.shape[0], dtype=np.int64)))
        total += int(mat.shape[0])
    stats["chain_variables"] = total
    stats["chains_dropped"] = dropped
    return blocks


class _Columns:
    """The blocks flattened: each column's kind, cost, chain position, and (column, leg) incidences."""

    def __init__(self, blocks: list[Block], score: np.ndarray, bonus: int, odds: LegOdds | None = None,
                 scale: int = 1) -> None:
        self.bonus = bonus
        kinds, costs, positions, inc_col, inc_leg, widths, firsts = [], [], [], [], [], [], []
        n = 0
        for kind, mat, pos in blocks:
            count, width = mat.shape
            kinds.append(np.full(count, kind, dtype=np.int8))
            positions.append(pos)
            value = score[mat] + (0 if kind == PAIR else bonus)   # a ring or chain leg earns the bonus
            if odds is None:
                costs.append(value.sum(axis=1).astype(np.float64))
            else:
                costs.append(np.rint(scale * (value * odds.chances(kind, mat)).sum(axis=1)))
            inc_col.append(np.repeat(np.arange(n, n + count), width))
            inc_leg.append(mat.ravel())
            widths.append(np.full(count, width, dtype=np.int64))
            firsts.append(np.tile(np.arange(width) == 0, count))
            n += count
        self.n = n
        self.kind = _cat(kinds, np.int8)
        self.cost = _cat(costs, np.float64)
        self.chain_pos = _cat(positions, np.int64)
        self.ic = _cat(inc_col, np.int64)
        self.il = _cat(inc_leg, np.int64)
        self.widths = _cat(widths, np.int64)
        self.ifirst = _cat(firsts, bool)

    def affordable(self, cands: Candidates, legs: _Legs, room: np.ndarray, stats: dict[str, Any]) -> sparse.csr_matrix:
        """Drop the columns in which a member alone is short of more than it may spend; the
        shortfalls (members x columns) of those kept."""
        short = shortfalls(cands, self.ic, self.il, self.kind[self.ic], self.chain_pos[self.ic], legs.receiver,
                           legs.giver, legs.n_members, self.n, self.ifirst)
        sc = short.tocoo()
        unaffordable = np.zeros(self.n, dtype=bool)
        unaffordable[sc.col[sc.data > room[sc.row] + 1e-9]] = True
        stats["unaffordable_columns"] = int(unaffordable.sum())
        if not unaffordable.any():
            return short.tocsr()
        keep = ~unaffordable
        new_index = np.cumsum(keep) - 1
        inc_keep = keep[self.ic]
        self.ic, self.il, self.ifirst = new_index[self.ic[inc_keep]], self.il[inc_keep], self.ifirst[inc_keep]
        self.kind, self.cost, self.chain_pos, self.widths = (self.kind[keep], self.cost[keep], self.chain_pos[keep],
                                                             self.widths[keep])
        self.n = int(keep.sum())
        return short[:, np.flatnonzero(keep)].tocsr()


class _Rows:
    """The programme's rows, added kind by kind as (row, column, value) entries and bounds."""

    def __init__(self, cols: _Columns) -> None:
        self.cols = cols
        self.ikind = cols.kind[cols.ic]     # per incidence: its column's kind and chain position
        self.ipos = cols.chain_pos[cols.ic]
        self.row: list[np.ndarray] = []
        self.col: list[np.ndarray] = []
        self.val: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n = 0

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        self.row.append(rows)
        self.col.append(cols)
        self.val.append(vals)

    def bounds(self, count: int, lo: float | np.ndarray, hi: float | np.ndarray) -> None:
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)).copy())
        self.n += count

    def listings(self, cands: Candidates, stats: dict[str, Any]) -> None:
        """Every listing is used at most once (the packing rows, first)."""
        ic, il = self.cols.ic, self.cols.il
        used = np.unique(np.concatenate([cands.offer[il], cands.need[il]]))
        listing_row = np.full(len(cands.listings), -1, dtype=np.int64)
        listing_row[used] = np.arange(used.size)
        self.add(listing_row[cands.offer[il]], ic, np.ones(il.size))
        self.add(listing_row[cands.need[il]], ic, np.ones(il.size))
        self.bounds(used.size, -np.inf, 1.0)
        stats["listing_rows"] = int(used.size)

    def chain_flow(self, legs: _Legs, L: int, stats: dict[str, Any]) -> None:
        """Legs given by member B at position p + 1 <= legs B received at p."""
        ic, il, ipos = self.cols.ic, self.cols.il, self.ipos
        chain = self.ikind == CHAIN
        out_key = legs.giver[il] * (L + 1) + (ipos - 1)      # (B, p) for a leg given at p + 1
        in_key = legs.receiver[il] * (L + 1) + ipos          # (B, p) for a leg received at p
        needed = np.unique(out_key[chain & (ipos >= 2)])
        flow_row = np.full(legs.n_members * (L + 1), -1, dtype=np.int64)
        flow_row[needed] = self.n + np.arange(needed.size)
        give = chain & (ipos >= 2)
        take = chain & (ipos < L) & (flow_row[in_key] >= 0)
        self.add(flow_row[out_key[give]], ic[give], np.ones(int(give.sum())))
        self.add(flow_row[in_key[take]], ic[take], -np.ones(int(take.sum())))
        self.bounds(needed.size, -np.inf, 0.0)
        stats["flow_rows"] = int(needed.size)

    def ring_flow(self, legs: _Legs) -> None:
        """Rings of any length: every member gives as often as it receives."""
        ic, il = self.cols.ic, self.cols.il
        flow = self.ikind == FLOW
        members_in = np.unique(np.concatenate([legs.giver[il[flow]], legs.receiver[il[flow]]]))
        row_of = np.full(legs.n_members, -1, dtype=np.int64)
        row_of[members_in] = self.n + np.arange(members_in.size)
        self.add(row_of[legs.giver[il[flow]]], ic[flow], np.ones(int(flow.sum())))
        self.add(row_of[legs.receiver[il[flow]]], ic[flow], -np.ones(int(flow.sum())))
        self.bounds(members_in.size, 0.0, 0.0)

    def credits(self, cands: Candidates, legs: _Legs, short: sparse.csr_matrix, room: np.ndarray,
                stats: dict[str, Any]) -> None:
        """A member's shortfalls over the exchanges it takes part in fit within what it may
        spend (members whose needs could never overspend get no row), with Chvatal-Gomory cuts."""
        ic, il = self.cols.ic, self.cols.il
        sc = short.tocoo()
        paying = (self.ikind != FLOW) & ~((self.ikind == CHAIN) & (self.ipos == 1)) \
            & ~((self.ikind == PATH) & self.cols.ifirst)
        worst = np.zeros(legs.n_listings)               # each need's largest shortfall in any column
        np.maximum.at(worst, cands.need[il[paying]], np.asarray(short[legs.receiver[il[paying]], ic[paying]]).ravel())
        could_spend = np.zeros(legs.n_members)
        np.add.at(could_spend, cands.member[np.flatnonzero(worst)], worst[worst > 0])
        binding = np.flatnonzero(could_spend > room + 1e-9)
        stats["credit_rows"] = int(binding.size)
        if not binding.size:
            return
        row_of = np.full(legs.n_members, -1, dtype=np.int64)
        row_of[binding] = np.arange(binding.size)
        on = row_of[sc.row] >= 0
        rr, cc, vv = row_of[sc.row[on]], sc.col[on], sc.data[on]
        self.add(self.n + rr, cc, vv)
        self.bounds(binding.size, -np.inf, room[binding])
        # each row's cut: at most k - 1 columns short of more than room / k (weighted)
        R = room[binding][rr]
        for k in CREDIT_CUTS:
            v = np.floor(k * vv / (R * (1 + 1e-9)) + 1e-12) if R.size else vv
            cut = v > 0
            members_cut = np.unique(rr[cut])
            cut_row = np.full(binding.size, -1, dtype=np.int64)
            cut_row[members_cut] = self.n + np.arange(members_cut.size)
            self.add(cut_row[rr[cut]], cc[cut], v[cut])
            self.bounds(members_cut.size, -np.inf, k - 1.0)


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)


# -- solving ------------------------------------------------------------------------------------------


def greedy_order(model: MarketModel, priority: np.ndarray | None = None) -> np.ndarray:
    """The order the greedy packing takes columns in: chains (by position), then rings, then pairs,
    each best points per leg first; with ``priority`` (an LP solution), in order of it first
    (rounded to 0.001, so near-ties fall back to the order above). Of the orders tried on
    synthetic markets, this one started closest to the optimum."""
    n = model.n_cols
    widths = np.diff(model.col_legs.indptr)
    shape_rank = np.choose(model.col_kind, [1, 0, 2, 1, 0])     # chains, rings (and flow legs), pairs
    keys = [np.arange(n), -model.cost / np.maximum(widths, 1), model.chain_pos, shape_rank]
    if priority is not None:
        keys.append(-np.round(priority, 3))
    return np.lexsort(keys)


class MarketEngine(Engine):
    """The engine with the marketplace's greedy packings as its starts and its simple bound."""

    def __init__(self, model: MarketModel, options: Options, *, deadline: float | None) -> None:
        super().__init__(model, options, deadline=deadline)
        self.model = model

    def first_packing(self) -> np.ndarray:
        return greedy(self.model, greedy_order(self.model))

    def lp_packing(self, x_lp: np.ndarray) -> np.ndarray:
        x = greedy(self.model, greedy_order(self.model, x_lp))
        self.stats["rounded"] = self.value(x)
        return x

    def simple_bound(self) -> float:
        return simple_bound(self.model)


def solve_model(model: MarketModel, *, time_limit: float | None = None,
                options: Options = MARKET_OPTIONS) -> ModelSolution:
    """The best packing found, with a certified bound; exact when the programme is small enough.

    The engine's pipeline (:class:`matching.engine.Engine`) with :data:`MARKET_OPTIONS`: the
    greedy packing first (so under a time limit the answer is never worse); a programme of at
    most ``direct_mip_columns`` goes to HiGHS's branch and bound whole; a larger one gets the LP
    bound (interior point), a greedy packing in order of LP value, the local search, a MIP over
    the LP's support, reduced-cost fixing and branch and bound over the columns kept (at most
    ``mip_max_columns``; otherwise the best packing with the LP bound, ``"feasible"``). Scores
    are whole points, so an absolute gap below 1 proves the optimum.

    Parameters
    ----------
    model : MarketModel
    time_limit : float, optional
        Seconds for all of it; past them the best packing found is returned.
    options : Options
        The engine's options (HiGHS's seed among them).

    Returns
    -------
    ModelSolution
        ``status`` is ``"optimal"`` (proven), ``"time_limit"`` (stopped; best found), or
        ``"feasible"`` (too large for branch and bound: the best LP-guided packing). ``gap`` says
        how far from the optimum the answer can be. The bound is never above :func:`simple_bound`.
    """
    t0 = perf_counter()
    deadline = None if time_limit is None else t0 + max(float(time_limit), 0.0)
    engine = MarketEngine(model, options, deadline=deadline)
    out = engine.solve()
    stats = engine.stats
    stats["solve_seconds"] = perf_counter() - t0
    gap = (out.bound - out.objective) / max(1.0, abs(out.objective))
    return ModelSolution(out.x, out.objective, out.bound, float(gap), out.status, stats)


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
    np.maximum.at(leg_best, leg, model.scale * (np.where(model.col_kind[col] == PAIR, 0, model.stats["bonus"])
                                               + cands.score[leg]))
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
    for j in chosen[kind == PATH]:
        out.append(("chain", model.legs_of(int(j))))
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
