"""The collaboration network's figures (timebank/reports/network.py: measure) on random histories.

    .venv/bin/python -m bench.network                       # 1,000 members, 50,000 records
    .venv/bin/python -m bench.network --members 200 --records 2000

Prints the median seconds of `measure` over a few runs: a dense random network (every pair
equally likely) is the worst case, with no brokers, so betweenness is never needed; the records
are spread over a year, so twelve months make four quarters.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from datetime import date
from decimal import Decimal


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from timebank.reports.network import Help, measure

    rng = random.Random(1)
    records = [Help(rng.randint(1, args.members), rng.randint(1, args.members), Decimal(rng.randint(0, 20)),
                    date(2025, rng.randint(1, 12), 1)) for _ in range(args.records)]
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        figures = measure(list(range(1, args.members + 1)), records)
        times.append(time.perf_counter() - started)
    print(f"{platform.node()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}: {args.members} members, "
          f"{args.records} records, {figures.links} links: measure median {statistics.median(times):.2f} s, "
          f"worst {max(times):.2f} s")


if __name__ == "__main__":
    main()
