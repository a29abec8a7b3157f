"""A coordinator changes a member's credit limit after approval, saying why; never below what it owes."""
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.ledger.helpers import make_leg
from timebank.accounts.models import User
from timebank.audit.models import AuditEvent
from timebank.errors import InvalidInput, NotAllowed
from timebank.extensions import db
from timebank.ledger import services
from timebank.members.models import Member
from timebank.notifications.models import Notification


@pytest.fixture()
def setup(app, make_member, make_user):
    """Kirkby received 4 hours from Halewood (posted: Kirkby is at -4) and has 3 more set aside for an
    approved exchange; Kirkby's admin and a coordinator can sign in."""
    giver_id, _ = make_member("Halewood Youth Club", admin_email="admin@halewood.example")
    receiver_id, admin_id = make_member("Kirkby Food Bank", admin_email="admin@kirkby.example")
    coordinator_id = make_user("coord@oneknowsley.example", coordinator=True)
    with app.test_request_context():
        services.post_leg(make_leg(giver_id, receiver_id, 4), None)
        make_leg(giver_id, receiver_id, 3, status="scheduled", exchange_status="scheduled")
        db.session.commit()
    return {"giver": giver_id, "receiver": receiver_id, "admin": admin_id, "coordinator": coordinator_id}


def _limit(member_id: int) -> Decimal:
    db.session.expire_all()
    return db.session.get(Member, member_id).credit_limit


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


# -- the rule -------------------------------------------------------------------------------------

def test_a_coordinator_raises_and_lowers_a_limit_and_it_is_audited_and_told(app, setup):
    with app.test_request_context():
        member, coordinator = db.session.get(Member, setup["receiver"]), db.session.get(User, setup["coordinator"])
        services.change_credit_limit(member, "25", "A bigger exchange agreed with the coordinators", coordinator)
        db.session.commit()
        assert _limit(setup["receiver"]) == 25
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.credit_limit_changed")).one()
        assert (event.actor_id, event.member_id, event.subject_type, event.subject_id) == (
            setup["coordinator"], setup["receiver"], "members", setup["receiver"])
        assert event.details == {"before": "10.00", "after": "25.00",
                                 "reason": "A bigger exchange agreed with the coordinators"}
        told = db.session.scalars(select(Notification).where(Notification.user_id == setup["admin"],
                                                             Notification.topic == "ledger").order_by(Notification.id)).all()
        assert [n.text for n in told][-1] == (
            "A coordinator changed Kirkby Food Bank's credit limit from 10 to 25 (its balance may go down to -25): "
            "A bigger exchange agreed with the coordinators")
        # Down to exactly what it owes (4) plus what is set aside (3): its balance may still be spent to there.
        services.change_credit_limit(db.session.get(Member, setup["receiver"]), Decimal("7"), "Back to normal",
                                     coordinator)
        db.session.commit()
        assert _limit(setup["receiver"]) == 7


def test_a_limit_below_what_the_member_owes_and_has_set_aside_is_refused(app, setup):
    with app.test_request_context():
        member, coordinator = db.session.get(Member, setup["receiver"]), db.session.get(User, setup["coordinator"])
        with pytest.raises(services.CreditLimitBelowBalance) as refused:
            services.change_credit_limit(member, "6.99", "Tighter", coordinator)
        assert refused.value.field == "credit_limit" and refused.value.kind == "credit-limit-below-balance"
        assert refused.value.message == (
            "Kirkby Food Bank's balance is -4 credits and 3 credits are set aside for its approved exchanges, so its "
            "credit limit cannot be less than 7. Enter 7 or more, or lower it once it has earned credits.")
        db.session.rollback()
        assert _limit(setup["receiver"]) == 10
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "ledger.credit_limit_changed")) is None
        # A member in credit may have no limit at all.
        giver = db.session.get(Member, setup["giver"])
        services.change_credit_limit(giver, 0, "Only spends what it earns", coordinator)
        assert giver.credit_limit == 0


@pytest.mark.parametrize("typed,message", [
    (None, "Enter a number of credits, like 10 or 12.5"),
    ("lots", "Enter a number of credits, like 10 or 12.5"),
    ("NaN", "Enter a number of credits, like 10 or 12.5"),
    ("12.505", "Enter a number of credits with at most 2 decimal places, like 12.5"),
    ("-1", "Enter 0 or more: the limit is how far below zero its balance may go"),
    ("10000.01", "Enter at most 10,000 credits"),
    ("1e30", "Enter at most 10,000 credits"),  # too big to round to pennies: a 500 once
    ("1e30000", "Enter at most 10,000 credits"),
])
def test_a_limit_that_is_not_a_number_of_credits_is_refused(app, setup, typed, message):
    with app.test_request_context():
        member, coordinator = db.session.get(Member, setup["giver"]), db.session.get(User, setup["coordinator"])
        with pytest.raises(InvalidInput, match=re.escape(message)):
            services.change_credit_limit(member, typed, "Reason", coordinator)


