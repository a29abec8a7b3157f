"""Posting legs, adjustments, reversals, the pot, balances and statements, through the services."""
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from timebank.accounts.models import User
from timebank.audit.models import AuditEvent
from timebank.errors import Conflict, DomainError, InvalidInput, NotAllowed
from timebank.extensions import db
from timebank.ledger import services
from timebank.ledger.models import Account, LedgerEntry
from timebank.ledger.services import CreditLimitExceeded
from timebank.members.models import Member
from timebank.notifications.models import Notification
from tests.ledger.helpers import count_entries, count_postings, make_leg, total


@pytest.fixture()
def world(app, make_member, make_user):
    """Two members (a giver and a receiver, limit 10 each), their admins, and a coordinator."""
    giver_id, giver_admin = make_member("Halewood Youth Club")
    receiver_id, receiver_admin = make_member("Kirkby Food Bank")
    coordinator_id = make_user("coord@oneknowsley.example", coordinator=True)
    with app.test_request_context():
        yield {"giver": db.session.get(Member, giver_id), "receiver": db.session.get(Member, receiver_id),
               "giver_admin": db.session.get(User, giver_admin), "receiver_admin": db.session.get(User, receiver_admin),
               "coordinator": db.session.get(User, coordinator_id)}


def test_a_confirmed_time_leg_moves_hours_times_people_from_receiver_to_giver(world):
    leg = make_leg(world["giver"].id, world["receiver"].id, "1.5", people=2)
    entry = services.post_leg(leg, world["receiver_admin"])
    db.session.commit()
    assert services.balance(world["giver"]) == Decimal("3.00")
    assert services.balance(world["receiver"]) == Decimal("-3.00")
    assert entry.leg_id == leg.id and sum(p.amount for p in entry.postings) == 0
    assert total() == 0


def test_posting_the_same_leg_twice_posts_once(world):
    leg = make_leg(world["giver"].id, world["receiver"].id, 2)
    first = services.post_leg(leg, world["receiver_admin"])
    db.session.commit()
    second = services.post_leg(leg, world["receiver_admin"])
    db.session.commit()
    assert second.id == first.id
    assert count_entries() == 1 and count_postings() == 2
    assert services.balance(world["giver"]) == 2


@pytest.mark.parametrize("kind,is_gift", [("room", False), ("equipment", False), ("time", True), ("skill", True)])
def test_rooms_equipment_and_gifts_move_no_credits(world, kind, is_gift):
    leg = make_leg(world["giver"].id, world["receiver"].id, 3, kind=kind, is_gift=is_gift)
    assert services.post_leg(leg, world["receiver_admin"]) is None
    assert count_entries() == 0
    assert services.balance(world["giver"]) == 0


@pytest.mark.parametrize("status", ["disputed", "cancelled", "proposed", "scheduled"])
def test_a_leg_that_is_not_delivered_and_confirmed_posts_nothing(world, status):
    leg = make_leg(world["giver"].id, world["receiver"].id, 2, status=status)
    with pytest.raises(Conflict, match=status):
        services.post_leg(leg, world["receiver_admin"])
    db.session.rollback()
    assert count_entries() == 0


def test_a_posting_past_the_credit_limit_is_refused_and_leaves_nothing_half_posted(world):
    receiver = world["receiver"]
    leg = make_leg(world["giver"].id, receiver.id, 12)
    db.session.commit()
    audits_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    notes_before = db.session.scalar(select(func.count()).select_from(Notification))
    with pytest.raises(CreditLimitExceeded) as refused:
        services.post_leg(leg, world["receiver_admin"])
    assert refused.value.message == "This would take Kirkby Food Bank to -12 credits; its limit is -10."
    db.session.rollback()
    assert count_entries() == 0 and count_postings() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits_before
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notes_before
    assert services.balance(receiver) == 0 and services.balance(world["giver"]) == 0


def test_refusal_inside_a_longer_transaction_keeps_the_callers_earlier_work_undone_only_by_its_rollback(world):
    """The limit check runs before anything is added, so the session holds no stray entry after it."""
    leg = make_leg(world["giver"].id, world["receiver"].id, 11)
    with pytest.raises(CreditLimitExceeded):
        services.post_leg(leg, world["receiver_admin"])
    assert not [obj for obj in db.session.new if isinstance(obj, LedgerEntry)]
    assert count_entries() == 0


