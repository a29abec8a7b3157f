"""Does the time an account page takes say whether an address has an account? (issue #17, item 6)

    .venv/bin/python -m bench.account_timing              # 40 rounds of each
    .venv/bin/python -m bench.account_timing --rounds 100

The app as deployed hashes with scrypt (the default); this builds it on a throwaway SQLite file
with that default, a registered address and an unknown one, mail to memory and rate limits off,
then times, through the real Flask app (routing, forms, services, database, template):

- sign-up with the registered address against a new one each time;
- sign-in with a wrong password, for the registered address (locked after 5 wrong passwords, as an
  attacker sees it) against the unknown one;
- a password reset request for each.

It prints the median and the 10th and 90th percentiles of each, and the difference of the medians.
Before the change, sign-up took about 10 ms for a registered address against about 150 ms for a
new one, and a locked account answered 429 in about 10 ms against 200 at hashing speed.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path


def _time(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def run(rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    from timebank import create_app
    from timebank.accounts import services
    from timebank.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="account-timing-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "x" * 64,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "locmem",
                      "SERVER_NAME": "bench.test"})
    with app.app_context():
        db.create_all()
        services.create_user("known@example.org", "the right password", "Known", confirmed=True)
        db.session.commit()
    client = app.test_client()
    wrong = {"password": "a wrong password"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):  # lock the known account, as an attacker would
        client.post("/sign-in", data={"email": "known@example.org", **wrong})
    pairs = {
        "sign-up": (lambda: client.post("/sign-up", data=_sign_up("known@example.org")),
                    lambda: client.post("/sign-up", data=_sign_up(f"new-{uuid.uuid4().hex}@example.org"))),
        "sign-in (locked / unknown)": (lambda: client.post("/sign-in", data={"email": "known@example.org", **wrong}),
                                       lambda: client.post("/sign-in", data={"email": "nobody@example.org", **wrong})),
        "password reset": (lambda: client.post("/forgot-password", data={"email": "known@example.org"}),
                           lambda: client.post("/forgot-password", data={"email": "nobody@example.org"})),
    }
    results = {}
    for name, (known, unknown) in pairs.items():
        known(), unknown()  # warm up
        a, b = [], []
        for _ in range(rounds):  # interleaved, so a busy moment on the machine hits both
            a.append(_time(known))
            b.append(_time(unknown))
        results[name] = (a, b)
    return results


def _sign_up(email: str) -> dict:
    return {"display_name": "Someone", "email": email, "password": "a long enough password",
            "confirm": "a long enough password"}


def _summary(times: list[float]) -> str:
    deciles = statistics.quantiles(times, n=10)
    return f"median {statistics.median(times):6.1f} ms (p10 {deciles[0]:6.1f}, p90 {deciles[-1]:6.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    print(f"{platform.node()} {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{args.rounds} rounds each, scrypt")
    for name, (known, unknown) in run(args.rounds).items():
        print(f"{name:28} registered: {_summary(known)}")
        print(f"{'':28} unknown:    {_summary(unknown)}")
        print(f"{'':28} difference of medians: {statistics.median(known) - statistics.median(unknown):+.1f} ms")


if __name__ == "__main__":
    main()
