"""Proposals held for a coordinator's review ("review first"): they expire like any other proposal when
nobody sends them on, without a word to the members, who never heard of them; and a member's CSV
downloads and its whole-data download never hold one."""
import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from timebank.db import utcnow
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.listings.models import Listing


@pytest.fixture()
def hold_ring(app, ring):
    """Store the ring as a proposal held for review (as a scheduled run with "review first" does)."""
    from timebank.exchanges.services import LegPlan, create_proposal

    def hold():
        m, o, n = ring["members"], ring["offers"], ring["needs"]
        legs = [LegPlan(giver_member_id=m[i], receiver_member_id=m[(i + 1) % 3], kind="skill", hours=Decimal(3),
                        offer_id=o[i], need_id=n[(i + 1) % 3], score=10, reason="Same category, close by")
                for i in range(3)]
        with app.test_request_context():
            exchange = create_proposal("cycle", legs, story="A helps B, B helps C, C helps A.", score=30, held=True)
            db.session.commit()
            return exchange.id

    return hold


def _texts(app, email: str) -> list[str]:
    from timebank.accounts.models import User
    from timebank.notifications.models import Notification

    with app.app_context():
        return list(db.session.scalars(select(Notification.text).join(User, User.id == Notification.user_id)
                                       .where(User.email == email)))


def test_a_held_proposal_nobody_reviews_expires_and_its_listings_open_again(app, runner, ring, hold_ring,
                                                                           mailbox):
    exchange_id = hold_ring()
    with time_machine.travel(utcnow() + timedelta(days=6)):
        assert runner.invoke(args=["exchanges", "remind"]).output.startswith("0 proposals expired")
    with time_machine.travel(utcnow() + timedelta(days=8)):
        result = runner.invoke(args=["exchanges", "remind"])
    assert result.exit_code == 0 and result.output.startswith("1 proposals expired"), result.output
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "expired" and {leg.status for leg in exchange.legs} == {"cancelled"}
        assert {x.status for x in db.session.scalars(select(Listing))} == {"open"}  # for the next run
    for email in ring["admins"]:  # they never heard of it, so they are not told it expired
        assert _texts(app, email) == [] and not mailbox.to(email)
    assert any("expired before anyone reviewed" in text for text in _texts(app, ring["coordinator"]))


def _member_csv(client, member_id: int, name: str) -> list[dict]:
    answer = client.get(f"/members/{member_id}/exports/{name}.csv")
    assert answer.status_code == 200
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_members_downloads_never_hold_a_held_proposal(app, client, auth, ring, hold_ring):
    exchange_id = hold_ring()
    member_id = ring["members"][0]
    auth.login(ring["admins"][0])
    assert _member_csv(client, member_id, "exchanges") == []
    assert _member_csv(client, member_id, "legs") == []
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/members/{member_id}/exports/all-our-data.zip").data))
    for name in ("exchanges.csv", "exchange_parties.csv", "legs.csv"):
        rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        assert rows == [], name
    history = list(csv.DictReader(io.StringIO(archive.read("audit_events.csv").decode("utf-8-sig"))))
    assert not [row for row in history if row["subject_type"] == "exchange"]
    auth.logout()

    # Once a coordinator sends it on, it is the members' to see, and in their downloads.
    auth.login(ring["coordinator"])
    client.post(f"/exchanges/{exchange_id}/release")
    auth.logout()
    auth.login(ring["admins"][0])
    assert [row["id"] for row in _member_csv(client, member_id, "exchanges")] == [str(exchange_id)]
    assert len(_member_csv(client, member_id, "legs")) == 2  # what it gives and what it gets


def _token(app, email: str) -> dict:
    from timebank.accounts.models import User
    from timebank.accounts.tokens import create_token

    with app.test_request_context():
        _, secret = create_token(db.session.scalar(select(User).where(User.email == email)), name="CRM",
                                 scope="read-write")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _never_seen(app, client, auth, ring, exchange_id, *secrets: str) -> None:
    """None of the members' people meets the proposal anywhere: pages, API, CSVs, the zip."""
    member_id = ring["members"][0]
    api = _token(app, ring["admins"][0])
    assert client.get("/api/v1/exchanges", headers=api).json["total"] == 0
    assert client.get(f"/api/v1/exchanges/{exchange_id}", headers=api).status_code == 404
    auth.login(ring["admins"][0])
    page = client.get("/exchanges").get_data(as_text=True)
    assert not [s for s in secrets if s in page]
    assert client.get(f"/exchanges/{exchange_id}").status_code == 404
    assert _member_csv(client, member_id, "exchanges") == []
    assert _member_csv(client, member_id, "legs") == []
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/members/{member_id}/exports/all-our-data.zip").data))
    for name in ("exchanges.csv", "exchange_parties.csv", "legs.csv"):
        assert list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")))) == [], name
    history = archive.read("audit_events.csv").decode("utf-8-sig")
    assert not [s for s in secrets if s in history]
    auth.logout()


def test_a_held_proposal_that_expired_unreviewed_stays_out_of_its_members_sight(app, client, auth, runner, ring,
                                                                                hold_ring):
    exchange_id = hold_ring()
    with time_machine.travel(utcnow() + timedelta(days=8)):
        assert runner.invoke(args=["exchanges", "remind"]).output.startswith("1 proposals expired")
    _never_seen(app, client, auth, ring, exchange_id, "A helps B, B helps C")


