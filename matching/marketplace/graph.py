"""Candidate legs to a clearing-engine instance, and the engine's answer back to legs.

Vertices are listings. A cycle alternates between members and listings::

    need of A --(A gives back)--> offer of A --(leg, scored)--> need of B --> offer of B --> ...

so a cycle of K members is an engine cycle of 2K arcs. Vertex kinds, by id prefix:

* ``("n", i)`` a need; ``("o", i)`` an offer given in cycles and chains (cycle offers);
* ``("g", i)`` a gift offer: an altruist that starts a chain; a chain of L legs is ``2L - 1``
  arcs (it ends on a need);
* ``("p", i)`` the same offer sold for credits in a direct pair: an altruist whose only arcs go to
* ``("t", j)`` a terminal copy of need ``j`` that gives nothing on, so a pair is one leg, never a
  chain of paid legs.

Side constraints (``lower <= row @ chosen arcs <= upper``) tie the copies together and keep credit:

* ``offer:i`` an offer is given once, in a cycle or chain or as a pair;
* ``need:j`` a need is met once, by a cycle or chain or by a pair;
* ``credit:m`` ``balance + earned - spent >= min(-limit, balance)`` over the run, where every leg but a gift
  moves its credits from receiver to giver, except that credits earned by selling in a pair do
  not count: a member who can only afford what it gets because it also gives in the same run is
  put in a cycle or chain (one exchange, accepted or declined as a whole), never in loose pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from ..instance import Instance, SideConstraint, Solution
from .candidates import Candidates
from .types import Market, Policy


@dataclass(frozen=True, eq=False)
class MarketInstance(Instance):
    """An engine :class:`~matching.Instance` whose side constraints come as a ready sparse matrix.

    The base class builds its side-constraint matrix from per-arc dictionaries, one lookup per
    coefficient; at 20,000 listings there are hundreds of thousands of coefficients, so this
    extension carries the matrix built with numpy. ``side_constraints`` holds one entry per row
    (its name and bounds, with no coefficients) so the solver sees that side constraints exist.
    """

    side_rows: Any = None

    def side_constraint_matrix(self) -> tuple[Any, np.ndarray, np.ndarray]:
        return self.side_rows


@dataclass
class MarketGraph:
    """The engine instance plus what is needed to read its answer as legs."""

    instance: MarketInstance
    leg_of_arc: dict[tuple[tuple[str, int], tuple[str, int]], int]  # arc -> candidate row
    max_cycle_arcs: int
    max_chain_arcs: int
    stats: dict[str, int]


def build_graph(market: Market, cands: Candidates, policy: Policy, *, max_cycle: int | None = None,
                max_chain: int | None = None) -> MarketGraph:
    """Build the engine instance for ``cands`` under ``policy`` (see the module docstring).

    Parameters
    ----------
    market : Market
    cands : Candidates
    policy : Policy
    max_cycle, max_chain : int, optional
        Override the policy's cycle and chain lengths (in members and legs).

    Returns
    -------
    MarketGraph

    Notes
    -----
    O(C + sum over members of needs x offers) arcs for C candidate legs.
    """
    K = policy.max_cycle if max_cycle is None else max_cycle
    L = policy.max_chain if max_chain is None else max_chain
    lst = cands.listings
    member = cands.member
    gift = np.fromiter((x.is_gift for x in lst), dtype=bool, count=len(lst))
    o, nd, score = cands.offer, cands.need, cands.score
    is_gift = gift[o]
    cyc = ~is_gift
    # an offer gives in cycles and chains only if its member has a need that can be met
    has_need = np.zeros(len(market.members), dtype=bool)
    has_need[member[np.unique(nd)]] = True
    cycle_leg = cyc & has_need[member[o]]
    cycle_offers = np.unique(o[cycle_leg])
    pair_leg = cyc & policy.allow_pairs
    gift_leg = is_gift & (L > 0)

    # vertex ids (stable order: needs, cycle offers, gifts, paid copies, terminal copies)
    need_v = np.unique(nd[cycle_leg | gift_leg])
    gift_v = np.unique(o[gift_leg])
    paid_v = np.unique(o[pair_leg])
    term_v = np.unique(nd[pair_leg])
    blocks = [("n", need_v), ("o", cycle_offers), ("g", gift_v), ("p", paid_v), ("t", term_v)]
    ids: list[tuple[str, int]] = []
    base: dict[str, np.ndarray] = {}
    for tag, arr in blocks:
        lookup = np.full(len(lst), -1, dtype=np.int64)
        lookup[arr] = np.arange(len(ids), len(ids) + arr.size)
        base[tag] = lookup
        ids.extend((tag, int(lst[i].id)) for i in arr)
    n_vert = len(ids)

    # arcs: (src, dst, weight, candidate row or -1, credit coefficient kind)
    rows = np.arange(o.size)
    parts_src, parts_dst, parts_w, parts_row = [], [], [], []

    def add(src, dst, w, row):
        parts_src.append(src)
        parts_dst.append(dst)
        parts_w.append(w)
        parts_row.append(row)

    bonus = policy.weights.reciprocity
    add(base["o"][o[cycle_leg]], base["n"][nd[cycle_leg]], score[cycle_leg] + bonus, rows[cycle_leg])
    add(base["g"][o[gift_leg]], base["n"][nd[gift_leg]], score[gift_leg] + bonus, rows[gift_leg])
    add(base["p"][o[pair_leg]], base["t"][nd[pair_leg]], score[pair_leg], rows[pair_leg])
    # member-internal "gives back" links: each need vertex of a member to each of its cycle offers
    nm, om = member[need_v], member[cycle_offers]
    o_sort = np.argsort(om, kind="stable")
    lo = np.searchsorted(om[o_sort], nm, side="left")
    hi = np.searchsorted(om[o_sort], nm, side="right")
    cnt = hi - lo
    rep = np.repeat(np.arange(need_v.size), cnt)
    pos = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    internal_src = base["n"][need_v[rep]]
    internal_dst = base["o"][cycle_offers[o_sort[pos]]]
    add(internal_src, internal_dst, np.zeros(internal_src.size), np.full(internal_src.size, -1))
    src = np.concatenate(parts_src).astype(np.int64)
    dst = np.concatenate(parts_dst).astype(np.int64)
    w = np.concatenate(parts_w).astype(np.float64)
    crow = np.concatenate(parts_row).astype(np.int64)
    altruists = np.concatenate([base["g"][gift_v], base["p"][paid_v]]).astype(np.int64)
    inst0 = Instance.from_arrays(src, dst, w, n_vertices=n_vert, altruists=altruists, ids=ids)
    # arc k of the instance <- my arc; the instance sorts by (src, dst) and keeps all mine (no repeats)
    key = inst0.src.astype(np.int64) * n_vert + inst0.dst
    my_key = src * n_vert + dst
    at = np.searchsorted(key, my_key)
    if key.size != my_key.size or not np.array_equal(key[at], my_key):
        raise RuntimeError("internal error: repeated or dropped arcs in the market graph")
    arc_row = np.full(key.size, -1, dtype=np.int64)
    arc_row[at] = crow

    side, lo_b, hi_b, names = _side_rows(market, cands, policy, inst0, arc_row, base, n_vert,
                                         cycle_offers, paid_v, term_v)
    side_constraints = tuple(SideConstraint({}, upper=h, lower=l, name=nm_)
                             for nm_, l, h in zip(names, lo_b, hi_b))
    inst = MarketInstance(ids=inst0.ids, src=inst0.src, dst=inst0.dst, weight=inst0.weight,
                          altruist=inst0.altruist, vertex_weight=inst0.vertex_weight,
                          side_constraints=side_constraints, side_rows=(side, lo_b, hi_b))
    leg_of_arc = {}
    for k in np.flatnonzero(arc_row >= 0):
        leg_of_arc[(ids[inst0.src[k]], ids[inst0.dst[k]])] = int(arc_row[k])
    engine_chain = 0
    if L > 0:
        engine_chain = 2 * L - 1
    if policy.allow_pairs:
        engine_chain = max(engine_chain, 1)
    stats = {"vertices": n_vert, "arcs": int(key.size), "member_links": int(internal_src.size),
             "side_rows": int(side.shape[0]), "gift_offers": int(gift_v.size),
             "pair_offers": int(paid_v.size)}
    return MarketGraph(inst, leg_of_arc, 2 * K, engine_chain, stats)


def _side_rows(market, cands, policy, inst, arc_row, base, n_vert, cycle_offers, paid_v, term_v):
    """Offer-once, need-once and credit rows as one CSR matrix over the instance's arcs."""
    src, dst = inst.src.astype(np.int64), inst.dst.astype(np.int64)
    tag_of = np.empty(n_vert, dtype="U1")
    for tag in ("n", "o", "g", "p", "t"):
        tag_of[base[tag][base[tag] >= 0]] = tag
    listing_of = np.full(n_vert, -1, dtype=np.int64)
    for tag in ("n", "o", "g", "p", "t"):
        idx = np.flatnonzero(base[tag] >= 0)
        listing_of[base[tag][idx]] = idx
    r_rows, r_cols, r_vals, lo, hi, names = [], [], [], [], [], []
    arcs = np.arange(src.size)

    # offers given both in cycles/chains (in-arc of the offer vertex) and as a pair (out of its copy)
    both = np.intersect1d(cycle_offers, paid_v)
    next_row = 0
    lst = cands.listings
    if both.size:
        row_of = np.full(len(lst), -1, dtype=np.int64)
        row_of[both] = np.arange(both.size)
        into_offer = (tag_of[dst] == "o")
        from_paid = (tag_of[src] == "p")
        ls = np.where(into_offer, listing_of[dst], np.where(from_paid, listing_of[src], -1))
        r = np.where(ls >= 0, row_of[np.maximum(ls, 0)], -1)
        m = r >= 0
        r_rows.append(r[m] + next_row)
        r_cols.append(arcs[m])
        r_vals.append(np.ones(int(m.sum())))
        lo.extend([-math.inf] * both.size)
        hi.extend([1.0] * both.size)
        names.extend(f"offer:{lst[i].id}" for i in both)
        next_row += both.size
    need_listings = np.flatnonzero(base["n"] >= 0)
    both = np.intersect1d(need_listings, term_v)
    if both.size:
        row_of = np.full(len(lst), -1, dtype=np.int64)
        row_of[both] = np.arange(both.size)
        into = np.isin(tag_of[dst], ("n", "t"))
        ls = np.where(into, listing_of[dst], -1)
        r = np.where(ls >= 0, row_of[np.maximum(ls, 0)], -1)
        m = r >= 0
        r_rows.append(r[m] + next_row)
        r_cols.append(arcs[m])
        r_vals.append(np.ones(int(m.sum())))
        lo.extend([-math.inf] * both.size)
        hi.extend([1.0] * both.size)
        names.extend(f"need:{lst[i].id}" for i in both)
        next_row += both.size
    # credits: cycle and chain legs move credits both ways, pairs charge the receiver only, gifts none
    leg = arc_row >= 0
    k = arcs[leg]
    row = arc_row[leg]
    credits = cands.credits[row]
    giver = cands.member[cands.offer[row]]
    receiver = cands.member[cands.need[row]]
    stag = tag_of[src[k]]
    in_cycle = stag == "o"
    in_pair = stag == "p"
    n_members = len(market.members)
    spend = np.zeros(n_members)
    np.add.at(spend, receiver[in_cycle | in_pair], credits[in_cycle | in_pair])
    # a member already below its limit may not go further down (it is not asked to climb back up)
    room = np.array([max(float(m.balance + m.credit_limit), 0.0) for m in market.members]) if n_members \
        else np.zeros(0)
    binding = np.flatnonzero(spend > room + 1e-9)
    if binding.size:
        row_of = np.full(n_members, -1, dtype=np.int64)
        row_of[binding] = np.arange(binding.size)
        for who, coef, mask in ((giver, 1.0, in_cycle), (receiver, -1.0, in_cycle | in_pair)):
            r = row_of[who]
            m = mask & (r >= 0) & (credits > 0)
            r_rows.append(r[m] + next_row)
            r_cols.append(k[m])
            r_vals.append(coef * credits[m])
        lo.extend(-room[binding])
        hi.extend([math.inf] * binding.size)
        names.extend(f"credit:{market.members[i].id}" for i in binding)
        next_row += binding.size
    mat = sparse.csr_matrix(
        (np.concatenate(r_vals) if r_vals else np.zeros(0),
         (np.concatenate(r_rows) if r_rows else np.zeros(0, dtype=np.int64),
          np.concatenate(r_cols) if r_cols else np.zeros(0, dtype=np.int64))),
        shape=(next_row, src.size))
    mat.sum_duplicates()
    return mat, np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64), names


def decode(graph: MarketGraph, solution: Solution) -> list[tuple[str, list[int]]]:
    """The engine's cycles and chains as (shape, candidate rows in giving order)."""
    out: list[tuple[str, list[int]]] = []
    for cycle in solution.cycles:
        # start at an offer so each leg is (offer -> need)
        start = next(i for i, v in enumerate(cycle) if v[0] == "o")
        ring = cycle[start:] + cycle[:start]
        rows = [graph.leg_of_arc[(ring[i], ring[(i + 1) % len(ring)])] for i in range(0, len(ring), 2)]
        out.append(("cycle", rows))
    for chain in solution.chains:
        if chain[0][0] == "p":
            out.append(("pair", [graph.leg_of_arc[(chain[0], chain[1])]]))
            continue
        rows = [graph.leg_of_arc[(chain[i], chain[i + 1])] for i in range(0, len(chain) - 1, 2)]
        out.append(("chain", rows))
    return out
