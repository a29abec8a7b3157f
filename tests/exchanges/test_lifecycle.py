"""The whole life of an exchange through the web: propose, accept, approve, deliver, confirm."""
from decimal import Decimal

from sqlalchemy import select

from tests.exchanges.conftest import after_start, schedule_data
from timebank.db import today
from timebank.exchanges.models import DeclinedPair, Exchange, Leg
from timebank.extensions import db
from timebank.listings.models import Listing


def _status(app, exchange_id):
    with app.app_context():
        return db.session.get(Exchange, exchange_id).status


def test_ring_accepted_approved_delivered_confirmed_moves_credits(app, client, auth, ring, propose_ring, mailbox):
    from timebank.ledger.services import balances

    exchange_id = propose_ring()
    with app.app_context():
        assert {l.status for l in db.session.scalars(select(Listing))} == {"matched"}
    # Every member's people were told, by email too.
    assert all(mailbox.to(email) for email in ring["admins"])
    for email, member_id in zip(ring["admins"], ring["members"]):
        auth.login(email)
        page = client.get(f"/exchanges/{exchange_id}").data.decode()
        assert "A helps B, B helps C, C helps A." in page
        response = client.post(f"/exchanges/{exchange_id}/respond",
                               data={"member_id": member_id, "answer": "accept"}, follow_redirects=True)
        assert b"Your answer is saved" in response.data
        auth.logout()
    assert _status(app, exchange_id) == "accepted"

    auth.login(ring["coordinator"])
    response = client.post(f"/exchanges/{exchange_id}/approve", data=schedule_data(app, exchange_id),
                           follow_redirects=True)
    assert b"is approved and scheduled" in response.data
    assert _status(app, exchange_id) == "scheduled"
    auth.logout()

    with app.app_context():
        legs = [(leg.id, leg.receiver_member_id) for leg in db.session.get(Exchange, exchange_id).legs]
    # Not yet: the help is three days away.
    auth.login(ring["admins"][ring["members"].index(legs[0][1])])
    early = client.post(f"/legs/{legs[0][0]}/confirm", data={"actual_hours": "2.5", "actual_people": "1"})
    assert "it can be confirmed once it has started" in early.data.decode()
    auth.logout()
    with after_start():
        for leg_id, receiver in legs:
            email = ring["admins"][ring["members"].index(receiver)]
            auth.login(email)
            response = client.post(f"/legs/{leg_id}/confirm", data={"actual_hours": "2.5", "actual_people": "1"},
                                   follow_redirects=True)
            assert b"Confirmed." in response.data
            auth.logout()
    assert _status(app, exchange_id) == "completed"
    with app.app_context():
        # Everyone gave 2.5 hours and got 2.5 hours: every balance is back to zero, and each posted.
        assert balances(ring["members"]) == {m: Decimal("0") for m in ring["members"]}
        assert {l.status for l in db.session.scalars(select(Listing))} == {"fulfilled"}


def test_a_decline_voids_for_everyone_frees_listings_and_is_remembered(app, client, auth, ring, propose_ring, mailbox):
    exchange_id = propose_ring()
    auth.login(ring["admins"][1])
    empty = client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": ring["members"][1], "answer": "decline"})
    assert b"Tell the others why you are declining" in empty.data
    assert _status(app, exchange_id) == "proposed"
    client.post(f"/exchanges/{exchange_id}/respond",
                data={"member_id": ring["members"][1], "answer": "decline", "reason": "We have found a bookkeeper"})
    assert _status(app, exchange_id) == "voided"
    o, n = ring["offers"], ring["needs"]
    with app.app_context():
        status = {l.id: l.status for l in db.session.scalars(select(Listing))}
        pairs = {(p.offer_listing_id, p.need_listing_id) for p in db.session.scalars(select(DeclinedPair))}
    # The decliner's listings are open again; the other two are proposed a ring of two at once
    # (repair on decline: tests/matcher/test_repair.py).
    assert status[o[1]] == status[n[1]] == "open"
    assert {status[i] for i in (o[0], n[0], o[2], n[2])} == {"matched"}
    # The two legs touching the decliner are remembered; the third is not.
    assert pairs == {(o[0], n[1]), (o[1], n[2])}
    told = [mailbox.body(m) for m in mailbox.to(ring["admins"][0])]
    assert any("We have found a bookkeeper" in body for body in told)


def test_only_members_of_the_exchange_and_coordinators_can_see_it(app, client, auth, ring, propose_ring, make_member):
    exchange_id = propose_ring()
    make_member("Outsider", admin_email="out@example.org")
    auth.login("out@example.org")
    assert client.get(f"/exchanges/{exchange_id}").status_code == 404
    auth.logout()
    auth.login(ring["coordinator"])
    assert client.get(f"/exchanges/{exchange_id}").status_code == 200


def test_a_member_cannot_answer_for_another(app, client, auth, ring, propose_ring):
    exchange_id = propose_ring()
    auth.login(ring["admins"][0])
    response = client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": ring["members"][1], "answer": "accept"})
    assert response.status_code == 403


def test_approval_needs_everyone_to_accept_first(app, client, auth, ring, propose_ring):
    exchange_id = propose_ring()
    auth.login(ring["coordinator"])
    page = client.post(f"/exchanges/{exchange_id}/approve", data=schedule_data(app, exchange_id)).data.decode()
    assert "Only an exchange every member has accepted can be approved" in page
    assert _status(app, exchange_id) == "proposed"


