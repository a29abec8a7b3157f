"""The matcher on the coordinators' schedule: set on its page (audited), run by the daily job
(`flask jobs run matcher`), its proposals sent straight to the members or held for review, unseen
by them, until a coordinator sends them on."""
from datetime import date

from sqlalchemy import select

from timebank.audit.models import AuditEvent
from timebank.exchanges.models import Exchange
from timebank.matcher.models import MatcherRun
from timebank.extensions import db


def _statuses(app):
    with app.app_context():
        return sorted(e.status for e in db.session.scalars(select(Exchange)))


def test_nightly_by_default_and_a_new_listing_gets_a_proposal(app, runner, ring, mailbox):
    result = runner.invoke(args=["jobs", "run", "matcher"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        run = db.session.scalars(select(MatcherRun)).one()
        assert run.status == "done" and run.policy["scheduled"] is True and run.policy["hold_for_review"] is False
    assert "proposed" in _statuses(app)
    assert all(mailbox.to(email) for email in ring["admins"])  # straight to the members


def test_held_for_review_until_a_coordinator_sends_it_on(app, client, auth, runner, ring, mailbox):
    auth.login(ring["coordinator"])
    page = client.get("/coordinator/matcher-schedule").data.decode()
    assert "The matcher runs every night at 01:30" in page
    bad = client.post("/coordinator/matcher-schedule", data={"cadence": "fortnightly"}).data.decode()
    assert "Not a valid choice" in bad or "Choose how often" in bad
    response = client.post("/coordinator/matcher-schedule", data={"cadence": "weekly", "weekday": "2",
                                                                  "review": "y"}, follow_redirects=True)
    assert "The matcher runs every Wednesday at 01:30 (UK time); its proposals wait for a coordinator" \
           in response.data.decode()
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.matcher_schedule")).one()
        from timebank.matcher.schedule import run_if_due

        with app.test_request_context():
            assert run_if_due(date(2027, 3, 2)).startswith("Not due today")  # a Tuesday
            assert "Run 1" in run_if_due(date(2027, 3, 3))  # a Wednesday
    assert _statuses(app) and set(_statuses(app)) == {"held"}
    assert not any(mailbox.to(email) for email in ring["admins"])  # members hear nothing yet
    with app.app_context():
        exchange_id = db.session.scalars(select(Exchange.id)).first()
    page = client.get(f"/exchanges/{exchange_id}").data.decode()
    assert "Waiting for your review" in page
    auth.logout()
    auth.login(ring["admins"][0])
    assert client.get(f"/exchanges/{exchange_id}").status_code == 404
    assert f"/exchanges/{exchange_id}" not in client.get("/exchanges").data.decode()
    auth.logout()

    auth.login(ring["coordinator"])
    response = client.post(f"/exchanges/{exchange_id}/release", follow_redirects=True)
    assert "is sent to its members" in response.data.decode()
    again = client.post(f"/exchanges/{exchange_id}/release", follow_redirects=True)
    assert "only a proposal waiting for review is sent on" in again.data.decode()
    auth.logout()
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "proposed"
    assert all(mailbox.to(email) for email in ring["admins"])
    auth.login(ring["admins"][0])
    assert client.get(f"/exchanges/{exchange_id}").status_code == 200
