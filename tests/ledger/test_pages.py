"""The member's "Time credits" page and the coordinators' ledger page, as their users meet them."""
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import text

from timebank.extensions import db
from timebank.ledger import services
from timebank.members.models import Member
from tests.ledger.helpers import count_entries, make_leg


@pytest.fixture()
def setup(app, make_member, make_user):
    """Halewood gave Kirkby 4 hours (posted); both admins and a coordinator can sign in."""
    giver_id, _ = make_member("Halewood Youth Club", admin_email="admin@halewood.example")
    receiver_id, _ = make_member("Kirkby Food Bank", admin_email="admin@kirkby.example")
    make_user("coord@oneknowsley.example", coordinator=True)
    with app.test_request_context():
        leg = make_leg(giver_id, receiver_id, 4)
        entry = services.post_leg(leg, None)
        db.session.commit()
        return {"giver": giver_id, "receiver": receiver_id, "entry": entry.id}


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_a_member_sees_its_balance_limit_and_statement(client, auth, setup):
    auth.login("admin@halewood.example")
    response = client.get(f"/members/{setup['giver']}/credits")
    assert f'action="/members/{setup["giver"]}/credits/give#give"' in response.get_data(as_text=True)
    page = _text(response)
    assert "Time credits" in page and "4 credits now" in page and "-10 lowest the balance may go" in page
    assert "4 hours of time (Halewood Youth Club for Kirkby Food Bank, exchange" in page
    assert f"Entry {setup['entry']}" in page and "+4 4" in page
    assert "Give credits to the community pot" in page and "can give up to 4 credits" in page


def test_the_statement_is_in_the_order_credits_were_posted_and_says_so(app, client, auth, setup):
    """Help confirmed late is posted after help that happened later: the statement is in posting order
    (the order the balance moved in), shows the day each line was posted, and the day the help happened."""
    from datetime import date

    from timebank.bookings.models import uk_today

    with app.test_request_context():
        late = make_leg(setup["giver"], setup["receiver"], 2)
        late.happened_on = date(2026, 6, 21)
        services.post_leg(late, None)
        db.session.commit()
    auth.login("admin@halewood.example")
    page = _text(client.get(f"/members/{setup['giver']}/credits"))
    assert "Credits in and out, latest posted first" in page and "newest first" not in page
    assert "Posted Day it happened What it was for Credits Balance after" in page
    today = uk_today()
    posted = f"{today.day} {today:%B %Y}"
    # Newest posting first, each with the day it was posted then the day it happened; the balance follows.
    first, second = page.index("+2 6"), page.index("+4 4")
    assert first < second
    assert f"{posted} 21 June 2026 2 hours of time" in page
    assert f"{posted} {posted} 4 hours of time" in page


def test_a_member_with_no_credits_is_told_it_has_none_to_give(client, auth, setup):
    auth.login("admin@kirkby.example")
    response = client.get(f"/members/{setup['receiver']}/credits")
    page = _text(response)
    assert "-4 credits now" in page and "-4 -4" in page  # the line and the balance after it
    assert "Kirkby Food Bank has no credits to give yet." in page
    assert "/credits/give" not in response.get_data(as_text=True)


def test_only_the_members_own_people_and_coordinators_see_its_credits(client, auth, setup):
    assert client.get(f"/members/{setup['giver']}/credits").status_code == 302  # to sign in
    auth.login("admin@kirkby.example")
    assert client.get(f"/members/{setup['giver']}/credits").status_code == 403
    assert client.post(f"/members/{setup['giver']}/credits/give", data={"amount": "1"}).status_code == 403
    auth.logout()
    auth.login("coord@oneknowsley.example")
    assert client.get(f"/members/{setup['giver']}/credits").status_code == 200