def test_a_held_proposal_a_coordinator_rejected_stays_out_of_its_members_sight(app, client, auth, ring,
                                                                               hold_ring):
    exchange_id = hold_ring()
    auth.login(ring["coordinator"])
    client.post(f"/exchanges/{exchange_id}/reject", data={"reason": "Halewood is closed for refurbishment"})
    auth.logout()
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "rejected"
    _never_seen(app, client, auth, ring, exchange_id, "closed for refurbishment", "A helps B, B helps C")


def test_a_proposal_sent_on_then_expired_stays_in_its_members_sight(app, client, auth, runner, ring, hold_ring):
    exchange_id = hold_ring()
    auth.login(ring["coordinator"])
    client.post(f"/exchanges/{exchange_id}/release")
    auth.logout()
    with time_machine.travel(utcnow() + timedelta(days=8)):
        assert runner.invoke(args=["exchanges", "remind"]).output.startswith("1 proposals expired")
    auth.login(ring["admins"][0])
    assert client.get(f"/exchanges/{exchange_id}").status_code == 200
    assert "A helps B, B helps C" in client.get("/exchanges").get_data(as_text=True)
    assert [row["id"] for row in _member_csv(client, ring["members"][0], "exchanges")] == [str(exchange_id)]


def test_nobody_writes_in_a_held_proposal_that_expired_unreviewed(app, client, auth, runner, ring, hold_ring):
    """A coordinator's message would tell its members of a proposal they never saw."""
    from timebank.conversations.models import Message

    exchange_id = hold_ring()
    with time_machine.travel(utcnow() + timedelta(days=8)):
        assert runner.invoke(args=["exchanges", "remind"]).output.startswith("1 proposals expired")
    auth.login(ring["coordinator"])
    page = client.post(f"/exchanges/{exchange_id}/messages", data={"body": "Sorry, this one slipped"})
    assert "never saw" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Message)).all() == []
    for email in ring["admins"]:
        assert _texts(app, email) == []


def test_a_held_proposal_is_in_the_coordinators_queue_list_and_home_and_is_sent_on_from_the_queue(
        app, client, auth, ring, hold_ring, mailbox):
    exchange_id = hold_ring()
    auth.login(ring["coordinator"])
    queue = client.get("/coordinator/queue").get_data(as_text=True)
    assert "Waiting for your review</a>: 1" in queue
    assert f'value="{exchange_id}"' in queue and "A helps B, B helps C, C helps A. Held since" in queue
    assert f"Exchange ring {exchange_id}" not in queue.split('id="stuck"')[1]  # the review list says what to do
    listed = client.get("/coordinator/exchanges").get_data(as_text=True)
    held = listed.split("Held for your review")[1].split("Waiting for your approval")[0]
    assert f'href="/exchanges/{exchange_id}"' in held and "Held for review" in held
    assert "1 waiting for your review" in client.get("/coordinator/").get_data(as_text=True)
    page = client.get(f"/exchanges/{exchange_id}").get_data(as_text=True)  # its contacts say what is true
    assert "Everyone has accepted" not in page
    assert "This proposal is held for your review: its members have not seen it." in page
    secret = _token(app, ring["coordinator"])  # a coordinator's read-write token is member staff's: none
    assert client.get("/api/v1/coordinator/queue/review", headers=secret).status_code == 403

    # Nothing ticked, or a reject without a reason: the message is beside the field, nothing changes.
    empty = client.post("/coordinator/queue/review", data={"decision": "send"})
    assert empty.status_code == 422 and "Choose at least one proposal to send on or reject" in empty.get_data(
        as_text=True)
    no_reason = client.post("/coordinator/queue/review", data={"decision": "reject", "exchange_ids": str(exchange_id)})
    assert no_reason.status_code == 422 and "Enter why you reject them" in no_reason.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "held"
    assert not any(mailbox.to(email) for email in ring["admins"])

    sent = client.post("/coordinator/queue/review", data={"decision": "send", "exchange_ids": str(exchange_id)},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Sent to their members, who have been told: Exchange ring {exchange_id}." in sent
    assert "No proposal waits for your review." in sent
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "proposed"
    assert all(mailbox.to(email) for email in ring["admins"])
    again = client.post("/coordinator/queue/review", data={"decision": "send", "exchange_ids": str(exchange_id)})
    assert again.status_code == 422 and "is proposed, no longer waiting for review" in again.get_data(as_text=True)


def test_held_proposals_rejected_from_the_queue_never_reach_their_members(app, client, auth, ring, hold_ring,
                                                                         mailbox):
    from timebank.accounts.models import User
    from timebank.accounts.tokens import create_token

    exchange_id = hold_ring()
    with app.test_request_context():
        _, secret = create_token(db.session.scalar(select(User).where(User.email == ring["coordinator"])),
                                 name="Desk", scope="coordinator")
        db.session.commit()
    listed = client.get("/api/v1/coordinator/queue/review", headers={"Authorization": f"Bearer {secret}"}).json
    assert [(i["exchange_id"], i["story"]) for i in listed["items"]] == [
        (exchange_id, "A helps B, B helps C, C helps A.")]
    assert listed["items"][0]["since"] and listed["items"][0]["due"]
    auth.login(ring["coordinator"])
    done = client.post("/coordinator/queue/review", data={"decision": "reject", "exchange_ids": str(exchange_id),
                                                          "reason": "Halewood is closed for refurbishment"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Rejected: Exchange ring {exchange_id}. Their members never saw it." in done
    auth.logout()
    with app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        assert exchange.status == "rejected" and exchange.decision_reason == "Halewood is closed for refurbishment"
        assert {x.status for x in db.session.scalars(select(Listing))} == {"open"}
    _never_seen(app, client, auth, ring, exchange_id, "closed for refurbishment", "A helps B, B helps C")
