"""What the matcher aims for is the coordinators' choice: the most exchanges if everyone accepts, or
the most expected to go ahead; the run uses it, the change is audited, the run page says what to expect."""
from __future__ import annotations

import re

from sqlalchemy import select

from timebank.audit.models import AuditEvent
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.matcher.models import MatcherRun
from tests.matcher.test_acceptance import _answered

FORM = {"max_cycle": "3", "max_chain": "3", "allow_pairs": "y", "w_urgency": "4", "w_category_fit": "3",
        "w_distance": "2", "w_waiting": "1", "time_limit": "30"}


def _run_from_the_web(client, objective):
    response = client.post("/coordinator/matcher", data={**FORM, "objective": objective})
    assert response.status_code == 302, response.data.decode()
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _proposed(app, run_id):
    """(shape, members) of each exchange the run proposed."""
    with app.app_context():
        return [(e.shape, {p.member_id for p in e.parties})
                for e in db.session.scalars(select(Exchange).where(Exchange.run_id == run_id))]


def _withdraw_all(app):
    """Void the run's proposals, so that the next run sees the same market."""
    with app.app_context():
        for exchange in db.session.scalars(select(Exchange).where(Exchange.status == "proposed")):
            exchange.status = "voided"
        for listing in db.session.scalars(select(Listing).where(Listing.status == "matched")):
            listing.status = "open"
        db.session.commit()


def test_the_run_aims_for_what_the_coordinator_chose_and_the_change_is_audited(
        app, client, auth, ring, make_listing):
    app.config["MATCHER_QUEUE"] = "inline"
    a, b, c = ring["members"]
    with app.test_request_context():  # the third member has declined every proposal so far
        for _ in range(10):
            _answered(b, c, ring["offers"][1], ring["needs"][2], "accepted", "declined")
        db.session.commit()
    auth.login(ring["coordinator"])
    page = client.get("/coordinator/matcher").data.decode()
    assert "What should the matcher aim for?" in page
    assert re.search(r'value="points"\s+checked', page)  # today's aim, until a coordinator changes it

    first = _run_from_the_web(client, "points")
    assert _proposed(app, first) == [("cycle", {a, b, c})]  # a ring of three meets every need, if all accept
    _withdraw_all(app)
    second = _run_from_the_web(client, "expected")
    # that ring needs the member who always declines: a ring of two without it is likelier to go ahead
    assert _proposed(app, second) == [("cycle", {a, b})]
    with app.app_context():
        run = db.session.get(MatcherRun, second)
        assert run.policy["objective"] == "expected" and run.status == "done"
        assert run.stats["acceptance"]["answers"] == 20
        changes = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.matcher_objective")).all()
        assert [(e.details["before"], e.details["after"]) for e in changes] == [("points", "expected")]
        expected = run.stats["expected_exchanges"]
        assert 0 < expected < len(run.exchanges)
    done = client.get(f"/coordinator/matcher/runs/{second}").data.decode()
    assert "The most exchanges expected to go ahead, allowing for declines" in done
    shown = re.search(r"Exchanges expected to go ahead, allowing for declines</dt>\s*<dd[^>]*>\s*([0-9.]+)", done)
    assert shown and float(shown.group(1)) == expected
    # the next run starts from the last one's aim; running it again changes no policy
    assert re.search(r'value="expected"\s+checked', client.get("/coordinator/matcher").data.decode())
    _withdraw_all(app)
    _run_from_the_web(client, "expected")
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "policy.matcher_objective")).all()) == 1


def test_an_aim_the_matcher_does_not_have_is_refused_beside_the_field(app, client, auth, ring):
    auth.login(ring["coordinator"])
    page = client.post("/coordinator/matcher", data={**FORM, "objective": "most-hours"})
    assert page.status_code == 200 and "Not a valid choice" in page.data.decode()
    with app.app_context():
        assert db.session.scalars(select(MatcherRun)).all() == []


def test_a_run_stored_before_the_choice_existed_aims_for_the_most_exchanges():
    from timebank.matcher.runs import to_policy

    assert to_policy({"max_cycle": 3}).objective == "points"
    assert to_policy({"objective": "expected"}).objective == "expected"
