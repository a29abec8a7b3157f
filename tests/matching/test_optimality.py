"""The optimum equals brute force on small random instances (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Instance, Options, SideConstraint, solve

from .oracle import brute_force, check_solution


@st.composite
def instances(draw, max_vertices=7, weights=True, side=False):
    n = draw(st.integers(2, max_vertices))
    n_alt = draw(st.integers(0, min(2, n - 1)))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v and v >= n_alt]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 3 * n)))
    wt = st.integers(1, 20) if weights else st.just(1)
    arcs = [(u, v, draw(wt)) for u, v in chosen]
    side_constraints = ()
    if side and arcs:
        sub = draw(st.lists(st.sampled_from([(u, v) for u, v, _ in arcs]), unique=True, min_size=1, max_size=4))
        coefs = {a: draw(st.integers(1, 3)) for a in sub}
        side_constraints = (SideConstraint(coefs, upper=draw(st.integers(0, 4)), name="cap"),)
    return Instance.from_arcs(arcs, vertices=range(n), altruists=range(n_alt),
                              side_constraints=side_constraints)


LIMITS = st.sampled_from([(2, 0), (2, 1), (3, 2), (3, 3), (4, 3), (2, 4), (5, 1)])
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances(), LIMITS)
def test_cycle_formulation_matches_brute_force(inst, limits):
    k, l = limits
    sol = solve(inst, max_cycle=k, max_chain=l)
    assert sol.status == "optimal"
    assert sol.gap == 0.0
    check_solution(inst, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(inst, k, l))


@SETTINGS
@given(instances(), st.sampled_from([None, 0, 1, 3]))
def test_no_cycle_limit_matches_brute_force(inst, l):
    sol = solve(inst, max_cycle=0, max_chain=l)
    check_solution(inst, sol, 0, l)
    assert sol.objective == pytest.approx(brute_force(inst, 0, l))


@SETTINGS
@given(instances(side=True), LIMITS)
def test_side_constraints_are_met_and_optimal(inst, limits):
    k, l = limits
    sol = solve(inst, max_cycle=k, max_chain=l)
    check_solution(inst, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(inst, k, l))


@SETTINGS
@given(instances(side=True), st.sampled_from([None, 0, 2]))
def test_side_constraints_without_cycle_limit(inst, l):
    sol = solve(inst, max_cycle=0, max_chain=l)
    check_solution(inst, sol, 0, l)
    assert sol.objective == pytest.approx(brute_force(inst, 0, l))


@SETTINGS
@given(instances(max_vertices=6, weights=False), LIMITS)
def test_vertex_weights_count_vertices(inst, limits):
    k, l = limits
    counted = inst.with_weights(0.0, vertex_weights=1.0)
    sol = solve(counted, max_cycle=k, max_chain=l)
    covered = sum(len(c) for c in sol.cycles) + sum(len(c) for c in sol.chains)
    assert sol.objective == covered
    assert sol.objective == pytest.approx(brute_force(counted, k, l))


@SETTINGS
@given(instances(max_vertices=8), st.sampled_from([3, 4]), st.integers(0, 40))
def test_cycle_enumeration_stops_at_its_limit(inst, k, limit):
    from matching.cycles import Adjacency, TooManyCycles, enumerate_cycles

    adj = Adjacency(inst.n_vertices, inst.src, inst.dst)
    every = enumerate_cycles(adj, k, vertex_ok=~inst.altruist)
    count = sum(c.shape[0] for c in every.values())
    try:
        limited = enumerate_cycles(adj, k, vertex_ok=~inst.altruist, limit=limit)
    except TooManyCycles as too_many:
        # raised only when the candidates really exceed the limit
        assert too_many.count > limit - sum(c.shape[0] for c in every.values() if c.shape[1] < too_many.length)
    else:
        assert count <= limit
        assert all((limited[j] == every[j]).all() for j in every)


@SETTINGS
@given(instances(max_vertices=8), st.sampled_from([(3, 2), (3, 3), (4, 3)]))
def test_too_many_cycles_for_the_time_gives_shorter_cycles_and_a_valid_bound(inst, limits):
    """Under a time limit, with more cycles than can be enumerated in it, the answer uses
    cycles one arc shorter (valid for the limit asked) and the bound still holds."""
    k, l = limits
    no_time = Options(cycles_per_second=0)  # any cycle at all is too many
    sol = solve(inst, max_cycle=k, max_chain=l, time_limit=30, options=no_time)
    best = brute_force(inst, k, l)
    check_solution(inst, sol, k - 1, l)
    assert sol.objective <= best + 1e-9 <= sol.bound + 2e-9
    if "max_cycle_solved" in sol.stats:
        assert sol.stats["max_cycle_solved"] <= k - 1 and sol.status == "time_limit"
        assert sol.gap == pytest.approx((sol.bound - sol.objective) / max(1.0, sol.objective))


def test_too_many_cycles_example():
    """A 3-cycle worth 30 and a 2-cycle worth 4 sharing a vertex: with no time to enumerate
    3-cycles the answer is the 2-cycle, and the bound (the assignment relaxation) is 30."""
    inst = Instance.from_arcs([("a", "b", 10), ("b", "c", 10), ("c", "a", 10), ("c", "d", 2), ("d", "c", 2)],
                              altruists=[])
    assert solve(inst, max_cycle=3, max_chain=0, time_limit=30).objective == 30
    sol = solve(inst, max_cycle=3, max_chain=0, time_limit=30, options=Options(cycles_per_second=0))
    assert sol.cycles == (("c", "d"),) and sol.objective == 4
    assert sol.bound == 30 and sol.status == "time_limit" and sol.gap == pytest.approx(26 / 4)
    assert sol.stats["max_cycle_solved"] == 2 and sol.stats["cycles_over_limit"] >= 1
