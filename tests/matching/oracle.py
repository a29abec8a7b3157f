"""Brute force: the exact optimum of tiny instances, by trying every packing."""

from __future__ import annotations

from matching import Instance


def exchanges(inst: Instance, max_cycle: int, max_chain: int | None):
    """Every allowed cycle and chain as (vertex set, arc list, weight)."""
    n = inst.n_vertices
    w = inst.total_weight()
    succ: dict[int, list[tuple[int, int]]] = {i: [] for i in range(n)}
    for k, (u, v) in enumerate(zip(inst.src.tolist(), inst.dst.tolist())):
        succ[u].append((v, k))
    out = []
    kmax = n if max_cycle == 0 else max_cycle
    # cycles: start at their lowest vertex
    def grow_cycle(path, arcs):
        for v, k in succ[path[-1]]:
            if v == path[0] and len(path) >= 2:
                out.append((frozenset(path), arcs + [k], sum(w[a] for a in arcs + [k])))
            elif v > path[0] and v not in path and len(path) < kmax and not inst.altruist[v]:
                grow_cycle(path + [v], arcs + [k])
    for s in range(n):
        if not inst.altruist[s]:
            grow_cycle([s], [])
    lmax = n if max_chain is None else max_chain
    def grow_chain(path, arcs):
        if arcs:
            out.append((frozenset(path), list(arcs), sum(w[a] for a in arcs)))
        if len(arcs) < lmax:
            for v, k in succ[path[-1]]:
                if v not in path:
                    grow_chain(path + [v], arcs + [k])
    for a in range(n):
        if inst.altruist[a]:
            grow_chain([a], [])
    return out


def brute_force(inst: Instance, max_cycle: int, max_chain: int | None) -> float:
    """Best total weight over vertex-disjoint packings that meet the side constraints."""
    ex = exchanges(inst, max_cycle, max_chain)
    side = []
    for con in inst.side_constraints:
        coef = {inst.arc_index(u, v): c for (u, v), c in con.coefficients.items()}
        side.append((coef, con.lower, con.upper))

    def feasible(arcs):
        for coef, lo, hi in side:
            s = sum(coef.get(a, 0.0) for a in arcs)
            if s < lo - 1e-9 or s > hi + 1e-9:
                return False
        return True

    best = [-float("inf")]

    def rec(i, used, arcs, value):
        if i == len(ex):
            if feasible(arcs) and value > best[0]:
                best[0] = value
            return
        rec(i + 1, used, arcs, value)
        verts, a, wt = ex[i]
        if not (verts & used):
            rec(i + 1, used | verts, arcs + a, value + wt)

    rec(0, frozenset(), [], 0.0)
    return best[0]


def check_solution(inst: Instance, sol, max_cycle: int, max_chain: int | None) -> None:
    """The solution is a valid clearing and its objective is what its arcs weigh."""
    w = inst.total_weight()
    seen = set()
    total = 0.0
    arcs_used = []
    for cyc in sol.cycles:
        assert len(cyc) >= 2
        if max_cycle:
            assert len(cyc) <= max_cycle
        for u, v in zip(cyc, cyc[1:] + cyc[:1]):
            k = inst.arc_index(u, v)
            total += w[k]
            arcs_used.append(k)
        for v in cyc:
            assert v not in seen
            assert not inst.altruist[inst.index(v)]
            seen.add(v)
    for ch in sol.chains:
        assert inst.altruist[inst.index(ch[0])]
        assert len(ch) >= 2
        if max_chain is not None:
            assert len(ch) - 1 <= max_chain
        for u, v in zip(ch, ch[1:]):
            k = inst.arc_index(u, v)
            total += w[k]
            arcs_used.append(k)
        for v in ch:
            assert v not in seen
            seen.add(v)
    assert abs(total - sol.objective) < 1e-6
    for con in inst.side_constraints:
        s = sum(c for (u, v), c in con.coefficients.items() if inst.arc_index(u, v) in arcs_used)
        assert con.lower - 1e-6 <= s <= con.upper + 1e-6
    assert sol.bound >= sol.objective - 1e-6