def test_unanswered_proposals_expire_and_free_their_listings(app, ring, propose_ring):
    from datetime import timedelta

    from timebank.db import utcnow
    from timebank.exchanges.services import expire_proposals

    exchange_id = propose_ring()
    with app.test_request_context():
        assert expire_proposals(utcnow()) == 0
        assert expire_proposals(utcnow() + timedelta(days=30)) == 1
        db.session.commit()
    assert _status(app, exchange_id) == "expired"
    with app.app_context():
        assert {l.status for l in db.session.scalars(select(Listing))} == {"open"}


def test_a_listing_in_a_live_exchange_cannot_be_proposed_again(app, ring, propose_ring):
    import pytest

    from timebank.errors import Conflict

    propose_ring()
    with pytest.raises(Conflict, match="already in a live exchange"):
        propose_ring()


def test_dispute_then_coordinator_settles_and_credits_post_once(app, client, auth, ring, propose_ring):
    from timebank.ledger.services import balance
    from timebank.members.models import Member

    exchange_id = propose_ring()
    for email, member_id in zip(ring["admins"], ring["members"]):
        auth.login(email)
        client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": member_id, "answer": "accept"})
        auth.logout()
    auth.login(ring["coordinator"])
    client.post(f"/exchanges/{exchange_id}/approve", data=schedule_data(app, exchange_id))
    auth.logout()
    with app.app_context():
        leg = db.session.scalars(select(Leg).where(Leg.exchange_id == exchange_id).order_by(Leg.position)).first()
        leg_id, giver, receiver = leg.id, leg.giver_member_id, leg.receiver_member_id
    with after_start():
        auth.login(ring["admins"][ring["members"].index(receiver)])
        client.post(f"/legs/{leg_id}/dispute", data={"reason": "Only half the work was done"})
        auth.logout()
        auth.login(ring["coordinator"])
        bad = client.post(f"/legs/{leg_id}/settle", data={"outcome": "confirm", "note": ""}).data.decode()
        assert "Say how it was settled" in bad
        huge = client.post(f"/legs/{leg_id}/settle", data={"outcome": "confirm", "actual_hours": "1e30",
                                                           "actual_people": "1", "note": "Typo"})
        assert huge.status_code == 200 and "Enter an amount between 0.25 and 10,000" in huge.data.decode()
        client.post(f"/legs/{leg_id}/settle", data={"outcome": "confirm", "actual_hours": "1.5", "actual_people": "1",
                                                    "note": "Agreed 1.5 hours with both"})
        client.post(f"/legs/{leg_id}/settle", data={"outcome": "confirm", "actual_hours": "1.5", "actual_people": "1",
                                                    "note": "Clicked twice"})
        auth.logout()
        with app.app_context():
            # A ring posts nothing until every part is confirmed.
            assert balance(db.session.get(Member, giver)) == 0
            others = db.session.scalars(select(Leg).where(Leg.exchange_id == exchange_id, Leg.id != leg_id)).all()
            others = [(o.id, o.receiver_member_id) for o in others]
        for other_id, other_receiver in others:
            auth.login(ring["admins"][ring["members"].index(other_receiver)])
            client.post(f"/legs/{other_id}/confirm", data={"actual_hours": "3", "actual_people": "1"})
            auth.logout()
    with app.app_context():
        # The giver gave 1.5 hours (as settled) and received 3; the receiver got 1.5 and gave 3.
        assert balance(db.session.get(Member, giver)) == Decimal("-1.5")
        assert balance(db.session.get(Member, receiver)) == Decimal("1.5")
        assert db.session.get(Exchange, exchange_id).status == "completed"


def test_recorded_help_counts_once_the_other_side_confirms(app, client, auth, make_member):
    from timebank.ledger.services import balance
    from timebank.members.models import Member

    giver, _ = make_member("Giver Group", admin_email="giver@example.org")
    receiver, _ = make_member("Receiver Group", admin_email="receiver@example.org")
    auth.login("giver@example.org")
    bad = client.post(f"/members/{giver}/record-help", data={"direction": "gave", "other_member_id": receiver,
                                                             "kind": "time", "hours": "0", "people": "2",
                                                             "description": "", "happened_on": str(today())})
    assert b"Say what the help was" in bad.data and b"Enter between 0.25 and 10,000 hours" in bad.data
    response = client.post(f"/members/{giver}/record-help", data={
        "direction": "gave", "other_member_id": receiver, "kind": "time", "hours": "3", "people": "2",
        "description": "Helped at the Saturday food bank", "happened_on": "2026-01-10"})
    # Both members joined today: help through the exchange cannot be dated before that.
    assert "joined on" in response.data.decode()
    response = client.post(f"/members/{giver}/record-help", data={
        "direction": "gave", "other_member_id": receiver, "kind": "time", "hours": "3", "people": "2",
        "description": "Helped at the Saturday food bank", "happened_on": str(today())}, follow_redirects=True)
    assert b"It counts once Receiver Group confirms it" in response.data
    with app.app_context():
        exchange_id = db.session.scalar(select(Exchange.id))
        assert balance(db.session.get(Member, giver)) == 0
    auth.logout()
    auth.login("receiver@example.org")
    client.post(f"/exchanges/{exchange_id}/respond", data={"member_id": receiver, "answer": "accept"})
    with app.app_context():
        assert balance(db.session.get(Member, giver)) == Decimal(6)
        assert balance(db.session.get(Member, receiver)) == Decimal(-6)
        assert db.session.get(Exchange, exchange_id).status == "completed"
