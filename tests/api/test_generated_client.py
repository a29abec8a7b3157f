"""The proof that the document drives a real client: openapi-python-client generates one, it imports
cleanly, and it walks the whole exchange, on SQLite and PostgreSQL.

The client is generated once per test process from the document the app serves (it does not depend
on the database), into a temporary folder, and called in-process through httpx's WSGI transport:
the same requests a system elsewhere would send, without a server. Every call below is a generated
function named after an operationId, with generated models; nothing is hand-written JSON but the
`from_dict` bodies (as an integrator reading the reference would write them).
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import time_machine

PACKAGE = "exchange_client"
# The zips of a person's or a member's data are application/zip, which the generator reads as bytes
# when told to (its documented content_type_overrides); docs/api.md gives the same configuration.
CONFIG = (f"project_name_override: exchange-client\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
          "content_type_overrides:\n  application/zip: application/octet-stream\n")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated client package, every module of it imported."""
    from timebank import create_app

    folder = tmp_path_factory.mktemp("client")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    (folder / "openapi.json").write_text(json.dumps(app.test_client().get("/api/v1/openapi.json").json))
    (folder / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    made = subprocess.run([str(generator), "generate", "--path", str(folder / "openapi.json"), "--config",
                           str(folder / "config.yaml"), "--output-path", str(folder / PACKAGE), "--meta", "none"],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    # The generator warns about anything in the document it could not turn into code: nothing may be dropped.
    assert "Warning" not in made.stdout + made.stderr and "Unable" not in made.stdout + made.stderr, made.stdout
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        modules = [importlib.import_module(info.name)
                   for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
        assert len(modules) > 80
        yield package
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(path: str):
    return importlib.import_module(f"{PACKAGE}.{path}")


def _client(generated, app, secret: str):
    return generated.AuthenticatedClient(base_url="http://exchange.test", token=secret,
                                         httpx_args={"transport": httpx.WSGITransport(app=app)})


def _call(operation: str, client, **kwargs):
    """Call the generated operation (tag.operation) and return its parsed answer, which must be a success."""
    answer = _module(f"api.{operation}").sync_detailed(client=client, **kwargs)
    assert 200 <= answer.status_code < 300, (operation, answer.status_code, answer.content[:500])
    return answer


def test_the_generated_client_names_each_operation_and_model(generated):
    from timebank import create_app

    document = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).test_client() \
        .get("/api/v1/openapi.json").json
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            tag = operation["tags"][0].lower().replace(" ", "_")
            name = "".join(f"_{c.lower()}" if c.isupper() else c for c in operation["operationId"])
            module = _module(f"api.{tag}.{name}")
            assert all(hasattr(module, f) for f in ("sync", "sync_detailed", "asyncio", "asyncio_detailed"))
    models = _module("models")
    for name in document["components"]["schemas"]:
        assert hasattr(models, name), f"the client has no model {name}"
    # The run and its policy are two models, not one clashing name (the bug that made the client unusable).
    assert models.MatcherRun is not models.MatcherPolicy and models.MatcherPolicyChanges


def test_the_generated_client_walks_the_whole_exchange(generated, app, world, tokens, categories):
    """Tokens, post listings, run the matcher, accept, approve, confirm, read balances and reports."""
    app.config["MATCHER_QUEUE"] = "inline"
    models = _module("models")
    a, c = world.ids["member_a"], world.ids["member_c"]
    coordinator = _client(generated, app, tokens["coordinator_scope"])
    staff_a, admin_c = _client(generated, app, tokens["staff_a"]), _client(generated, app, tokens["admin_c"])

    # C's admin makes the token its own system will use, and that system works with it from here on.
    made = _call("tokens.create_token", admin_c, body=models.TokenRequest.from_dict(
        {"name": "C's volunteer system", "scope": "read-write"})).parsed
    assert isinstance(made, models.NewToken) and made.scope.value == "read-write"
    admin_c = _client(generated, app, made.secret)

    # Who am I: the token's person and the members it acts for.
    me = _call("me.get_me", admin_c).parsed
    assert isinstance(me, models.Me) and [m.member_id for m in me.memberships] == [c]
    # Everything the exchange holds about the token's person: a zip, as bytes.
    data = _call("me.download_my_data", admin_c)
    assert data.headers["Content-Type"] == "application/zip" and data.content.startswith(b"PK")

    # C offers the bookkeeping A needs (A's need is in the world); posted with an Idempotency-Key, twice.
    offer = models.NewListing.from_dict({
        "member_id": c, "direction": "offer", "kind": "skill", "category_id": categories["bookkeeping"],
        "title": "Bookkeeping from our finance team", "quantity": 6, "available_from": str(date.today()),
        "available_until": str(date.today() + timedelta(days=60)), "postcode": "L32 1TA"})
    posted = _call("listings.create_listing", admin_c, body=offer, idempotency_key="offer-1")
    again = _call("listings.create_listing", admin_c, body=offer, idempotency_key="offer-1")
    assert posted.status_code == again.status_code == 201 and again.parsed.id == posted.parsed.id
    assert posted.headers["Location"].endswith(f"/api/v1/listings/{posted.parsed.id}")

    # The coordinator runs the matcher and reads its run.
    started = _call("matcher_runs.start_matcher_run", coordinator, body=models.MatcherPolicyChanges.from_dict(
        {"max_cycle": 3, "allow_pairs": True, "time_limit": 10}))
    assert started.status_code == 202
    run = _call("matcher_runs.get_matcher_run", coordinator, run_id=started.parsed.id).parsed
    assert run.status.value == "done" and run.policy.max_cycle == 3 and run.exchange_ids

    # Each member answers its part of the proposal between A and C.
    proposal = next(p for p in _call("proposals.list_proposals", staff_a).parsed.items
                    if {party.member_id for party in p.parties} == {a, c} and p.id in run.exchange_ids)
    for client in (staff_a, admin_c):
        _call("proposals.accept_proposal", client, exchange_id=proposal.id, body=models.Accept.from_dict({}))

    # The coordinator approves it from the work queue, with the queue's default schedule.
    waiting = _call("work_queue.list_queue_items", coordinator,
                    name=models.ListQueueItemsName("approval")).parsed.items
    assert [item.exchange_id for item in waiting] == [proposal.id] and waiting[0].default_schedule
    read = _call("exchanges.get_exchange", coordinator, exchange_id=proposal.id)
    approved = _call("exchanges.approve_exchange", coordinator, exchange_id=proposal.id,
                     if_match=read.headers["ETag"], body=models.ApproveExchange.from_dict({"schedule": [
                         {"leg_id": slot.leg_id, "start": slot.start, "end": slot.end}
                         for slot in waiting[0].default_schedule]})).parsed
    assert approved.status.value == "scheduled"
    leg = approved.legs[0]

    # Once the help has happened, A (which received it) confirms it; credits move.
    with time_machine.travel(leg.scheduled_end + timedelta(hours=1)):
        confirmed = _call("legs.confirm_leg", staff_a, leg_id=leg.id,
                          body=models.Confirm.from_dict({"actual_hours": 4, "actual_people": 1})).parsed
        assert confirmed.status.value == "confirmed"
        balance_a = _call("ledger.get_balance", staff_a, member_id=a).parsed
        balance_c = _call("ledger.get_balance", admin_c, member_id=c).parsed
        assert (balance_a.balance, balance_a.credit_limit, balance_c.balance) == (-4, 10, 4)
        line = _call("ledger.get_statement", staff_a, member_id=a).parsed.items[0]
        assert line.kind.value == "leg" and line.amount == -4 and isinstance(line.created_at, datetime)

        # Reports: the sector's figures.
        summary = _call("reports.get_sector_summary", coordinator).parsed
        assert summary.person_hours >= 4 and summary.exchanges_completed >= 1
        value_c = _call("reports.get_social_value", admin_c, member_id=c).parsed
        assert value_c.person_hours == 4 and [line.leg_id for line in value_c.lines] == [leg.id]
