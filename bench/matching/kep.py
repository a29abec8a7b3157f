"""Side-by-side benchmark against kep_solver 4.0.2 (PICEF + CBC) on UK-generator instances.

Run from the repository root::

    .venv/bin/python -m bench.matching.kep --sizes 256,1024,2048 --limits 3,4

Each tool runs in its own fresh process on the same JSON file; wall time covers
read + build + solve (not interpreter start-up). kep_solver is stopped after
``--kep-timeout`` seconds; ours gets ``--time-limit`` seconds and reports its
certified gap if it stops early. Objective: total weight.

``--before DIR`` also runs the engine of another checkout (a worktree of an older
commit) on every instance, right before ours, so that both see the same load:
before and after in the same run. ``--set NAME=VALUE`` runs ours with one field of
:class:`matching.Options` changed (repeatable), e.g. ``--set pool_seconds=0``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import machine
from .generate import write_uk

OURS = """
import json, sys, time
from matching import read_kep_json, solve
kwargs = {}
if len(sys.argv) > 5:
    from matching import Options
    kwargs["options"] = Options(**json.loads(sys.argv[5]))
t = time.perf_counter()
inst = read_kep_json(sys.argv[1])
tl = None if sys.argv[4] == 'none' else float(sys.argv[4])
sol = solve(inst, max_cycle=int(sys.argv[2]), max_chain=int(sys.argv[3]), time_limit=tl, **kwargs)
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


def run_child(code: str, args: list[str], timeout: float, cwd: str | None = None) -> dict | None:
    """Run ``code`` in a new process group (in ``cwd``, whose packages it imports first); None
    if it does not finish in time."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, cwd=cwd,
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


def option_settings(items: list[str]) -> dict:
    """``NAME=VALUE`` items as Options fields, each VALUE read as its field's type."""
    from matching import Options

    defaults = Options()
    fields = {f.name: str(f.type) for f in dataclasses.fields(Options)}
    out = {}
    for item in items:
        name, _, text = item.partition("=")
        if name not in fields or not text:
            raise ValueError(f"--set {item}: expected NAME=VALUE for a field of matching.Options "
                             f"({', '.join(sorted(fields))})")
        current = getattr(defaults, name)
        if text.lower() == "none":
            value = None
        elif isinstance(current, bool):
            value = text.lower() in ("1", "true", "yes", "on")
        elif isinstance(current, tuple):
            value = [float(x) for x in text.split(",")]
        elif current is None:  # an optional number: its annotation says which
            value = int(text) if fields[name].startswith("int") else float(text)
        elif isinstance(current, float):
            value = float(text)
        else:
            value = type(current)(text)
        Options(**{name: tuple(value) if isinstance(value, list) else value})  # checks the value
        out[name] = value
    return out


def _ours(path: Path, k: int, time_limit: float, settings: dict, cwd: str | None) -> dict:
    args = [str(path), str(k), str(k), str(time_limit or "none"), *([json.dumps(settings)] if settings else [])]
    out = run_child(OURS, args, timeout=(time_limit or 3600) + 120, cwd=cwd)
    if out is None:
        out = {"objective": float("nan"), "bound": float("nan"), "gap": float("nan"), "status": "killed",
               "wall": (time_limit or 3600) + 120, "stats": {}}
    return out


def _cells(run: dict, kep: dict | None, kep_timeout: float | None) -> tuple[str, ...]:
    """Objective (equal to kep_solver's?), bound, seconds, gap, status, and time over kep_solver's
    (``kep_timeout`` None: kep_solver was not run)."""
    same = "" if not kep else (" (equal)" if abs(kep["objective"] - run["objective"]) < 1e-6 else " (DIFFERENT)")
    ratio = f"{run['wall'] / kep['wall']:.3f}" if kep else (
        "-" if kep_timeout is None else f"< {run['wall'] / kep_timeout:.3f}")
    return (f"{run['objective']:.0f}{same}", f"{run.get('bound', float('nan')):.1f}", f"{run['wall']:.2f}",
            f"{100 * run['gap']:.3f}%", run["status"], ratio)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="256,1024,2048", help="numbers of pairs (recipients)")
    ap.add_argument("--limits", default="3,4", help="values of K = L")
    ap.add_argument("--kep-timeout", type=float, default=120.0)
    ap.add_argument("--time-limit", type=float, default=120.0, help="our time limit (0 = none)")
    ap.add_argument("--skip-kep", default="", help="comma list of size:K pairs not to run kep_solver on")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a field of matching.Options for our side, e.g. pool_seconds=0 (the engine "
                    "without its pool MIP) or packing_lp_method=simplex; repeatable")
    ap.add_argument("--before", default=None, metavar="DIR",
                    help="also run the engine of the checkout in DIR (e.g. a worktree of an older commit), "
                    "right before ours on each instance, with its own defaults")
    ap.add_argument("--workdir", default=None, help="where instances are written (default: a temp dir)")
    ap.add_argument("--seeds", default="0", help="comma list of offsets: each size is generated with seed "
                    "pairs + offset (0 alone gives the instances of earlier runs)")
    args = ap.parse_args(argv)
    try:
        settings = option_settings(args.set)
    except (ValueError, TypeError) as exc:
        ap.error(str(exc))
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-kep-"))
    skip = {tuple(map(int, s.split(":"))) for s in args.skip_kep.split(",") if s}
    sides = (["before"] if args.before else []) + ["ours"]
    header = ("pairs", "seed", "arcs", "K=L", "kep obj", "kep s") + tuple(
        f"{side} {col}" for side in sides for col in ("obj", "bound", "s", "gap", "status", "/kep"))
    rows = []
    print(f"machine: {machine()} at start" + "".join(f"; {name} = {value}" for name, value in settings.items())
          + (f"; before = {args.before}" if args.before else ""), flush=True)
    print(" | ".join(header), flush=True)
    sizes = [(n, n + int(off)) for n in map(int, args.sizes.split(",")) for off in args.seeds.split(",")]
    for n, seed in sizes:
        name = f"uk{n}.json" if seed == n else f"uk{n}s{seed}.json"
        path = write_uk(workdir / name, n, seed=seed)
        from matching import read_kep_json

        arcs = read_kep_json(path).n_arcs
        for k in map(int, args.limits.split(",")):
            runs = []
            if args.before:
                runs.append(_ours(path, k, args.time_limit, {}, args.before))
            runs.append(_ours(path, k, args.time_limit, settings, None))
            kep = None if (n, k) in skip else run_child(KEP, [str(path), str(k), str(k)], timeout=args.kep_timeout)
            kep_obj = f"{kep['objective']:.0f}" if kep else "-"
            kep_s = f"{kep['wall']:.2f}" if kep else (f"> {args.kep_timeout:.0f}" if (n, k) not in skip else "not run")
            timeout = None if (n, k) in skip else args.kep_timeout
            row = (str(n), str(seed), str(arcs), str(k), kep_obj, kep_s) + tuple(
                cell for run in runs for cell in _cells(run, kep, timeout))
            rows.append(row)
            print(" | ".join(row), flush=True)
            for side, run in zip(sides, runs):
                print(f"   {side}:", json.dumps(run["stats"]), flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
