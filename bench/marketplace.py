"""Marketplace matching benchmarks: end-to-end runs on synthetic data, and multi-party vs greedy pairs.

    .venv/bin/python -m bench.marketplace                              # demo, 2,000 .. 20,000 listings
    .venv/bin/python -m bench.marketplace --sizes 200:2000 --repeat 3  # one size
    .venv/bin/python -m bench.marketplace --time-limit 60              # the web app's limit
    .venv/bin/python -m bench.marketplace --sizes 200:2000@1,2000:20000@15   # the issue's targets

Each size is loaded with the synthetic generator (seed/synthetic.py) into a fresh SQLite database
in a temporary folder and read back with timebank.matcher.market.build_market (not timed). The market is
then matched in a fresh child process, ``--repeat`` times: end to end = candidates + programme +
solve + stories, with the default policy (K = 3, L = 3, pairs on) and ``--time-limit`` seconds for
the run (``members:listings@seconds`` sets one size's own limit, ``@none`` none; the policy's time
limit covers candidates, programme and solve). Peak memory is the child's maximum resident set size (Python, numpy, HiGHS and the
market; no database). The pairwise-only greedy baseline runs on the same market.

``--before DIR`` also matches each market with the code of another checkout (a worktree of an
older commit), in a child process started in DIR right before ours: before and after in the same
run, on the same market, under the same load. Its rows say ``"code": "before"``.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench import machine
from matching.marketplace import Policy, greedy_pairs, match


def _app(folder: str):
    from timebank import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                       "SECRET_KEY": "bench", "SERVER_NAME": "bench.test", "BASE_URL": "http://bench.test",
                       "MAIL_BACKEND": "file"})


def build(kind: str, members: int, listings: int, path: Path) -> None:
    """Generate the data into a fresh database and pickle the matcher's market to ``path``."""
    from timebank.extensions import db
    from timebank.matcher.market import build_market

    with tempfile.TemporaryDirectory() as folder:
        app = _app(folder)
        with app.app_context():
            db.create_all()
            if kind == "demo":
                from seed.demo import load_demo
                load_demo(log=lambda *args: None)
            else:
                from seed.synthetic import load_synthetic
                load_synthetic(members, listings, seed=1)
            db.session.commit()
            path.write_bytes(pickle.dumps(build_market()))


def child(path: str, repeat: int, time_limit: float | None) -> None:
    """Match the pickled market ``repeat`` times; print one JSON line."""
    market = pickle.loads(Path(path).read_bytes())
    policy = replace(Policy(), report_cycle_lengths=(), time_limit=time_limit)
    walls, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = match(market, policy)
        walls.append(time.perf_counter() - t)
    s = result.stats
    bonus = policy.weights.reciprocity
    plain = sum(leg.score - (bonus if ex.shape != "pair" else 0) for ex in result.exchanges for leg in ex.legs)
    greedy = greedy_pairs(market, policy)
    print(json.dumps({
        "members": len(market.members), "listings": len(market.listings),
        "wall_s": [round(w, 3) for w in walls], "median_s": round(statistics.median(walls), 3),
        "timings_s": {k: round(v, 3) for k, v in s["timings"].items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "candidates": s["candidates"], "programme": s["graph"],
        "solver": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in s["engine"].items()},
        "status": s["status"], "objective": s["objective"], "bound": s["bound"], "gap": round(s["gap"], 4),
        "needs_met": s["needs_met"], "legs_by_shape": s["legs_by_shape"], "score_without_bonus": plain,
        "greedy_pairs": greedy,
    }))


def _seconds(text: str) -> float | None:
    return None if text == "none" else float(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200:2000,500:5000,1000:10000,2000:20000",
                        help="members:listings[@seconds], comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=_seconds, default=10.0,
                        help="seconds for each run (default 10; none for no limit)")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--before", metavar="DIR", help="also match with the code of the checkout in DIR")
    parser.add_argument("--out", help="write the results as JSON here too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeat, args.time_limit)
        return
    print(f"# {machine()}, Python {platform.python_version()}; K=3 L=3 pairs; "
          f"time limit per run {args.time_limit} s unless a size gives its own")
    runs = [("demo", 0, 0, args.time_limit)] if not args.no_demo else []
    for size in filter(None, args.sizes.split(",")):
        size, _, limit = size.partition("@")
        members, listings = (int(x) for x in size.split(":"))
        runs.append(("synthetic", members, listings, _seconds(limit) if limit else args.time_limit))
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for kind, members, listings, limit in runs:
            path = Path(folder) / f"{kind}-{listings}.pickle"
            build(kind, members, listings, path)
            cmd = [sys.executable, "-m", "bench.marketplace", "--child", str(path), "--repeat", str(args.repeat)]
            cmd += ["--time-limit", "none" if limit is None else str(limit)]
            for code, cwd in ([("before", args.before)] if args.before else []) + [("this", None)]:
                load = round(os.getloadavg()[0], 1)
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=cwd).stdout
                row = {"data": kind, "code": code, "time_limit": limit, **json.loads(out.strip().splitlines()[-1]),
                       "load_average": [load, round(os.getloadavg()[0], 1)]}
                results.append(row)
                print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
