"""The API's matcher policy says what a run aims for, as the matcher page does (the page's tests:
tests/matcher/test_objective.py)."""
from sqlalchemy import select

from timebank.audit.models import AuditEvent
from timebank.extensions import db


def test_the_api_sets_and_shows_what_a_run_aims_for_and_the_change_is_audited(app, api, world, tokens):
    app.config["MATCHER_QUEUE"] = "inline"
    coordinator = api(tokens["coordinator_scope"])
    bad = coordinator.post("/api/v1/coordinator/matcher-runs", json={"objective": "most-hours"})
    assert bad.status_code == 422 and "objective" in bad.json["errors"]
    started = coordinator.post("/api/v1/coordinator/matcher-runs", json={"objective": "expected", "time_limit": 10})
    assert started.status_code == 202, started.json
    assert started.json["policy"]["objective"] == "expected"
    done = coordinator.get(started.headers["Location"]).json
    assert done["status"] == "done" and "expected_exchanges" in done["stats"]
    runs = coordinator.get("/api/v1/coordinator/matcher-runs").json["items"]
    assert {r["policy"]["objective"] for r in runs} == {"points", "expected"}  # older runs: today's aim
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.matcher_objective")).one()
        assert (event.details["before"], event.details["after"]) == ("points", "expected")
