"""Nothing stalls unseen: each member's waiting list, the coordinators' work queue, bulk approve,
reminders (the daily job and by hand, never twice), on the web pages and in the API."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from timebank.exchanges.models import Exchange, Leg


def _accept_all(app, ring, exchange_id, skip=()):
    from timebank.accounts.models import User
    from timebank.exchanges import services
    from timebank.extensions import db
    from timebank.members.models import Member

    with app.test_request_context():
        exchange = db.session.get(Exchange, exchange_id)
        for email, member_id in zip(ring["admins"], ring["members"]):
            if member_id in skip:
                continue
            user = db.session.scalar(select(User).where(User.email == email))
            services.respond(exchange, db.session.get(Member, member_id), user, accept=True)
        db.session.commit()


def _approve_and_backdate(app, ring, exchange_id, *, days_ago: int):
    """Approve through the service, then move every part's dates `days_ago` days into the past."""
    from timebank.accounts.models import User
    from timebank.exchanges import services
    from timebank.extensions import db

    _accept_all(app, ring, exchange_id)
    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == ring["coordinator"]))
        exchange = db.session.get(Exchange, exchange_id)
        start = datetime.combine(date.today() + timedelta(days=2), datetime.min.time()).replace(hour=10)
        services.approve(exchange, coordinator, {leg.id: (start, start + timedelta(hours=3)) for leg in exchange.legs})
        past = datetime.combine(date.today() - timedelta(days=days_ago), datetime.min.time()).replace(hour=10)
        for leg in exchange.legs:
            leg.scheduled_start, leg.scheduled_end = past, past + timedelta(hours=3)
        for party in exchange.parties:  # they joined before the help happened (it cannot be dated earlier)
            party.member.created_at = past - timedelta(days=30)
        db.session.commit()
        return [leg.id for leg in exchange.legs]


def test_a_members_dashboard_lists_the_answer_it_owes_until_it_answers(app, client, auth, ring, propose_ring):
    exchange_id = propose_ring()
    auth.login(ring["admins"][0])
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"Answer Exchange ring {exchange_id}: accept or decline your part" in page
    assert f'href="/exchanges/{exchange_id}/respond?member_id={ring["members"][0]}"' in page
    with app.app_context():
        from timebank.extensions import db

        expires = db.session.get(Exchange, exchange_id).expires_at.date()
    assert f"{expires.day} {expires:%B %Y}" in page  # its deadline
    client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": ring["members"][0], "answer": "accept"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"Answer Exchange ring {exchange_id}" not in page
    assert "Nothing is waiting for Kirkby Food Bank" in page


def test_the_queue_shows_who_has_not_answered_and_reminds_them_once_a_day(app, client, auth, ring, propose_ring,
                                                                          mailbox):
    exchange_id = propose_ring()
    _accept_all(app, ring, exchange_id, skip=(ring["members"][2],))
    auth.login(ring["coordinator"])
    page = client.get("/coordinator/queue").get_data(as_text=True)
    assert "Not answered: Prescot Seniors." in page and "Not reminded yet." in page
    before = len(mailbox.to(ring["admins"][2]))
    # Nothing ticked: the message is beside the list, nothing is sent.
    empty = client.post("/coordinator/queue/remind", data={"list": "answers"})
    assert empty.status_code == 422 and "Choose at least one exchange or part to remind about" in empty.get_data(
        as_text=True)
    done = client.post("/coordinator/queue/remind", data={"list": "answers", "exchange_ids": str(exchange_id)},
                       follow_redirects=True).get_data(as_text=True)
    assert "1 reminder sent." in done
    told = mailbox.to(ring["admins"][2])
    assert len(told) == before + 1
    body = mailbox.body(told[-1])
    assert f"Exchange ring {exchange_id} waits for Prescot Seniors to accept or decline its part" in body
    assert f"/exchanges/{exchange_id}" in body
    assert not any("Reminder" in m["Subject"] for m in mailbox.to(ring["admins"][0]))  # it has answered
    again = client.post("/coordinator/queue/remind", data={"list": "answers", "exchange_ids": str(exchange_id)},
                        follow_redirects=True).get_data(as_text=True)
    assert "0 reminders sent. Already reminded today" in again
    assert len(mailbox.to(ring["admins"][2])) == before + 1