@pytest.mark.parametrize("typed,message", [
    ("", "Enter a number of credits, like 3 or 1.5"),
    ("lots", "Enter a number of credits, like 3 or 1.5"),
    ("0", "Enter a number of credits more than 0"),
    ("1.255", "Enter a number of credits with at most 2 decimal places, like 1.25"),
    ("5", "Halewood Youth Club has 4 credits, so it can give at most 4."),
    ("1e30", "Enter at most 10,000 credits"),  # too big to round to pennies: a 500 once
])
def test_giving_bad_amounts_shows_the_problem_beside_the_field_and_saves_nothing(client, auth, setup, typed, message):
    auth.login("admin@halewood.example")
    response = client.post(f"/members/{setup['giver']}/credits/give", data={"amount": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and page.count(message) == 2  # the summary and beside the field
    assert f'value="{typed}"' in page
    with client.application.app_context():
        assert count_entries() == 1


def test_giving_credits_to_the_pot(client, auth, setup):
    auth.login("admin@halewood.example")
    response = client.post(f"/members/{setup['giver']}/credits/give", data={"amount": "1.5"}, follow_redirects=True)
    page = _text(response)
    assert "Halewood Youth Club gave 1.5 credits to the community pot. Thank you." in page
    assert "2.5 credits now" in page
    with client.application.app_context():
        assert services.pot_balance() == Decimal("1.5")


def test_the_ledger_page_is_for_coordinators(client, auth, setup):
    auth.login("admin@halewood.example")
    assert client.get("/coordinator/ledger").status_code == 403
    assert client.post("/coordinator/ledger/adjust", data={}).status_code == 403


def test_the_coordinator_sees_every_balance_and_a_total_of_zero(client, auth, setup):
    auth.login("coord@oneknowsley.example")
    page = _text(client.get("/coordinator/ledger"))
    assert "Check: all balances sum to 0 and every entry balances." in page
    assert "Halewood Youth Club 4 -10" in page and "Kirkby Food Bank -4 -10" in page
    assert "Total (always 0) 0" in page


def test_adjusting_needs_a_reason_and_respects_the_limit(client, auth, setup):
    auth.login("coord@oneknowsley.example")
    response = client.post("/coordinator/ledger/adjust", data={
        "adjust-member_id": setup["receiver"], "adjust-amount": "-7", "adjust-reason": ""})
    page = response.get_data(as_text=True)
    assert page.count("Enter the reason: it is kept with the entry and shown to the member") == 2
    assert 'value="-7"' in page
    response = client.post("/coordinator/ledger/adjust", data={
        "adjust-member_id": setup["receiver"], "adjust-amount": "-7", "adjust-reason": "Double counted"})
    assert _text(response).count("This would take Kirkby Food Bank to -11 credits; its limit is -10.") == 2
    response = client.post("/coordinator/ledger/adjust", data={
        "adjust-member_id": setup["receiver"], "adjust-amount": "2", "adjust-reason": "Training session missed"},
        follow_redirects=True)
    assert "Kirkby Food Bank's credits adjusted by +2." in _text(response)
    with client.application.app_context():
        assert services.balance(db.session.get(Member, setup["receiver"])) == -2
        assert count_entries() == 2


@pytest.mark.parametrize("form,typed", [("adjust", "1e30"), ("adjust", "-1e30"), ("grant", "1e30")])
def test_a_huge_adjustment_or_grant_is_refused_beside_the_field(client, auth, setup, form, typed):
    auth.login("coord@oneknowsley.example")
    response = client.post(f"/coordinator/ledger/{form}", data={
        f"{form}-member_id": setup["receiver"], f"{form}-amount": typed, f"{form}-reason": "Typo"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("Enter at most 10,000 credits") == 2
    assert f'value="{typed}"' in page
    with client.application.app_context():
        assert count_entries() == 1


def test_reversing_an_entry_once(client, auth, setup):
    auth.login("coord@oneknowsley.example")
    response = client.post("/coordinator/ledger/reverse", data={"reverse-entry_id": "999", "reverse-reason": "x"})
    assert _text(response).count("There is no entry 999") == 2
    response = client.post("/coordinator/ledger/reverse", data={"reverse-entry_id": "twelve", "reverse-reason": "x"})
    assert _text(response).count("Enter the entry number as digits, like 12") == 2
    entry = setup["entry"]
    response = client.post("/coordinator/ledger/reverse", data={
        "reverse-entry_id": entry, "reverse-reason": "Recorded against the wrong member"}, follow_redirects=True)
    assert f"Entry {entry} is reversed by entry" in _text(response)
    response = client.post("/coordinator/ledger/reverse", data={"reverse-entry_id": entry, "reverse-reason": "Again"})
    assert f"Entry {entry} was already reversed by entry" in _text(response)
    with client.application.app_context():
        assert services.balance(db.session.get(Member, setup["giver"])) == 0
    statement = _text(client.get(f"/members/{setup['giver']}/credits"))
    assert f"Entry {entry}, reversed by entry" in statement
    assert f"Reversal of entry {entry} (4 hours of time (Halewood Youth Club for Kirkby Food Bank, exchange " in statement
    assert "Why: Recorded against the wrong member" in statement


def test_granting_from_the_pot(client, auth, setup):
    auth.login("admin@halewood.example")
    client.post(f"/members/{setup['giver']}/credits/give", data={"amount": "3"})
    auth.logout()
    auth.login("coord@oneknowsley.example")
    response = client.post("/coordinator/ledger/grant", data={
        "grant-member_id": setup["receiver"], "grant-amount": "4", "grant-reason": "Winter appeal"})
    assert _text(response).count("The community pot has 3 credits; it cannot give 4.") == 2
    response = client.post("/coordinator/ledger/grant", data={
        "grant-member_id": "0", "grant-amount": "1", "grant-reason": "Winter appeal"})
    assert _text(response).count("Choose the member to grant credits to") == 2
    response = client.post("/coordinator/ledger/grant", data={
        "grant-member_id": setup["receiver"], "grant-amount": "3", "grant-reason": "Winter appeal"},
        follow_redirects=True)
    page = _text(response)
    assert "Kirkby Food Bank was granted 3 credits from the community pot." in page
    assert "0 credits in the community pot" in page
    kirkby = _text(client.get(f"/members/{setup['receiver']}/credits"))
    assert "Granted from the community pot. Why: Winter appeal" in kirkby


def test_flask_ledger_check(runner, app, setup):
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output
    assert "1 entries; all postings sum to 0." in result.output and "The ledger balances." in result.output
    with app.app_context():
        # A stray posting written straight into the database (inserts are not refused; changes are).
        account_id = db.session.scalar(text("SELECT min(account_id) FROM ledger_postings"))
        db.session.execute(text("INSERT INTO ledger_postings (entry_id, account_id, amount) VALUES (:e, :a, 1.5)"),
                           {"e": setup["entry"], "a": account_id})
        db.session.commit()
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1
    assert "all postings sum to 1.5" in result.output
    assert f"Entries whose postings do not sum to 0: {setup['entry']}" in result.output
    assert "The ledger does not balance." in result.output