def test_a_receiver_can_reach_its_limit_exactly(world):
    services.post_leg(make_leg(world["giver"].id, world["receiver"].id, 10), world["receiver_admin"])
    db.session.commit()
    assert services.balance(world["receiver"]) == -10


def test_adjustments_need_a_coordinator_and_a_reason_and_respect_the_limit(world):
    member, coordinator = world["receiver"], world["coordinator"]
    with pytest.raises(NotAllowed):
        services.adjust(member, 5, "Because", world["receiver_admin"])
    with pytest.raises(InvalidInput, match="reason") as missing:
        services.adjust(member, 5, "   ", coordinator)
    assert missing.value.field == "reason"
    with pytest.raises(InvalidInput) as zero:
        services.adjust(member, 0, "Nothing", coordinator)
    assert zero.value.field == "amount"
    with pytest.raises(CreditLimitExceeded, match="to -11 credits; its limit is -10"):
        services.adjust(member, Decimal("-11"), "Over the limit", coordinator)
    db.session.rollback()
    entry = services.adjust(member, Decimal("2.5"), "Hours missed off a confirmation", coordinator)
    db.session.commit()
    assert services.balance(member) == Decimal("2.5")
    assert entry.reason == "Hours missed off a confirmation"
    assert services.adjustments_account().id != services.pot_account().id
    assert total() == 0


@pytest.mark.parametrize("typed", ["1e30", "-1e30", "1e30000", Decimal("1e40")])
def test_an_amount_too_big_to_round_to_pennies_is_refused_not_a_500(world, typed):
    with pytest.raises(InvalidInput, match="Enter at most 10,000 credits") as huge:
        services.adjust(world["receiver"], typed, "Typo", world["coordinator"])
    assert huge.value.field == "amount"
    with pytest.raises(InvalidInput, match="Enter at most 10,000 credits|more than 0"):
        services.donate_to_pot(world["giver"], typed, world["giver_admin"])


def test_a_reversal_cancels_an_entry_exactly_and_only_once(world):
    leg = make_leg(world["giver"].id, world["receiver"].id, 4)
    entry = services.post_leg(leg, world["receiver_admin"])
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.reverse(entry, "Wrong leg", world["giver_admin"])
    with pytest.raises(InvalidInput, match="reason"):
        services.reverse(entry, "", world["coordinator"])
    reversal = services.reverse(entry, "Confirmed against the wrong exchange", world["coordinator"])
    db.session.commit()
    assert {p.account_id: p.amount for p in reversal.postings} == {p.account_id: -p.amount for p in entry.postings}
    assert services.balance(world["giver"]) == 0 and services.balance(world["receiver"]) == 0
    with pytest.raises(Conflict, match=f"already reversed by entry {reversal.id}"):
        services.reverse(entry, "Again", world["coordinator"])
    db.session.rollback()
    # The leg stays posted (and reversed): confirming it again posts nothing new.
    assert services.post_leg(leg, world["receiver_admin"]).id == entry.id
    assert count_entries() == 2


def test_a_reversal_that_would_break_a_limit_is_refused(world):
    giver, receiver, other = world["giver"], world["receiver"], world["receiver"]
    entry = services.post_leg(make_leg(giver.id, receiver.id, 8), world["receiver_admin"])
    db.session.commit()
    # The giver spends its 8 credits and 9 more; reversing the 8 it earned would take it to -17.
    services.post_leg(make_leg(other.id, giver.id, 9), world["giver_admin"])
    services.post_leg(make_leg(other.id, giver.id, 8), world["giver_admin"])
    db.session.commit()
    assert services.balance(giver) == -9
    with pytest.raises(CreditLimitExceeded, match="Halewood Youth Club to -17 credits"):
        services.reverse(entry, "Mistake", world["coordinator"])
    db.session.rollback()
    assert count_entries() == 3