def test_bulk_approve_checks_then_approves_with_default_dates_and_refuses_all_if_one_cannot(
        app, client, auth, ring, propose_ring, make_member, make_listing, categories):
    from timebank.extensions import db

    exchange_id = propose_ring()
    _accept_all(app, ring, exchange_id)
    auth.login(ring["coordinator"])
    page = client.get("/coordinator/queue").get_data(as_text=True)
    assert "Approve with the default dates" in page and f'value="{exchange_id}"' in page
    check = client.post("/coordinator/queue/approve", data={"exchange_ids": str(exchange_id)}).get_data(as_text=True)
    assert "Check the dates, then approve 1 exchange" in check and "Part 1: Kirkby Food Bank to Halewood Youth Club" \
        in check
    assert "from 10:00 to 13:00 on" in check  # three hours, from the morning both listings allow
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "accepted"  # the check page changes nothing
    # A second exchange whose listings share no day: ticking both approves neither.
    a, a_user = make_member("Whiston Walkers", admin_email="walk@ring.example")
    b, b_user = make_member("Cronton Cooks", admin_email="cook@ring.example")
    offer = make_listing(a, a_user, direction="offer", kind="time", category_id=categories["bookkeeping"],
                         available_from=date.today() + timedelta(days=1), available_until=date.today() + timedelta(days=5))
    need = make_listing(b, b_user, direction="need", kind="time", category_id=categories["bookkeeping"],
                        available_from=date.today() + timedelta(days=20), available_until=date.today() + timedelta(days=30))
    from timebank.exchanges.services import LegPlan, create_proposal

    with app.test_request_context():
        other = create_proposal("pair", [LegPlan(giver_member_id=a, receiver_member_id=b, kind="time",
                                                 hours=Decimal(2), offer_id=offer, need_id=need)], story="A pair.")
        db.session.commit()
        other_id = other.id
    _accept_all(app, {"admins": ["walk@ring.example", "cook@ring.example"], "members": [a, b]}, other_id)
    page = client.get("/coordinator/queue").get_data(as_text=True)
    assert "Part 1: the offer and the need share no day from tomorrow on" in page
    refused = client.post("/coordinator/queue/approve", data={"exchange_ids": [str(exchange_id), str(other_id)],
                                                             "confirm": "yes"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Nothing was approved." in text and "share no day" in text
    with app.app_context():
        assert {db.session.get(Exchange, i).status for i in (exchange_id, other_id)} == {"accepted"}
    done = client.post("/coordinator/queue/approve", data={"exchange_ids": str(exchange_id), "confirm": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"1 exchange is approved and scheduled: Exchange ring {exchange_id}" in done
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "scheduled"
        for leg in exchange.legs:
            assert leg.scheduled_start.date() > date.today() and leg.scheduled_start.weekday() < 5
            assert leg.scheduled_end - leg.scheduled_start == timedelta(hours=3)


def test_overdue_confirmations_are_listed_and_the_daily_job_reminds_once(app, client, auth, ring, propose_ring,
                                                                        runner, mailbox):
    exchange_id = propose_ring()
    legs = _approve_and_backdate(app, ring, exchange_id, days_ago=6)
    receiver_email = ring["admins"][1]  # part 1 goes from member 0 to member 1
    auth.login(receiver_email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"Confirm the help Kirkby Food Bank gave in Exchange ring {exchange_id}" in page
    assert f'href="/legs/{legs[0]}/confirm"' in page and "Overdue" in page
    auth.logout()
    auth.login(ring["coordinator"])
    page = client.get("/coordinator/queue").get_data(as_text=True)
    assert f"Part 1 of Exchange ring {exchange_id}" in page and "3 days late" in page
    before = len(mailbox.messages)
    result = runner.invoke(args=["exchanges", "remind"])
    assert result.exit_code == 0, result.output
    assert "3 reminders to confirm sent" in result.output
    reminded = [m for m in mailbox.messages[before:] if "please confirm" in m["Subject"]]
    assert len(reminded) == 3
    assert any(f"/legs/{legs[0]}/confirm" in mailbox.body(m) and m["To"] == receiver_email for m in reminded)
    # Run again (today, or tomorrow): nothing more is sent.
    result = runner.invoke(args=["exchanges", "remind"])
    assert "0 reminders to answer and 0 reminders to confirm sent" in result.output
    assert len(mailbox.messages) == before + 3
    with app.test_request_context():
        from timebank.exchanges.reminders import send_due_reminders

        assert send_due_reminders(now=datetime.utcnow() + timedelta(days=1),
                                  clock=datetime.now() + timedelta(days=1)).total == 0
    # Confirming takes it off the receiver's list and out of the queue.
    auth.logout()
    auth.login(receiver_email)
    client.post(f"/legs/{legs[0]}/confirm", data={"actual_hours": "3", "actual_people": "1"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"Confirm the help Kirkby Food Bank gave in Exchange ring {exchange_id}" not in page


def test_the_daily_job_reminds_before_expiry_once_and_expires_what_is_past(app, ring, propose_ring, runner,
                                                                           mailbox):
    from timebank.db import utcnow
    from timebank.extensions import db

    soon, late = propose_ring(), None
    _accept_all(app, ring, soon, skip=(ring["members"][1],))
    with app.app_context():
        db.session.get(Exchange, soon).expires_at = utcnow() + timedelta(hours=30)
        db.session.commit()
    before = len(mailbox.messages)
    result = runner.invoke(args=["exchanges", "remind"])
    assert "0 proposals expired; 1 reminders to answer" in result.output
    sent = mailbox.messages[before:]
    assert [m["To"] for m in sent] == [ring["admins"][1]]
    assert runner.invoke(args=["exchanges", "remind"]).output.startswith("0 proposals expired; 0 reminders")
    with app.app_context():
        db.session.get(Exchange, soon).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert runner.invoke(args=["exchanges", "remind"]).output.startswith("1 proposals expired")
    with app.app_context():
        assert db.session.get(Exchange, soon).status == "expired"


def test_stuck_lists_a_live_exchange_nothing_has_moved_for_two_weeks(app, client, auth, ring, propose_ring):
    from timebank.audit.models import AuditEvent
    from timebank.extensions import db

    exchange_id = propose_ring()
    _accept_all(app, ring, exchange_id)
    with app.app_context():
        old = datetime.utcnow() - timedelta(days=20)
        exchange = db.session.get(Exchange, exchange_id)
        exchange.created_at = old
        for party in exchange.parties:
            party.responded_at = old
        db.session.execute(db.update(AuditEvent).where(AuditEvent.subject_id == exchange_id).values(at=old))
        db.session.commit()
    auth.login(ring["coordinator"])
    page = client.get("/coordinator/queue").get_data(as_text=True)
    stuck = page[page.index('id="stuck"'):]
    assert f"Exchange ring {exchange_id}" in stuck and "Your approval: every member accepted" in stuck
    home = client.get("/coordinator/").get_data(as_text=True)
    assert "1 waiting for approval" in home and "1 stuck" in home


def test_loans_wait_for_the_lender_and_the_borrower(app, client, auth, make_member, make_user):
    from timebank.accounts.models import User
    from timebank.bookings import services as bookings
    from timebank.bookings.models import uk_today
    from timebank.extensions import db
    from timebank.members.models import Asset, Member

    lender, _ = make_member("Cronton Catering", admin_email="lend@loans.example")
    borrower, _ = make_member("St Gabriel's Kitchen", admin_email="borrow@loans.example")
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == "lend@loans.example"))
        asset = Asset(member_id=lender, kind="equipment", name="Catering urn")
        db.session.add(asset)
        db.session.flush()
        loan = bookings.request_loan(asset, db.session.get(Member, borrower), uk_today(), uk_today() + timedelta(days=2),
                                     user)
        db.session.commit()
        loan_id = loan.id
    auth.login("lend@loans.example")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Hand over Catering urn to St Gabriel&#39;s Kitchen" in page and f"/loans/{loan_id}/check-out" in page
    with app.test_request_context():
        bookings.check_out(db.session.get(bookings.Loan, loan_id),
                           db.session.scalar(select(User).where(User.email == "lend@loans.example")),
                           condition="Clean", pat_checked=True)
        db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Take back Catering urn from St Gabriel&#39;s Kitchen" in page and "Hand over" not in page
    auth.logout()
    auth.login("borrow@loans.example")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Give back Catering urn to Cronton Catering" in page


# -- the API ------------------------------------------------------------------------------------------

def _token(app, email, scope):
    from timebank.accounts.models import User
    from timebank.accounts.tokens import create_token
    from timebank.extensions import db

    with app.test_request_context():
        _, secret = create_token(db.session.scalar(select(User).where(User.email == email)), name="CRM", scope=scope)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_a_coordinator_token_reads_every_exchange_and_the_queue(app, client, ring, propose_ring, mailbox):
    exchange_id = propose_ring()
    _accept_all(app, ring, exchange_id, skip=(ring["members"][2],))
    coordinator = _token(app, ring["coordinator"], "coordinator")
    found = client.get("/api/v1/exchanges?status=proposed", headers=coordinator).json
    assert [e["id"] for e in found["items"]] == [exchange_id]
    assert [e["id"] for e in client.get("/api/v1/proposals", headers=coordinator).json["items"]] == [exchange_id]
    assert client.get("/api/v1/exchanges?status=completed", headers=coordinator).json["total"] == 0
    # The same person's read-write token acts as the member staff they are: none of this is theirs.
    plain = _token(app, ring["coordinator"], "read-write")
    assert client.get("/api/v1/exchanges", headers=plain).json["total"] == 0
    queue = client.get("/api/v1/coordinator/queue", headers=coordinator).json
    assert queue["counts"] == {"review": 0, "approval": 0, "answers": 1, "overdue": 0, "disputes": 0, "stuck": 0}
    answers = client.get("/api/v1/coordinator/queue/answers", headers=coordinator).json["items"]
    assert answers[0]["exchange_id"] == exchange_id and answers[0]["not_answered"] == [
        {"member_id": ring["members"][2], "member_name": "Prescot Seniors"}]
    nonsense = client.get("/api/v1/coordinator/queue/nonsense", headers=coordinator)
    assert nonsense.status_code == 404 and nonsense.content_type == "application/problem+json"
    # The actions beside the lists are POST only: a GET is 405 and Allow names no GET (a list's name never
    # matches "approve" or "remind").
    for action in ("approve", "remind"):
        got = client.get(f"/api/v1/coordinator/queue/{action}", headers=coordinator)
        assert got.status_code == 405 and "GET" not in got.headers["Allow"], action
    assert client.get("/api/v1/coordinator/queue/answers", headers=plain).status_code == 403
    bad = client.post("/api/v1/coordinator/queue/remind", headers=coordinator, json={"exchange_ids": [999]})
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert "There is no exchange 999" in bad.json["detail"]
    sent = client.post("/api/v1/coordinator/queue/remind", headers=coordinator, json={"exchange_ids": [exchange_id]})
    assert sent.status_code == 200 and sent.json == {"sent": 1, "already_today": []}


def test_bulk_approve_in_the_api_is_all_or_nothing(app, client, ring, propose_ring):
    from timebank.extensions import db

    exchange_id = propose_ring()
    coordinator = _token(app, ring["coordinator"], "coordinator")
    refused = client.post("/api/v1/coordinator/queue/approve", headers=coordinator, json={"exchange_ids": [exchange_id]})
    assert refused.status_code == 422 and "only an exchange every member accepted is approved" in refused.json["detail"]
    _accept_all(app, ring, exchange_id)
    approval = client.get("/api/v1/coordinator/queue/approval", headers=coordinator).json["items"]
    assert approval[0]["default_schedule"] is not None and approval[0]["why_not"] is None
    done = client.post("/api/v1/coordinator/queue/approve", headers=coordinator, json={"exchange_ids": [exchange_id]})
    assert done.status_code == 200 and [e["status"] for e in done.json] == ["scheduled"]
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "scheduled"


def test_a_members_waiting_list_in_the_api(app, client, ring, propose_ring):
    exchange_id = propose_ring()
    mine = _token(app, ring["admins"][0], "read")
    waiting = client.get(f"/api/v1/members/{ring['members'][0]}/waiting", headers=mine).json
    assert [(t["kind"], t["exchange_id"]) for t in waiting["items"]] == [("answer", exchange_id)]
    assert waiting["items"][0]["due_on"] and waiting["items"][0]["overdue"] is False
    other = client.get(f"/api/v1/members/{ring['members'][1]}/waiting", headers=mine)
    assert other.status_code == 403


def test_a_reminder_is_not_progress_a_stale_proposal_stays_stuck(app, client, auth, ring, propose_ring):
    from timebank.audit.models import AuditEvent
    from timebank.extensions import db

    exchange_id = propose_ring()
    with app.app_context():
        old = datetime.utcnow() - timedelta(days=20)
        exchange = db.session.get(Exchange, exchange_id)
        exchange.created_at, exchange.expires_at = old, old + timedelta(days=7)  # nothing expired it
        db.session.execute(db.update(AuditEvent).where(AuditEvent.subject_id == exchange_id).values(at=old))
        db.session.commit()
    auth.login(ring["coordinator"])
    client.post("/coordinator/queue/remind", data={"list": "answers", "exchange_ids": str(exchange_id)})
    page = client.get("/coordinator/queue").get_data(as_text=True)
    stuck = page[page.index('id="stuck"'):]
    assert f"Exchange ring {exchange_id}" in stuck and "its time to answer ran out" in stuck
