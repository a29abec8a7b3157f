"""After approval, in a real browser: a coordinator reschedules a part, a dispute is heard from both
sides and settled, and a coordinator cancels an exchange. Everyone in it is told.

With SHOTS_DIR=/some/dir each step is also saved as a screenshot there, at desktop width and at
390 px (a phone), for a person to look at.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from tests.conftest import Mailbox
from tests.e2e.conftest import serious_violations
from tests.e2e.world import COORDINATOR, add_listing, add_member, as_person, email_for

pytestmark = pytest.mark.e2e
RING = ("Tower Hill Garden", "Westvale Residents", "Cronton Village Hall")


def shots(page, name: str) -> None:
    """With SHOTS_DIR set, the page as a desktop and as a 390 px phone screenshot."""
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(Path(folder) / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(Path(folder) / f"{name}-390.png"), full_page=True)
    page.set_viewport_size(size)


@pytest.fixture(scope="module")
def ring(live):
    """A three-member ring, accepted by all and approved, its parts starting in three days at 10:00."""
    from timebank.accounts.services import find_user
    from timebank.exchanges import services
    from timebank.exchanges.services import LegPlan, create_proposal
    from timebank.members.models import Member

    ids = [add_member(live, name) for name in RING]
    offers = [add_listing(live, m, direction="offer", category="bookkeeping", title=f"{name} bookkeeping", hours=3)
              for m, name in zip(ids, RING)]
    needs = [add_listing(live, m, direction="need", category="bookkeeping", title=f"{name} needs bookkeeping",
                         hours=3) for m, name in zip(ids, RING)]
    start = datetime.combine(datetime.now().date() + timedelta(days=3), datetime.min.time()).replace(hour=10)
    with live.context() as session:
        exchange = create_proposal("cycle", [
            LegPlan(giver_member_id=ids[i], receiver_member_id=ids[(i + 1) % 3], kind="skill", hours=Decimal(3),
                    offer_id=offers[i], need_id=needs[(i + 1) % 3], reason="Same category")
            for i in range(3)], story=f"{RING[0]} helps {RING[1]}, who helps {RING[2]}, who helps {RING[0]}.")
        for member_id, name in zip(ids, RING):
            services.respond(exchange, session.get(Member, member_id), find_user(email_for(name)), accept=True)
        services.approve(exchange, find_user(COORDINATOR), {leg.id: (start, start + timedelta(hours=3))
                                                            for leg in exchange.legs},
                         override_reason="Agreed by phone")
        session.commit()
        return {"exchange": exchange.id, "legs": [leg.id for leg in exchange.legs], "start": start, "members": ids}


def test_a_coordinator_reschedules_a_part_and_everyone_is_told(live, ring, browser):
    coordinator = as_person(browser, live, COORDINATOR)
    base, exchange = live.url, ring["exchange"]
    coordinator.goto(f"{base}/exchanges/{exchange}")
    coordinator.get_by_role("link", name="Reschedule").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(f"Reschedule exchange {exchange}")
    assert serious_violations(coordinator) == []
    # Without a reason: the message is beside the field, and nothing moved.
    coordinator.get_by_role("button", name="Reschedule").click()
    expect(coordinator.locator(".error-summary")).to_contain_text("Enter the reason")
    new_start = ring["start"] + timedelta(days=7)
    part = coordinator.get_by_role("group", name=re.compile("^Part 1:"))
    part.get_by_label("Start").fill(new_start.strftime("%Y-%m-%dT%H:%M"))
    part.get_by_label("End").fill((new_start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    coordinator.get_by_label("Why is it changing?").fill("The treasurer is away that week")
    shots(coordinator, "reschedule-form")
    coordinator.get_by_role("button", name="Reschedule").click()
    expect(coordinator.get_by_text(f"Exchange {exchange} is rescheduled")).to_be_visible()
    first = coordinator.get_by_role("table", name="Who gives what").locator("tbody tr").first
    expect(first).to_contain_text(f"{new_start.day} {new_start:%B}")
    shots(coordinator, "rescheduled-exchange")
    body = Mailbox.body(live.emails_to(email_for(RING[2]))[-1])
    assert "The treasurer is away that week" in body and f"/exchanges/{exchange}" in body


def test_a_dispute_is_heard_from_both_sides_and_both_see_the_settlement(live, ring, browser):
    base, exchange = live.url, ring["exchange"]
    giver, receiver = RING[1], RING[2]  # part 2: the second member helps the third
    with time_machine.travel(ring["start"] + timedelta(days=8), tick=True):
        receiving = as_person(browser, live, email_for(receiver))
        receiving.goto(f"{base}/exchanges/{exchange}")
        row = receiving.get_by_role("row").filter(has=receiving.get_by_role("cell", name=giver, exact=True))
        row.get_by_role("link", name="Confirm or dispute").click()
        receiving.get_by_label("What went wrong?").fill("Only half of the accounts were reconciled")
        receiving.get_by_role("button", name="Tell a coordinator").click()
        expect(receiving.get_by_text("A coordinator has been told")).to_be_visible()

        # The giver is asked for its side, by email with a link, and gives it.
        giving = as_person(browser, live, email_for(giver))
        giving.goto(live.link_in_last_email_to(email_for(giver), "/legs/"))
        expect(giving.get_by_role("heading", level=1)).to_have_text("Your side of the dispute")
        giving.get_by_role("button", name="Send your side").click()
        expect(giving.locator(".error-summary")).to_contain_text("Say what happened from your side")
        giving.get_by_label("What happened, from your side?").fill("The bank statements for March never came")
        shots(giving, "dispute-giver-side")
        giving.get_by_role("button", name="Send your side").click()
        expect(giving.get_by_text("The coordinator settling the dispute will read your side")).to_be_visible()

        # The coordinator sees both sides, and settles it with a note.
        coordinator = as_person(browser, live, COORDINATOR)
        coordinator.goto(f"{base}/exchanges/{exchange}")
        coordinator.get_by_role("link", name="Settle").click()
        expect(coordinator.locator(".summary-list")).to_contain_text("Only half of the accounts were reconciled")
        expect(coordinator.locator(".summary-list")).to_contain_text("The bank statements for March never came")
        assert serious_violations(coordinator) == []
        coordinator.get_by_label("It happened: confirm it with these amounts").check()
        coordinator.get_by_label("Agreed hours (or days)").fill("2")
        coordinator.get_by_label("How was it settled?").fill("Two hours agreed with both; March to follow")
        shots(coordinator, "dispute-settle")
        coordinator.get_by_role("button", name="Settle dispute").click()
        expect(coordinator.get_by_text("The dispute is settled")).to_be_visible()

        for page in (receiving, giving):
            page.goto(f"{base}/exchanges/{exchange}")
            said = page.locator("#part-2-said + .summary-list")
            expect(said).to_contain_text("Confirmed: Two hours agreed with both; March to follow")
            expect(said).to_contain_text("The bank statements for March never came")
            expect(said).to_contain_text("Only half of the accounts were reconciled")
        shots(giving, "dispute-settled")


def test_a_coordinator_cancels_the_exchange_and_everyone_is_told(live, ring, browser):
    base, exchange = live.url, ring["exchange"]
    coordinator = as_person(browser, live, COORDINATOR)
    coordinator.goto(f"{base}/exchanges/{exchange}")
    coordinator.get_by_role("link", name="Cancel the exchange or a part").click()
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text(f"Cancel exchange {exchange}")
    assert serious_violations(coordinator) == []
    coordinator.get_by_role("button", name="Cancel it").click()
    expect(coordinator.locator(".error-summary")).to_contain_text("Enter the reason")
    coordinator.get_by_label("Which part?").select_option(label="The whole exchange")
    coordinator.get_by_label("Why?").fill("The garden lost its treasurer; we will match again in spring")
    shots(coordinator, "cancel-form")
    coordinator.get_by_role("button", name="Cancel it").click()
    expect(coordinator.get_by_text("Cancelled. Everyone in the exchange has been told.")).to_be_visible()
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("cancelled", ignore_case=True)
    shots(coordinator, "cancelled-exchange")
    for name in RING:
        body = Mailbox.body(live.emails_to(email_for(name))[-1])
        assert "we will match again in spring" in body
