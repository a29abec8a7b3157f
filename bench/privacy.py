"""Erasing a person, their download, and the retention job, on a sector of synthetic size.

    .venv/bin/python -m bench.privacy                                  # both databases
    .venv/bin/python -m bench.privacy --db sqlite --members 1000 --listings 10000 --exchanges 5000

For each database (the test suite's own servers): synthetic members and listings
(seed.synthetic.load_synthetic) and history (seed.synthetic.load_history: exchanges, legs, postings,
audit events), fixed seed. One member's admin is then named in a few listing descriptions, and the
script times: the check page's plan (`plan_erasure`, which reads every text column of every table),
the erasure itself with its commit, the person's download of another member's admin, and a run of
the retention job with nothing due. Erasure reads the whole database's text, so it grows with it;
it is a rare, coordinator-started action.
"""
from __future__ import annotations

import argparse
import os
import platform
import time


def _server(backend: str):
    from tests import databases

    if backend == "postgresql":
        databases.ensure_pgserver_user()
        return databases.PostgresServer()
    return databases.SqliteFiles()


def run(backend: str, members: int, listings: int, exchanges: int) -> dict:
    from sqlalchemy import func, select, update

    from seed.synthetic import load_history, load_synthetic
    from timebank import create_app
    from timebank.accounts import services as accounts
    from timebank.accounts.models import User
    from timebank.audit.models import AuditEvent
    from timebank.extensions import db
    from timebank.listings.models import Listing
    from timebank.members.models import Membership
    from timebank.privacy import downloads, erasure, retention

    server = _server(backend)
    name, url = server.new_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SERVER_NAME": "bench.test", "RATELIMIT_ENABLED": False})
    timings: dict[str, float] = {}
    try:
        with app.app_context():
            load_synthetic(n_members=members, n_listings=listings, seed=1)
            load_history(exchanges, exchanges * 2, seed=1)
            coordinator = accounts.create_user("bench@oneknowsley.example", "bench-password-1", "Bench", confirmed=True)
            accounts.make_coordinator(coordinator)
            person_id, member_id = db.session.execute(select(Membership.user_id, Membership.member_id)
                                                      .order_by(Membership.id).limit(1)).one()
            person = db.session.get(User, person_id)
            person.display_name = "Philippa Quennell"
            for listing_id in db.session.scalars(select(Listing.id).where(Listing.member_id == member_id).limit(5)):
                db.session.execute(update(Listing).where(Listing.id == listing_id).values(
                    description=f"Ask Philippa Quennell ({person.email}, 0151 496 0123)."))
            db.session.commit()
            sizes = {"listings": db.session.scalar(select(func.count()).select_from(Listing)),
                     "audit events": db.session.scalar(select(func.count()).select_from(AuditEvent))}
            other = db.session.scalar(select(User).where(User.id != person_id, User.email.like("admin%"))
                                      .order_by(User.id).limit(1))
            t0 = time.perf_counter()
            downloads.person_zip(other)
            timings["a person's download"] = time.perf_counter() - t0
            identity = erasure.identity_of(person)
            t0 = time.perf_counter()
            erasure.plan_erasure(person, identity)
            timings["the check page's plan"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            done = erasure.erase_person(person, coordinator, "Bench")
            db.session.commit()
            timings["erasure, committed"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            retention.apply_retention()
            db.session.commit()
            timings["retention job, nothing due"] = time.perf_counter() - t0
            return {"sizes": sizes, "timings": timings, "rewritten": dict(done.rewritten)}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        server.drop_database(name)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--exchanges", type=int, default=5_000)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for backend in args.db.split(","):
        result = run(backend, args.members, args.listings, args.exchanges)
        print(f"{backend}: {args.members:,} members, {result['sizes']['listings']:,} listings, "
              f"{result['sizes']['audit events']:,} audit events; rewritten {result['rewritten']}")
        for label, seconds in result["timings"].items():
            print(f"  {label:<30} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