def test_members_give_to_the_pot_and_coordinators_grant_from_it(world):
    giver, receiver = world["giver"], world["receiver"]
    services.post_leg(make_leg(giver.id, receiver.id, 5), world["receiver_admin"])
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.donate_to_pot(giver, 1, world["receiver_admin"])
    with pytest.raises(DomainError, match="has 5 credits, so it can give at most 5"):
        services.donate_to_pot(giver, 6, world["giver_admin"])
    with pytest.raises(DomainError, match="no credits to give"):
        services.donate_to_pot(receiver, 1, world["receiver_admin"])
    services.donate_to_pot(giver, 3, world["giver_admin"])
    db.session.commit()
    assert services.balance(giver) == 2 and services.pot_balance() == 3
    with pytest.raises(NotAllowed):
        services.grant_from_pot(receiver, 1, "Help", world["receiver_admin"])
    with pytest.raises(DomainError, match="The community pot has 3 credits; it cannot give 4"):
        services.grant_from_pot(receiver, 4, "Too much", world["coordinator"])
    db.session.rollback()
    services.grant_from_pot(receiver, 3, "Winter appeal", world["coordinator"])
    db.session.commit()
    assert services.pot_balance() == 0 and services.balance(receiver) == -2
    assert total() == 0


def test_every_change_is_audited_and_the_members_are_notified(world, mailbox):
    entry = services.post_leg(make_leg(world["giver"].id, world["receiver"].id, 2), world["receiver_admin"])
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "posting.created")).all()
    assert {e.member_id for e in events} == {world["giver"].id, world["receiver"].id}
    assert all(e.subject_type == "ledger_entries" and e.subject_id == entry.id for e in events)
    texts = db.session.scalars(select(Notification.text).where(Notification.topic == "ledger")).all()
    assert "Halewood Youth Club earned 2 credits for: 2 hours of time" in texts
    assert "Kirkby Food Bank spent 2 credits for: 2 hours of time" in texts
    assert mailbox.to(world["giver_admin"].email)
    services.adjust(world["giver"], 1, "Thank-you bonus", world["coordinator"])
    services.reverse(entry, "Recorded twice", world["coordinator"])
    services.donate_to_pot(world["giver"], 1, world["giver_admin"])
    services.grant_from_pot(world["receiver"], 1, "Appeal", world["coordinator"])
    db.session.commit()
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"posting.created", "ledger.adjusted", "posting.reversed", "ledger.donated", "ledger.granted"} <= actions


def test_accounts_are_created_once(world):
    first = services.account_for(world["giver"])
    assert services.account_for(world["giver"]).id == first.id
    assert services.pot_account().id == services.pot_account().id
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Account)) == 2


def test_balances_for_many_members_in_one_query(world, make_member):
    third_id, _ = make_member("Prescot Seniors")
    services.post_leg(make_leg(world["giver"].id, world["receiver"].id, 3), world["receiver_admin"])
    giver_id, receiver_id = world["giver"].id, world["receiver"].id
    db.session.commit()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = services.balances([giver_id, receiver_id, third_id])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert result == {giver_id: 3, receiver_id: -3, third_id: 0}
    assert len(statements) == 1


def test_the_statement_shows_each_line_with_the_balance_after_it(world):
    giver, receiver = world["giver"], world["receiver"]
    services.post_leg(make_leg(giver.id, receiver.id, 2), world["receiver_admin"])
    services.post_leg(make_leg(receiver.id, giver.id, "0.5"), world["giver_admin"])
    services.adjust(giver, 4, "Training day", world["coordinator"])
    db.session.commit()
    page = services.statement(giver)
    assert [(line.amount, line.balance) for line in page.lines] == [
        (Decimal("4.00"), Decimal("5.50")), (Decimal("-0.50"), Decimal("1.50")), (Decimal("2.00"), Decimal("2.00"))]
    assert [line.entry.kind for line in page.lines] == ["adjustment", "leg", "leg"]
    assert page.balance == Decimal("5.50") and page.limit == -10
    second = services.statement(giver, page=2, per_page=2)
    assert [line.balance for line in second.lines] == [Decimal("2.00")] and second.pages == 2
