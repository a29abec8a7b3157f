"""Real board-game math trades: as many items trade as TradeMaximizer's, and the cost of a cycle limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching import read_instance, read_mathtrade_graph, solve

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "mathtrade"  # shipped with the repository (README there)

# TradeMaximizer 1.3c "Num trades" on the published want lists
TRADEMAXIMIZER = {"286103": 10, "286928": 105}


def items_trading(inst, sol):
    return sum(inst.vertex_weight[inst.index(v)] for c in sol.cycles for v in c)


@pytest.mark.parametrize(("trade", "expected"), sorted(TRADEMAXIMIZER.items()))
def test_no_cycle_limit_trades_as_many_items_as_trademaximizer(trade, expected):
    inst = read_mathtrade_graph(DATA / f"{trade}-graph.json")
    sol = solve(inst, max_cycle=0, max_chain=0)
    assert sol.status == "optimal"
    assert sol.objective == expected
    assert items_trading(inst, sol) == expected
    assert sol.stats["method"] == "assignment"
    assert sol.chains == ()


def test_dummy_items_stay_capacity_one_nodes():
    inst = read_instance(DATA / "286928-graph.json")
    sol = solve(inst, max_cycle=0, max_chain=0)
    used = [v for c in sol.cycles for v in c]
    assert len(used) == len(set(used))
    dummies = [v for v in used if inst.vertex_weight[inst.index(v)] == 0]
    assert dummies, "the optimal trade routes through dummy items"


@pytest.mark.parametrize("trade", sorted(TRADEMAXIMIZER))
def test_cycle_limit_curve_never_beats_unlimited(trade):
    inst = read_mathtrade_graph(DATA / f"{trade}-graph.json")
    counts = [solve(inst, max_cycle=k, max_chain=0).objective for k in (2, 3, 4, 6)]
    assert counts == sorted(counts)
    assert counts[-1] <= TRADEMAXIMIZER[trade]
    long = solve(inst, max_cycle=8, max_chain=0)
    assert long.status == "optimal"
    assert counts[-1] <= long.objective <= TRADEMAXIMIZER[trade]
    assert all(len(c) <= 8 for c in long.cycles)
