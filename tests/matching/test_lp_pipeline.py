"""The LP pipeline (column generation with chains priced by dynamic programming,
bound, incumbent, reduced-cost fixing, final MIP) is exact on small instances.

Tiny models normally go straight to one MIP; here the size thresholds and
batch sizes are forced down so every stage runs, with one column or one chain
added per round and chain pricing truncated to two partial chains.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import solve, solver

from .oracle import brute_force, check_solution
from .test_optimality import LIMITS, SETTINGS, instances


def _tiny_batches(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(solver, "DIRECT_MIP_COLUMNS", 0)
    mp.setattr(solver, "CG_INITIAL_COLUMNS", 1)
    mp.setattr(solver, "CG_BATCH", 1)
    mp.setattr(solver, "CHAIN_BATCH", 1)
    mp.setattr(solver, "CHAIN_CAP", 2)


@SETTINGS
@given(instances(max_vertices=8), LIMITS)
def test_lp_pipeline_matches_brute_force(inst, limits):
    k, l = limits
    with pytest.MonkeyPatch.context() as mp:
        _tiny_batches(mp)
        sol = solve(inst, max_cycle=k, max_chain=l)
    assert sol.status == "optimal"
    check_solution(inst, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(inst, k, l))


@SETTINGS
@given(instances(max_vertices=7, side=True), LIMITS)
def test_lp_pipeline_with_side_constraints(inst, limits):
    k, l = limits
    with pytest.MonkeyPatch.context() as mp:
        _tiny_batches(mp)
        sol = solve(inst, max_cycle=k, max_chain=l)
    check_solution(inst, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(inst, k, l))


@SETTINGS
@given(instances(max_vertices=7), LIMITS, st.sampled_from([0.37, 1.5]))
def test_lp_pipeline_fractional_weights(inst, limits, scale):
    k, l = limits
    scaled = inst.with_weights(np.asarray(inst.weight, dtype=float) * scale)
    with pytest.MonkeyPatch.context() as mp:
        _tiny_batches(mp)
        sol = solve(scaled, max_cycle=k, max_chain=l)
    check_solution(scaled, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(scaled, k, l))
