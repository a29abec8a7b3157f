"""What each app test pays before its own work: a fresh database, `create_app`, the first pages.

    .venv/bin/python -m bench.app_start              # both databases, 10 apps each
    .venv/bin/python -m bench.app_start --db sqlite --apps 20

The test suite builds a new app on a new database for every app test (tests/conftest.py), so
these costs are paid about a thousand times a run. For each database (the suite's own servers:
a SQLite file copied from a template, a real PostgreSQL database cloned from one) it builds
`--apps` apps the way the `app` fixture does and prints the mean seconds of: making the
database, `create_app`, the first three pages (`/`, `/sign-in`, `/sign-up`) with a new Jinja
environment compiling its templates, the same pages with the compiled templates shared between
apps (what the fixture does), and the first read of the OpenAPI document (written on first
read). The first app of each database is not counted (imports, first connection).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

PAGES = ("/", "/sign-in", "/sign-up")


def measure(backend: str, apps: int) -> dict[str, float]:
    from tests import databases
    from timebank import create_app
    from timebank.extensions import db

    server = databases.PostgresServer() if backend == "postgresql" else databases.SqliteFiles()
    try:
        from tests.conftest import _CompiledTemplates
        shared = _CompiledTemplates()
    except ImportError:  # a commit before the shared cache: both rows then compile afresh
        shared = None
    times: dict[str, list[float]] = {"database": [], "create_app": [], "first pages": [],
                                     "first pages, shared templates": [], "API document": []}
    try:
        for i in range(apps + 1):
            built = []
            for second in (False, True):
                t0 = time.perf_counter()
                name, url = server.new_database()
                t1 = time.perf_counter()
                app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                                  "WTF_CSRF_ENABLED": False, "SERVER_NAME": "exchange.test",
                                  "BASE_URL": "http://exchange.test", "RATELIMIT_ENABLED": False})
                t2 = time.perf_counter()
                if second and shared is not None:
                    app.jinja_env.bytecode_cache = shared
                client = app.test_client()
                for page in PAGES:
                    assert client.get(page).status_code == 200, page
                t3 = time.perf_counter()
                built.append((t1 - t0, t2 - t1, t3 - t2))
                if second:
                    t4 = time.perf_counter()
                    assert client.get("/api/v1/openapi.json").status_code == 200
                    times_doc = time.perf_counter() - t4
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
                server.drop_database(name)
            if i == 0:
                continue  # imports, first connection, the shared cache filling
            times["database"].append(built[0][0])
            times["create_app"].append(built[0][1])
            times["first pages"].append(built[0][2])
            times["first pages, shared templates"].append(built[1][2])
            times["API document"].append(times_doc)
    finally:
        server.stop()
    return {what: statistics.mean(values) for what, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="sqlite,postgresql", help="comma list: sqlite, postgresql")
    ap.add_argument("--apps", type=int, default=10, help="apps measured per database (mean)")
    args = ap.parse_args(argv)
    backends = [b for b in args.db.split(",") if b]
    if not backends or set(backends) - {"sqlite", "postgresql"}:
        ap.error("--db: a comma list of sqlite and postgresql")
    if args.apps < 1:
        ap.error("--apps: at least 1")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"load average at start {os.getloadavg()[0]:.2f}; mean of {args.apps} apps, seconds")
    for backend in backends:
        if backend == "postgresql":
            from tests import databases

            databases.ensure_pgserver_user()
        for what, seconds in measure(backend, args.apps).items():
            print(f"{backend:10} | {what:30} | {seconds:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
