"""The LP pipeline (column generation with chains priced by dynamic programming,
bound, incumbent, reduced-cost fixing, final MIP) is exact on small instances.

Tiny models normally go straight to one MIP; here the engine's options force
the size thresholds and batch sizes down so every stage runs, with one column or
one chain added per round and chain pricing truncated to two partial chains.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import Options, solve
from matching import packing

from .oracle import brute_force, check_solution
from .test_optimality import LIMITS, SETTINGS, instances


TINY = Options(direct_mip_columns=0, cg_initial_columns=1, cg_batch=1, chain_batch=1, chain_cap=2)


@SETTINGS
@given(instances(max_vertices=8), LIMITS)
def test_lp_pipeline_matches_brute_force(inst, limits):
    k, l = limits
    sol = solve(inst, max_cycle=k, max_chain=l, options=TINY)
    assert sol.status == "optimal"
    check_solution(inst, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(inst, k, l))


@SETTINGS
@given(instances(max_vertices=7, side=True), LIMITS)
def test_lp_pipeline_with_side_constraints(inst, limits):
    k, l = limits
    sol = solve(inst, max_cycle=k, max_chain=l, options=TINY)
    check_solution(inst, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(inst, k, l))


@SETTINGS
@given(instances(max_vertices=7), LIMITS, st.sampled_from([0.37, 1.5]))
def test_lp_pipeline_fractional_weights(inst, limits, scale):
    k, l = limits
    scaled = inst.with_weights(np.asarray(inst.weight, dtype=float) * scale)
    sol = solve(scaled, max_cycle=k, max_chain=l, options=TINY)
    check_solution(scaled, sol, k, l)
    assert sol.objective == pytest.approx(brute_force(scaled, k, l))


@pytest.mark.slow
def test_dive_gives_a_valid_packing_between_rounding_and_the_bound():
    """The dive's packing is vertex-disjoint and within the limits, better than the LP rounded
    greedily and no better than the LP bound. Below a few hundred pairs the LP rounds to
    (nearly) the optimum, so this takes a UK-generator instance of 1,024 pairs (about 10 s)."""
    import json
    import os
    import tempfile

    from bench.matching.generate import generate_uk
    from matching.cycles import Adjacency
    from matching.formats import parse_kep_json
    from matching.model import build_model

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "uk.json")
        generate_uk(1024, seed=1024).writeFileJson(path, compressed=False, version=2)
        with open(path) as f:
            inst = parse_kep_json(json.load(f))

    n, k = inst.n_vertices, 3
    adj = Adjacency(n, inst.src, inst.dst)
    model = build_model(n, inst.src, inst.dst, inst.total_weight(), inst.altruist, k, k, adj=adj)
    engine = packing.PackingEngine(model, Options(), deadline=None, stats={}, adj=adj, altruist=inst.altruist,
                                   max_chain=k)
    y, ub = engine.packing_lp()
    rounded = engine.value(engine.rounded)
    x = engine.dive(30.0)
    assert x is not None and set(np.unique(x)) <= {0.0, 1.0}
    # every row of the full model (vertices, altruists, chain positions) within its bounds
    act = model.A @ x
    assert np.all(act <= model.row_hi + 1e-9) and np.all(act >= model.row_lo - 1e-9)
    assert rounded < engine.value(x) <= ub + 1e-6
    assert engine.stats["dive_steps"] > 0

    # several dives, each from the LP with its bounds freed, then a MIP over their columns
    best = engine.dives(x, engine.reduced_costs(y), ub, 30.0)
    act = model.A @ best
    assert set(np.unique(best)) <= {0.0, 1.0}
    assert np.all(act <= model.row_hi + 1e-9) and np.all(act >= model.row_lo - 1e-9)
    found = engine.stats["dives"]
    assert len(found) >= 2 and len(set(found)) >= 2  # the restarts lead to different packings
    assert engine.value(best) >= max(max(found), engine.value(x)) and engine.value(best) <= ub + 1e-6
    assert len(engine.stats["dives_guided"]) >= 1

    # a dive around a packing keeps the cycles it is told to keep
    keep = engine._lp_cycles_of(best)[::2]
    around = engine.dive(30.0, 0.1, fixed=keep)
    registry = packing._registry_cycles(engine.lp_batches)
    assert keep.size > 10 and np.all(around[registry[keep]] == 1.0)
    act = model.A @ around
    assert np.all(act <= model.row_hi + 1e-9) and np.all(act >= model.row_lo - 1e-9)
    # ... and gives up when told it cannot beat a floor above the LP bound
    assert engine.dive(30.0, 0.1, fixed=keep, floor=ub + 1) is None

    # a packing written as cycles and whole chains, and back, is the same packing
    cyc, chains = engine._packing_of(best)
    assert chains.shape[0] > 0
    registry = np.concatenate([cyc, np.full(chains.shape[0], -1)])
    assert np.array_equal(engine._model_x(np.arange(registry.size), registry, chains), best)
    # the pool MIP started from the best packing returns a valid packing at least as good
    engine.lp_y = y
    pooled = engine.pool_mip(best, 5.0)
    act = model.A @ pooled
    assert np.all(act <= model.row_hi + 1e-9) and np.all(act >= model.row_lo - 1e-9)
    assert engine.value(best) <= engine.value(pooled) <= ub + 1e-6
    # it ran, from a start worth at least the best packing, and its answer is its own
    assert engine.stats["pool_start"] >= engine.value(best) - 1e-6
    assert "pool" in engine.stats and engine.value(pooled) == max(engine.stats["pool"], engine.value(best))


def test_one_swaps_ends_on_near_ties():
    """Swaps that lose nothing but free rows end: three nested columns whose values differ by
    less than the tolerance once cycled forever (a -> b -> c -> a)."""
    from scipy import sparse

    A = sparse.csc_matrix((np.ones(6), ([0, 1, 2, 0, 1, 0], [0, 0, 0, 1, 1, 2])), shape=(3, 3))
    cost = np.array([1.0, 1.0 - 0.9e-9, 1.0 - 1.8e-9])
    out = packing._one_swaps(A, cost, np.array([1.0, 0.0, 0.0]))
    assert out.sum() == 1 and cost @ out == 1.0


@SETTINGS
@given(st.integers(2, 9), st.integers(1, 14), st.data())
def test_one_swaps_leave_a_better_packing_with_no_improving_swap(n_rows, n_cols, data):
    """``_one_swaps`` keeps a packing a packing, never loses value, and stops only when no
    single column can improve it by taking free rows and those of one chosen column."""
    from scipy import sparse

    rows = [data.draw(st.sets(st.integers(0, n_rows - 1), min_size=1, max_size=3)) for _ in range(n_cols)]
    cost = np.array([data.draw(st.integers(1, 9)) for _ in range(n_cols)], dtype=float)
    A = sparse.csc_matrix((np.ones(sum(map(len, rows))),
                           (np.concatenate([sorted(r) for r in rows]),
                            np.repeat(np.arange(n_cols), [len(r) for r in rows]))), shape=(n_rows, n_cols))
    x = np.zeros(n_cols)
    used: set[int] = set()
    for j in data.draw(st.permutations(range(n_cols))):
        if data.draw(st.booleans()) and not rows[j] & used:
            x[j] = 1.0
            used |= rows[j]
    out = packing._one_swaps(A, cost, x)
    assert set(np.unique(out)) <= {0.0, 1.0} and np.all(A @ out <= 1)
    assert cost @ out >= cost @ x
    chosen = np.flatnonzero(out)
    for j in np.flatnonzero(out == 0):
        holders = [k for k in chosen if rows[k] & rows[j]]
        assert holders, f"column {j} fits in free rows"
        if len(holders) == 1:
            assert cost[j] <= cost[holders[0]]
