"""Nothing stalls unseen, in the browser: a member's waiting list and the coordinators' work queue.

A member sees the answer it owes (with its deadline) on its dashboard and answers from there; a
coordinator reminds the member that has not answered, approves with the default dates after
checking them, and reminds the receiver of an overdue confirmation, who sees it marked overdue.
Screenshots (SCREENSHOTS=1) at desktop width and at 390 px.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.world import COORDINATOR, add_listing, add_member, as_person, email_for

pytestmark = pytest.mark.e2e

GIVER, RECEIVER = "Huyton Repair Shed", "Whiston Youth Choir"
LENDER, LATE = "Tower Hill Garden", "Page Moss Family Centre"


@pytest.fixture(scope="module")
def pair(live):
    """A proposed pair (the Shed repairs the choir's staging), and a scheduled one whose part ended
    six days ago, still unconfirmed by its receiver."""
    from timebank.accounts.services import find_user
    from timebank.exchanges import services
    from timebank.exchanges.models import Exchange
    from timebank.members.models import Member

    ids = {name: add_member(live, name) for name in (GIVER, RECEIVER, LENDER, LATE)}
    offer = add_listing(live, ids[GIVER], direction="offer", category="diy-and-repairs", title="Repairs by our members",
                        hours=3, kind="time")
    need = add_listing(live, ids[RECEIVER], direction="need", category="diy-and-repairs",
                       title="Mend our choir staging", hours=3, kind="time")
    with live.context() as session:
        proposed = services.create_proposal("pair", [services.LegPlan(
            giver_member_id=ids[GIVER], receiver_member_id=ids[RECEIVER], kind="time", hours=Decimal(3), people=2,
            offer_id=offer, need_id=need, reason="Same category, 2 km apart")],
            story=f"{GIVER} mends {RECEIVER}'s staging.")
        late = services.create_proposal("pair", [services.LegPlan(
            giver_member_id=ids[LENDER], receiver_member_id=ids[LATE], kind="time", hours=Decimal(2),
            description="Planting the family centre's garden", reason="Arranged by a coordinator")],
            story=f"{LENDER} plants {LATE}'s garden.")
        for name in (LENDER, LATE):
            services.respond(late, session.get(Member, ids[name]), find_user(email_for(name)), accept=True)
        start = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=2)
        services.approve(late, find_user(COORDINATOR), {late.legs[0].id: (start, start + timedelta(hours=2))})
        past = start - timedelta(days=8)
        late.legs[0].scheduled_start, late.legs[0].scheduled_end = past, past + timedelta(hours=2)
        session.commit()
        ids["proposed"], ids["late"] = proposed.id, late.id
        assert session.get(Exchange, late.id).status == "scheduled"
    return ids


def test_a_member_sees_what_waits_for_it_and_answers_from_there(live, pair, browser):
    page = as_person(browser, live, email_for(GIVER))
    page.goto(f"{live.url}/dashboard")
    waiting = page.get_by_role("table", name=f"Waiting for {GIVER} (1)")
    expect(waiting).to_be_visible()
    link = waiting.get_by_role("link", name=f"Answer Direct pair {pair['proposed']}: accept or decline your part")
    expect(link).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "waiting")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "mobile-waiting")
    page.set_viewport_size({"width": 1280, "height": 900})
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Will you do your part?")
    expect(page.get_by_text("6 person-hours (2 people x 3 hours)")).to_be_visible()  # the one set of words
    page.get_by_label("Yes, we accept our part").check()
    page.get_by_role("button", name="Send our answer").click()
    expect(page.get_by_text("Thank you. Your answer is saved")).to_be_visible()
    page.goto(f"{live.url}/dashboard")
    expect(page.get_by_text(f"Nothing is waiting for {GIVER}")).to_be_visible()
    # The receiver of the late part sees it overdue.
    late = as_person(browser, live, email_for(LATE))
    late.goto(f"{live.url}/dashboard")
    row = late.get_by_role("row").filter(has_text=f"Confirm the help {LENDER} gave in Direct pair {pair['late']}")
    expect(row).to_contain_text("Overdue")
    late.context.close()
    page.context.close()


def test_a_coordinator_reminds_and_approves_from_the_work_queue(live, pair, browser):
    page = as_person(browser, live, COORDINATOR)
    page.goto(f"{live.url}/coordinator/")
    page.get_by_role("link", name="Work queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Work queue")
    answers = page.locator("section").filter(has=page.get_by_role("heading", name="Waiting for answers"))
    expect(answers).to_contain_text(f"Not answered: {RECEIVER}.")
    # Nothing ticked: the error is in the summary and beside the list; nothing is sent.
    before = len(live.emails_to(email_for(RECEIVER)))
    answers.get_by_role("button", name="Send reminders").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose at least one exchange or part to remind about")
    assert len(live.emails_to(email_for(RECEIVER))) == before
    answers = page.locator("section").filter(has=page.get_by_role("heading", name="Waiting for answers"))
    answers.get_by_label(f"Direct pair {pair['proposed']}").check()
    answers.get_by_role("button", name="Send reminders").click()
    expect(page.get_by_text("1 reminder sent.")).to_be_visible()
    assert len(live.emails_to(email_for(RECEIVER))) == before + 1
    assert f"/exchanges/{pair['proposed']}" in live.emails_to(email_for(RECEIVER))[-1].get_payload()

    overdue = page.locator("section").filter(has=page.get_by_role("heading", name="Confirmations overdue"))
    expect(overdue).to_contain_text(f"{LATE} to confirm Planting the family centre's garden")
    overdue.get_by_label(f"Part 1 of Direct pair {pair['late']}").check()
    overdue.get_by_role("button", name="Send reminders").click()
    expect(page.get_by_text("1 reminder sent.")).to_be_visible()
    assert "please confirm" in live.emails_to(email_for(LATE))[-1]["Subject"]

    # The choir accepts; the pair now waits for approval, with default dates.
    receiver = as_person(browser, live, email_for(RECEIVER))
    receiver.goto(f"{live.url}/exchanges/{pair['proposed']}/respond?member_id={pair[RECEIVER]}")
    receiver.get_by_label("Yes, we accept our part").check()
    receiver.get_by_role("button", name="Send our answer").click()
    expect(receiver.get_by_text("Thank you. Your answer is saved")).to_be_visible()
    receiver.context.close()

    page.goto(f"{live.url}/coordinator/queue")
    assert serious_violations(page) == []
    screenshot(page, "queue")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "mobile-queue")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.set_viewport_size({"width": 1280, "height": 900})
    approval = page.locator("section").filter(has=page.get_by_role("heading", name="Waiting for approval"))
    approval.get_by_label(f"Direct pair {pair['proposed']}").check()
    approval.get_by_role("button", name="Check and approve").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the dates, then approve 1 exchange")
    expect(page.get_by_text(f"Part 1: {GIVER} to {RECEIVER}")).to_be_visible()
    page.get_by_role("button", name="Approve 1 exchange").click()
    expect(page.get_by_text(f"1 exchange is approved and scheduled: Direct pair {pair['proposed']}")).to_be_visible()
    expect(page.locator("section").filter(has=page.get_by_role("heading", name="Waiting for approval"))) \
        .to_contain_text("Nothing waits for approval.")
    page.context.close()
