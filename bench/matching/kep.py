"""Side-by-side benchmark against kep_solver 4.0.2 (PICEF + CBC) on UK-generator instances.

Run from the repository root::

    .venv/bin/python -m bench.matching.kep --sizes 256,1024,2048 --limits 3,4

Each tool runs in its own fresh process on the same JSON file; wall time covers
read + build + solve (not interpreter start-up). kep_solver is stopped after
``--kep-timeout`` seconds; ours gets ``--time-limit`` seconds and reports its
certified gap if it stops early. Objective: total weight.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .generate import write_uk

OURS = """
import json, sys, time
from matching import read_kep_json, solve
import matching.solver
if len(sys.argv) > 5:
    for name, value in json.loads(sys.argv[5]).items():
        setattr(matching.solver, name, type(getattr(matching.solver, name))(value))
t = time.perf_counter()
inst = read_kep_json(sys.argv[1])
tl = None if sys.argv[4] == 'none' else float(sys.argv[4])
sol = solve(inst, max_cycle=int(sys.argv[2]), max_chain=int(sys.argv[3]), time_limit=tl)
wall = time.perf_counter() - t
print(json.dumps({"objective": sol.objective, "bound": sol.bound, "gap": sol.gap, "status": sol.status,
                  "wall": wall, "stats": {k: v for k, v in sol.stats.items() if isinstance(v, (int, float, str, list))}}))
"""

KEP = """
import json, sys, warnings
warnings.simplefilter("ignore")
from bench.matching.kep_adapter import solve_kep
print(json.dumps(solve_kep(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
"""


def run_child(code: str, args: list[str], timeout: float) -> dict | None:
    """Run ``code`` in a new process group; None if it does not finish in time."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # CBC runs as a grandchild
        proc.communicate()
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"child failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="256,1024,2048", help="numbers of pairs (recipients)")
    ap.add_argument("--limits", default="3,4", help="values of K = L")
    ap.add_argument("--kep-timeout", type=float, default=120.0)
    ap.add_argument("--time-limit", type=float, default=120.0, help="our time limit (0 = none)")
    ap.add_argument("--skip-kep", default="", help="comma list of size:K pairs not to run kep_solver on")
    ap.add_argument("--lp-method", default=None, choices=("ipm", "simplex"),
                    help="HiGHS method for our packing LP and dives (default: the engine's, "
                    "PACKING_LP_SOLVER); stats show the seconds of each LP round")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="an engine constant of matching/solver.py for our side, e.g. POOL_SECONDS=0 "
                    "(the engine without its pool MIP); repeatable")
    ap.add_argument("--workdir", default=None, help="where instances are written (default: a temp dir)")
    ap.add_argument("--seeds", default="0", help="comma list of offsets: each size is generated with seed "
                    "pairs + offset (0 alone gives the instances of earlier runs)")
    args = ap.parse_args(argv)
    settings = {}
    import matching.solver

    for item in args.set:
        name, _, value = item.partition("=")
        current = getattr(matching.solver, name, None)
        if (not name.isupper() or isinstance(current, bool) or not isinstance(current, (int, float, str))
                or not value):
            ap.error(f"--set {item}: expected NAME=VALUE for a number or word constant of matching/solver.py")
        try:
            type(current)(value)
        except ValueError:
            ap.error(f"--set {item}: {value!r} is not a {type(current).__name__}")
        settings[name] = value
    if args.lp_method:
        settings["PACKING_LP_SOLVER"] = args.lp_method
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-kep-"))
    skip = {tuple(map(int, s.split(":"))) for s in args.skip_kep.split(",") if s}
    rows = []
    header = ("pairs", "seed", "arcs", "K=L", "kep obj", "kep s", "our obj", "our bound", "our s", "gap",
              "status", "ours/kep")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"load average at start {os.getloadavg()[0]:.2f}"
          + "".join(f"; {name} = {value}" for name, value in settings.items()), flush=True)
    print(" | ".join(header), flush=True)
    sizes = [(n, n + int(off)) for n in map(int, args.sizes.split(",")) for off in args.seeds.split(",")]
    for n, seed in sizes:
        name = f"uk{n}.json" if seed == n else f"uk{n}s{seed}.json"
        path = write_uk(workdir / name, n, seed=seed)
        from matching import read_kep_json

        arcs = read_kep_json(path).n_arcs
        for k in map(int, args.limits.split(",")):
            ours = run_child(OURS, [str(path), str(k), str(k), str(args.time_limit or "none"),
                                    *([json.dumps(settings)] if settings else [])],
                             timeout=(args.time_limit or 3600) + 120)
            if ours is None:
                ours = {"objective": float("nan"), "gap": float("nan"), "status": "killed",
                        "wall": (args.time_limit or 3600) + 120, "stats": {}}
            kep = None if (n, k) in skip else run_child(
                KEP, [str(path), str(k), str(k)], timeout=args.kep_timeout)
            kep_obj = f"{kep['objective']:.0f}" if kep else "-"
            kep_s = f"{kep['wall']:.2f}" if kep else (f"> {args.kep_timeout:.0f}" if (n, k) not in skip else "not run")
            ratio = f"{ours['wall'] / kep['wall']:.3f}" if kep else (
                f"< {ours['wall'] / args.kep_timeout:.3f}" if (n, k) not in skip else "-")
            same = "" if not kep else (" (equal)" if abs(kep["objective"] - ours["objective"]) < 1e-6 else " (DIFFERENT)")
            bound = ours.get("bound", float("nan"))
            row = (str(n), str(seed), str(arcs), str(k), kep_obj, kep_s, f"{ours['objective']:.0f}{same}",
                   f"{bound:.1f}", f"{ours['wall']:.2f}", f"{100 * ours['gap']:.3f}%", ours["status"], ratio)
            rows.append(row)
            print(" | ".join(row), flush=True)
            print("   ours:", json.dumps(ours["stats"]), flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
