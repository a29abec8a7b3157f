"""No log line holds an email address. Every test of the suite checks its own log lines (the autouse
fixture in tests/conftest.py); here, a journey that types email addresses wherever a visitor can, and
a check that the suite's collector really sees the app's lines and would catch an address."""
from __future__ import annotations

import json
import logging

from tests import conftest as suite

EMAIL = "lena.marsh@example.org"


def _lines_since(start: int) -> list[str]:
    return suite._log_lines.lines[start:]


def test_a_journey_full_of_email_addresses_logs_none(app, client, outbox, make_user):
    make_user(EMAIL)
    start = len(suite._log_lines.lines)
    client.post("/sign-up", data={"email": "new.person@example.org", "display_name": "New Person",
                                  "password": "a-long-password-1", "confirm": "a-long-password-1"})
    client.post("/sign-in", data={"email": EMAIL, "password": "not-the-password"})
    client.post("/forgot-password", data={"email": EMAIL})
    client.get(f"/confirm-email/{EMAIL}")        # a link's token where an address was typed
    client.get(f"/reset-password/{EMAIL}")
    client.get(f"/listings?q={EMAIL}&page=1")   # an address in a query string
    client.get(f"/no-such-page/{EMAIL}")          # and in a path no route knows
    logging.getLogger("timebank.jobs").warning("could not send to %s", EMAIL, extra={"to": EMAIL})

    lines = _lines_since(start)
    requests = [json.loads(line) for line in lines if '"event": "request"' in line]
    assert {line["route"] for line in requests} >= {"/sign-up", "/sign-in", "/forgot-password",
                                                     "/confirm-email/<token>", "/reset-password/<token>",
                                                     "/listings", None}
    assert [line for line in lines if suite.EMAIL_ADDRESS.search(line)] == []
    assert any('"could not send to [email]"' in line for line in lines)
    directory = next(line for line in requests if line["route"] == "/listings")
    assert directory["query"] == "q=[redacted]&page=1"


def test_the_suite_collects_every_line_and_would_catch_an_address():
    assert suite._log_lines in logging.getLogger().handlers
    start = len(suite._log_lines.lines)
    logging.getLogger("some.library").warning("could not reach %s", EMAIL)  # not the app's formatter
    caught = [line for line in _lines_since(start) if suite.EMAIL_ADDRESS.search(line)]
    assert caught == [f"could not reach {EMAIL}"]
    del suite._log_lines.lines[start:]  # this line was put there on purpose: the suite's check passes
