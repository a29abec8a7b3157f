"""Same optimum as kep_solver (PICEF + CBC) on its UK-generator instances of 50 to 300 pairs."""

from __future__ import annotations

import pytest

from bench.matching.generate import write_uk
from bench.matching.kep_adapter import solve_kep
from matching import read_kep_json, solve

from .oracle import check_solution

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CASES = [(50, 3, 3), (100, 3, 3), (200, 3, 3), (300, 3, 3), (50, 4, 4), (100, 4, 4), (200, 4, 4), (300, 4, 4)]


@pytest.mark.parametrize("objective", ["weight", "count"])
@pytest.mark.parametrize(("pairs", "k", "l"), CASES)
def test_same_optimum_as_kep_solver(tmp_path, pairs, k, l, objective):
    path = write_uk(tmp_path / f"uk{pairs}.json", pairs, seed=1000 + pairs)
    inst = read_kep_json(path)
    if objective == "count":
        inst = inst.with_weights(1.0)
    sol = solve(inst, max_cycle=k, max_chain=l)
    assert sol.status == "optimal" and sol.gap == 0
    check_solution(inst, sol, k, l)
    theirs = solve_kep(str(path), k, l, objective)
    assert sol.objective == pytest.approx(theirs["objective"])
