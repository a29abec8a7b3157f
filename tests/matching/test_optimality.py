"""The optimum equals brute force on small random instances (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Instance, SideConstraint, solve

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
