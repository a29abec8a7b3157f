"""Marketplace matching benchmarks: end-to-end runs on synthetic data, and multi-party vs greedy pairs.

    .venv/bin/python -m bench.marketplace                     # 200/2,000 and 2,000/20,000, and the demo
    .venv/bin/python -m bench.marketplace --sizes 200:2000    # one size
    .venv/bin/python -m bench.marketplace --report            # also time the K = 2, 3, 4, 6 re-runs

Each size is loaded with the synthetic generator (seed/synthetic.py) into a fresh SQLite database
in a temporary folder, read back with timebank.matcher.build_market, and matched with the default
policy. Peak memory is the process's maximum resident set size (it includes the database load).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from matching.marketplace import Policy, greedy_pairs, match


def _app(folder: str):
    from timebank import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                       "SECRET_KEY": "bench", "SERVER_NAME": "bench.test", "BASE_URL": "http://bench.test",
                       "MAIL_BACKEND": "file"})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(kind: str, members: int, listings: int, policy: Policy) -> dict:
    from timebank.extensions import db
    from timebank.matcher import build_market

    with tempfile.TemporaryDirectory() as folder:
        app = _app(folder)
        with app.app_context(), app.test_request_context():
            db.create_all()
            if kind == "demo":
                from seed.demo import load_demo
                load_demo(log=lambda *args: None)
            else:
                from seed.synthetic import load_synthetic
                load_synthetic(members, listings, seed=1)
            db.session.commit()
            t = time.perf_counter()
            market = build_market()
            t_market = time.perf_counter() - t
    result = match(market, policy)
    s = result.stats
    greedy = greedy_pairs(market, policy)
    plain = sum(leg.score - (policy.weights.reciprocity if ex.shape != "pair" else 0)
                for ex in result.exchanges for leg in ex.legs)
    return {
        "data": kind, "members": len(market.members), "listings": len(market.listings),
        "candidates": s["candidates"], "graph": s["graph"],
        "engine": {k: s["engine"].get(k) for k in ("columns", "cycles", "rows", "method")},
        "seconds": {"build_market": round(t_market, 3), **{k: round(v, 3) for k, v in s["timings"].items()}},
        "status": s["status"], "gap": s["gap"], "needs_met": s["needs_met"], "legs_by_shape": s["legs_by_shape"],
        "score": plain, "greedy_pairs": greedy, "needs_met_by_K": s["needs_met_by_K"],
        "peak_rss_mb": round(_peak_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200:2000,2000:20000", help="members:listings, comma-separated")
    parser.add_argument("--report", action="store_true", help="include the K = 2, 3, 4, 6 re-runs")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--out", help="write the results as JSON here too")
    args = parser.parse_args()
    policy = Policy() if args.report else replace(Policy(), report_cycle_lengths=())
    print(f"# {platform.processor() or platform.machine()}, {platform.python_version()}, "
          f"{_cpus()} CPUs; policy K={policy.max_cycle} L={policy.max_chain}")
    results = []
    if not args.no_demo:
        results.append(run("demo", 0, 0, policy))
        print(json.dumps(results[-1]))
    for size in filter(None, args.sizes.split(",")):
        m, n = (int(x) for x in size.split(":"))
        results.append(run("synthetic", m, n, policy))
        print(json.dumps(results[-1]))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