def test_only_a_coordinator_changes_a_limit_and_always_with_a_reason(app, setup):
    with app.test_request_context():
        member = db.session.get(Member, setup["receiver"])
        with pytest.raises(NotAllowed):
            services.change_credit_limit(member, 50, "Please", db.session.get(User, setup["admin"]))
        with pytest.raises(InvalidInput, match="Enter the reason: it is kept with the change"):
            services.change_credit_limit(member, 50, "  ", db.session.get(User, setup["coordinator"]))
        assert _limit(setup["receiver"]) == 10


def test_a_raised_limit_lets_a_posting_through_that_the_old_one_refused(app, setup):
    with app.test_request_context():
        member, coordinator = db.session.get(Member, setup["receiver"]), db.session.get(User, setup["coordinator"])
        with pytest.raises(services.CreditLimitExceeded):
            services.adjust(member, -4, "Missed session", coordinator)  # -8, with 3 set aside: below -10
        db.session.rollback()
        services.change_credit_limit(db.session.get(Member, setup["receiver"]), 11, "Room for the correction",
                                     coordinator)
        services.adjust(db.session.get(Member, setup["receiver"]), -4, "Missed session", coordinator)
        db.session.commit()
        assert services.balance(db.session.get(Member, setup["receiver"])) == -8


@pytest.mark.parametrize("check", ["posting", "room"])
def test_a_limit_lowered_by_another_request_holds_for_a_member_already_loaded(app, setup, check):
    """The limit is read after the account is locked, not from the Member this request loaded
    earlier: a coordinator's change committed in between (another connection) holds."""
    with app.test_request_context():
        member, coordinator = db.session.get(Member, setup["receiver"]), db.session.get(User, setup["coordinator"])
        assert member.credit_limit == 10  # loaded now, before the change below
        with db.engine.connect() as other:
            other.execute(update(Member).where(Member.id == setup["receiver"]).values(credit_limit=7))
            other.commit()
        if check == "posting":
            with pytest.raises(services.CreditLimitExceeded, match="its limit is -7"):
                services.adjust(member, -1, "Missed session", coordinator)  # -5, with 3 set aside: below -7
        else:
            assert services.room([member]) == {member.id: 0}  # -4 + 7 - 3 set aside
        db.session.rollback()
        assert services.balance(db.session.get(Member, setup["receiver"])) == -4


# -- the page -------------------------------------------------------------------------------------

def test_the_coordinator_changes_the_limit_on_the_members_credits_page(client, auth, setup):
    auth.login("coord@oneknowsley.example")
    page = client.get(f"/members/{setup['receiver']}/credits").get_data(as_text=True)
    assert "Change the credit limit" in page
    assert re.search(r'<input[^>]*name="credit_limit"[^>]*value="10"', page)
    response = client.post(f"/members/{setup['receiver']}/credits/limit",
                           data={"credit_limit": "15", "reason": "Winter appeal"}, follow_redirects=True)
    text = _text(response)
    assert "Kirkby Food Bank's credit limit is 15: its balance may go down to -15." in text
    assert "-15 lowest the balance may go" in text
    with client.application.app_context():
        assert _limit(setup["receiver"]) == 15


@pytest.mark.parametrize("typed,reason,message", [
    ("", "Winter appeal", "Enter a number of credits, like 3 or 1.5"),
    ("-2", "Winter appeal", "Enter 0 or more: the limit is how far below zero its balance may go"),
    ("12.345", "Winter appeal", "Enter a number of credits with at most 2 decimal places, like 12.5"),
    ("1e30", "Winter appeal", "Enter at most 10,000 credits"),
    ("15", "", "Enter the reason: it is kept with the change and shown to the member"),
    ("5", "Tighter", "Kirkby Food Bank's balance is -4 credits and 3 credits are set aside for its approved "
                     "exchanges, so its credit limit cannot be less than 7."),
])
def test_a_bad_limit_is_shown_beside_the_field_keeps_what_was_typed_and_changes_nothing(
        client, auth, setup, typed, reason, message):
    auth.login("coord@oneknowsley.example")
    response = client.post(f"/members/{setup['receiver']}/credits/limit", data={"credit_limit": typed, "reason": reason})
    page = _text(response)
    assert response.status_code == 200 and "There is a problem" in page
    assert page.count(message) == 2  # the summary and beside the field
    assert f'value="{typed}"' in response.get_data(as_text=True) and reason in page
    with client.application.app_context():
        assert _limit(setup["receiver"]) == 10


def test_a_members_own_people_see_the_limit_but_cannot_change_it(client, auth, setup):
    auth.login("admin@kirkby.example")
    page = client.get(f"/members/{setup['receiver']}/credits").get_data(as_text=True)
    assert "-10" in page and "Change the credit limit" not in page
    assert client.post(f"/members/{setup['receiver']}/credits/limit",
                       data={"credit_limit": "50", "reason": "More"}).status_code == 403
    with client.application.app_context():
        assert _limit(setup["receiver"]) == 10
