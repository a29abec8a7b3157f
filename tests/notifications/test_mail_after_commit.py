"""Mail leaves only after the transaction that caused it commits; a rollback or a failed commit sends nothing."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from tests.exchanges.conftest import propose_ring, ring  # noqa: F401 - fixtures of the real view below
from timebank.accounts.models import User
from timebank.extensions import db
from timebank.notifications.links import Page
from timebank.notifications.models import EmailPreference
from timebank.notifications.services import notify


@pytest.fixture()
def person(make_user):
    return make_user("ada@example.org", name="Ada")


def _tell(person_id: int) -> None:
    notify([db.session.get(User, person_id)], "exchanges", "Exchange 7 is approved.",
           page=Page("exchanges.detail", exchange_id=7))


def test_mail_waits_for_the_commit(app, person, mailbox):
    with app.test_request_context():
        _tell(person)
        db.session.flush()
        assert mailbox.to("ada@example.org") == [], "mail left before the commit"
        db.session.commit()
    [message] = mailbox.to("ada@example.org")
    assert "Exchange 7 is approved." in mailbox.body(message)


def test_a_rolled_back_transaction_sends_nothing(app, person, mailbox):
    with app.test_request_context():
        _tell(person)
        db.session.rollback()
        db.session.commit()  # a later commit does not send what was rolled back
    assert mailbox.to("ada@example.org") == []


def test_a_commit_that_fails_sends_nothing(app, person, mailbox):
    with app.test_request_context():
        _tell(person)
        db.session.add_all([EmailPreference(user_id=person, topic="exchanges", by_email=True),
                            EmailPreference(user_id=person, topic="exchanges", by_email=True)])
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert mailbox.to("ada@example.org") == []


def test_a_request_that_fails_after_notifying_sends_nothing(app, person, mailbox):
    def approve_then_fail():
        _tell(person)
        db.session.add_all([EmailPreference(user_id=person, topic="exchanges", by_email=True),
                            EmailPreference(user_id=person, topic="exchanges", by_email=True)])
        db.session.commit()  # fails: the same preference twice
        return "sent"

    app.add_url_rule("/test-fails-at-commit", view_func=approve_then_fail)
    with pytest.raises(IntegrityError):  # the test app propagates errors instead of a 500 page
        app.test_client().get("/test-fails-at-commit")
    assert mailbox.to("ada@example.org") == []
    with app.app_context():
        assert db.session.get(User, person).email == "ada@example.org"


def test_with_no_transaction_open_mail_goes_at_once(app, person, mailbox):
    from timebank.notifications.email import send_email

    with app.test_request_context():
        user = db.session.get(User, person)
        email, name = user.email, user.display_name
        db.session.commit()
        assert not db.session().in_transaction()
        send_email(email, "Hello", "notification", user=None, text=f"Hello {name}", page=None)
    assert len(mailbox.to("ada@example.org")) == 1


@pytest.fixture()
def commits_fail():
    """Within it, every commit fails as a database refusing it would (a real session event, no mock)."""
    from contextlib import contextmanager

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def refuse(_session):
        raise RuntimeError("the database refused the commit")

    @contextmanager
    def failing():
        event.listen(Session, "before_commit", refuse)
        try:
            yield
        finally:
            event.remove(Session, "before_commit", refuse)

    return failing


def test_a_real_answer_whose_commit_fails_emails_nobody_and_saves_nothing(app, client, auth, ring, propose_ring,
                                                                          mailbox, commits_fail):
    """Declining an exchange emails the other members (notify, in the service, before the request
    commits: timebank/unit_of_work.py). When that commit fails, nobody is told and nothing is saved."""
    from timebank.exchanges.models import Exchange

    exchange_id = propose_ring()
    auth.login(ring["admins"][1])
    answer = {"member_id": ring["members"][1], "answer": "decline", "reason": "We have found a bookkeeper"}
    sent = len(mailbox.messages)
    with commits_fail(), pytest.raises(RuntimeError, match="refused the commit"):
        client.post(f"/exchanges/{exchange_id}/respond", data=answer)
    assert len(mailbox.messages) == sent, "mail left although the request's commit failed"
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "proposed" and {p.status for p in exchange.parties} == {"pending"}
    client.post(f"/exchanges/{exchange_id}/respond", data=answer)  # the same answer, the database working
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "voided"
    # Told now, with the reason (the decline may also bring a repaired proposal, mailed after it).
    assert any("We have found a bookkeeper" in mailbox.body(m) for m in mailbox.to(ring["admins"][0]))
