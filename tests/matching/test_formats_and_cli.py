"""Readers, the command line, determinism and purity of the library."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bench.matching.generate import write_uk
from matching import FormatError, Instance, SideConstraint, read_instance, read_kidney_solver, solve
from matching.__main__ import main

INPUT = "4 5\n0 1 10\n1 0 10\n1 2 1\n2 3 7\n3 1 7\n-1 -1 -1\n"
NDDS = "1 2\n0 2 4\n0 3 2\n-1 -1 -1\n"


@pytest.fixture
def kidney_files(tmp_path):
    (tmp_path / "tiny.input").write_text(INPUT)
    (tmp_path / "tiny.ndds").write_text(NDDS)
    return tmp_path / "tiny.input"


def test_kidney_solver_reader_finds_ndds_beside_input(kidney_files):
    inst = read_kidney_solver(kidney_files)
    assert inst.n_vertices == 5
    assert inst.ids[-1] == "ndd0"
    assert inst.altruist.tolist() == [False, False, False, False, True]
    sol = solve(inst, max_cycle=3, max_chain=2)
    # 3-cycle 1->2->3->1 (15) loses to 2-cycle 0<->1 (20) plus chain ndd0->2->3 (11)
    assert sol.objective == 31
    assert sol.cycles == ((0, 1),)
    assert sol.chains == (("ndd0", 2, 3),)


@pytest.mark.parametrize(("text", "message"), [
    ("2 2\n0 1 1\n-1 -1 -1\n", "fewer arcs"),
    ("2 1\n0 1 1\n1 0 1\n-1 -1 -1\n", "arc count"),
    ("2 1\n0 5 1\n-1 -1 -1\n", "out of range"),
    ("2 1\n0 x 1\n-1 -1 -1\n", "numbers"),
])
def test_kidney_solver_reader_rejects_broken_files(tmp_path, text, message):
    (tmp_path / "bad.input").write_text(text)
    with pytest.raises(FormatError, match=message):
        read_instance(tmp_path / "bad.input")


def test_kep_json_schema_1_and_3_agree(tmp_path):
    v1 = {"data": {
        "1": {"sources": [1], "matches": [{"recipient": 2, "score": 3}]},
        "2": {"sources": [2], "matches": [{"recipient": 1, "score": 4}, {"recipient": 3, "score": 9}]},
        "5": {"sources": [2], "matches": [{"recipient": 3, "score": 2}]},
        "3": {"sources": [3], "matches": [{"recipient": 1, "score": 1}]},
        "9": {"altruistic": True, "matches": [{"recipient": 1, "score": 6}]},
    }}
    v3 = {"schema": 3, "donors": {
        did: {"id": did, "paired_recipients": [str(s) for s in d.get("sources", [])],
              "outgoing_transplants": d["matches"]}
        for did, d in v1["data"].items()
    }, "recipients": {}}
    (tmp_path / "a.json").write_text(json.dumps(v1))
    (tmp_path / "b.json").write_text(json.dumps(v3))
    a, b = read_instance(tmp_path / "a.json"), read_instance(tmp_path / "b.json")
    # recipient 2 has two donors: one vertex, its arc to 3 keeps the best score (9)
    assert a.n_vertices == b.n_vertices == 4
    assert a.weight[a.arc_index("2", "3")] == 9
    sa, sb = solve(a, 3, 2), solve(b, 3, 2)
    assert sa.objective == sb.objective == 3 + 9 + 1  # cycle 1->2->3 beats chain 9->1->2 (9)


def test_cli_prints_json(kidney_files, capsys):
    assert main(["solve", str(kidney_files), "--max-cycle", "3", "--max-chain", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["objective"] == 31 and out["status"] == "optimal" and out["gap"] == 0
    assert out["cycles"] == [[0, 1]] and out["chains"] == [["ndd0", 2, 3]]


def test_cli_count_objective(kidney_files, capsys):
    assert main(["solve", str(kidney_files), "--max-cycle", "3", "--max-chain", "1",
                 "--objective", "count"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == 3


def test_cli_reports_bad_arguments(kidney_files, capsys):
    assert main(["solve", str(kidney_files), "--max-cycle", "3", "--no-chain-limit"]) == 2
    assert "max_cycle=0" in capsys.readouterr().err


def test_cli_runs_as_module(kidney_files):
    done = subprocess.run([sys.executable, "-m", "matching", "solve", str(kidney_files),
                           "--max-cycle", "0", "--no-chain-limit"], capture_output=True, text=True, check=True)
    out = json.loads(done.stdout)
    assert out["objective"] == 10 + 10 + 4 + 7 + 0  # 0<->1 plus chain ndd0->2->3, unlimited


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_cycle": -1}, "max_cycle"),
    ({"max_cycle": 1}, "at least 2"),
    ({"max_cycle": 3, "max_chain": None}, "max_cycle=0"),
    ({"time_limit": 0}, "time_limit"),
])
def test_solve_rejects_bad_limits(kwargs, message):
    inst = Instance.from_arcs([(0, 1), (1, 0)])
    with pytest.raises(ValueError, match=message):
        solve(inst, **kwargs)


@pytest.mark.parametrize(("arcs", "message"), [
    ([("a", "b")], None),
])
def test_instance_validation(arcs, message):
    with pytest.raises(ValueError, match="unknown vertex"):
        Instance.from_arcs(arcs, vertices=["a"])
    with pytest.raises(ValueError, match="side constraint"):
        Instance.from_arcs(arcs, side_constraints=[SideConstraint({("b", "a"): 1}, upper=0)])


def test_infeasible_side_constraint_is_reported():
    inst = Instance.from_arcs([(0, 1, 1), (1, 0, 1)],
                              side_constraints=[SideConstraint({(0, 1): 1}, lower=2, name="impossible")])
    assert solve(inst, 2, 0).status == "infeasible"


def test_same_input_same_answer(tmp_path):
    path = write_uk(tmp_path / "uk.json", 150, seed=11)
    a, b = solve(read_instance(path), 3, 3), solve(read_instance(path), 3, 3)
    assert (a.cycles, a.chains, a.objective) == (b.cycles, b.chains, b.objective)


def test_time_limit_returns_a_valid_solution_with_its_gap():
    rng = np.random.default_rng(3)
    n = 400
    src, dst = rng.integers(0, n, 12000), rng.integers(0, n, 12000)
    inst = Instance.from_arrays(src, dst, rng.integers(1, 100, 12000), n_vertices=n, altruists=range(20))
    sol = solve(inst, 4, 4, time_limit=5)
    assert sol.status in ("optimal", "time_limit")
    assert sol.bound >= sol.objective >= 0
    assert sol.gap == pytest.approx((sol.bound - sol.objective) / max(1, sol.objective))


def test_library_imports_no_web_or_database_code():
    code = ("import sys, matching, matching.__main__, matching.marketplace; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'timebank')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
