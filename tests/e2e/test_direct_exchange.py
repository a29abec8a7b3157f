"""A direct exchange in a real browser: a food bank asks for a firm's offer, the firm answers with
other dates, the food bank accepts and they talk, a coordinator approves it (the policy says more
than 2 hours needs approval), the food bank confirms it and the credits move.

With SHOTS_DIR=/some/dir each step is also saved as a screenshot there, at desktop width and at
390 px (a phone), for a person to look at.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from tests.conftest import Mailbox
from tests.e2e.conftest import serious_violations
from tests.e2e.world import COORDINATOR, add_listing, add_member, as_person, balance, confirm_part, email_for

pytestmark = pytest.mark.e2e
FOOD, FIRM = "Northwood Food Pantry", "Huyton Bookkeepers"


def shots(page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(Path(folder) / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways at 390 px"
    page.screenshot(path=str(Path(folder) / f"{name}-390.png"), full_page=True)
    page.set_viewport_size(size)


def _at(days: int, hour: int) -> datetime:
    return datetime.combine(datetime.now().date() + timedelta(days=days), datetime.min.time()).replace(hour=hour)


def test_ask_counter_accept_talk_approve_confirm_and_the_credits_move(live, browser):
    from timebank.exchanges.models import Exchange

    food, firm = add_member(live, FOOD), add_member(live, FIRM, type="business")
    offer = add_listing(live, firm, direction="offer", category="bookkeeping", title="Year-end accounts checked",
                        hours=6)
    base = live.url

    # The coordinator's policy: direct exchanges of more than 2 hours need approval.
    coordinator = as_person(browser, live, COORDINATOR)
    coordinator.goto(f"{base}/coordinator/")
    coordinator.get_by_role("link", name="Direct exchanges").click()
    coordinator.get_by_label("Only some: those I choose below").check()
    coordinator.get_by_label("Those of more than this many hours (person-hours in all)").fill("2")
    coordinator.get_by_role("button", name="Save the policy").click()
    expect(coordinator.get_by_text("Saved. Direct exchanges need a coordinator's approval when they involve "
                                   "more than 2 hours")).to_be_visible()

    # The food bank asks for the offer; a missing message is refused beside the box, the rest kept.
    asking = as_person(browser, live, email_for(FOOD))
    asking.goto(f"{base}/listings/{offer}")
    asking.get_by_role("link", name="Ask for this").click()
    expect(asking.get_by_role("heading", level=1)).to_have_text("Ask for this")
    asking.get_by_label("Hours each person gives").fill("3")
    asking.get_by_label("Starts").fill(_at(3, 10).strftime("%Y-%m-%dT%H:%M"))
    asking.get_by_label("Ends").fill(_at(3, 13).strftime("%Y-%m-%dT%H:%M"))
    asking.get_by_role("button", name="Send").click()
    expect(asking.locator(".error-summary")).to_contain_text("Write a short message")
    expect(asking.get_by_label("Hours each person gives")).to_have_value("3")
    assert serious_violations(asking) == []
    asking.get_by_label("Your message").fill("Our treasurer has left. Could you check our year-end accounts?")
    shots(asking, "direct-ask")
    asking.get_by_role("button", name="Send").click()
    expect(asking.get_by_text(f"Sent. {FIRM} has been told")).to_be_visible()
    with live.context() as session:
        exchange = session.query(Exchange).order_by(Exchange.id.desc()).first().id

    # The firm follows the email's link and suggests the next day, in the afternoon.
    firm_page = as_person(browser, live, email_for(FIRM))
    firm_page.goto(live.link_in_last_email_to(email_for(FIRM), "/exchanges/"))
    expect(firm_page.get_by_text("Could you check our year-end accounts?")).to_be_visible()
    firm_page.get_by_role("link", name="Suggest other hours or dates").click()
    firm_page.get_by_label("Starts").fill(_at(4, 14).strftime("%Y-%m-%dT%H:%M"))
    firm_page.get_by_label("Ends").fill(_at(4, 17).strftime("%Y-%m-%dT%H:%M"))
    firm_page.get_by_label("A message with it (optional)").fill("Thursday afternoon suits us better")
    assert serious_violations(firm_page) == []
    firm_page.get_by_role("button", name="Send these hours and dates").click()
    expect(firm_page.get_by_text("Sent. The other side has been told")).to_be_visible()

    # The food bank accepts; now each sees the other's contact, and they talk.
    asking.goto(f"{base}/exchanges/{exchange}")
    expect(asking.get_by_text("Thursday afternoon suits us better")).to_be_visible()
    expect(asking.get_by_text(f"{email_for(FIRM)}")).to_have_count(0)
    asking.get_by_role("link", name="Accept or decline").click()
    asking.get_by_label("Yes, we accept our part").check()
    asking.get_by_role("button", name="Send our answer").click()
    expect(asking.get_by_text("Thank you. Your answer is saved")).to_be_visible()
    expect(asking.get_by_role("heading", name="Contacts")).to_be_visible()
    expect(asking.get_by_text(email_for(FIRM))).to_be_visible()
    asking.get_by_label("Your message").fill("Thank you! The office is round the back.")
    asking.get_by_role("button", name="Send message").click()
    expect(asking.get_by_text("Message sent. The others have been told.")).to_be_visible()
    expect(asking.get_by_text("The office is round the back.")).to_be_visible()
    assert serious_violations(asking) == []
    shots(asking, "direct-accepted-and-talking")
    told = Mailbox.body(live.emails_to(email_for(FIRM))[-1])
    assert f"/exchanges/{exchange}#messages" in told and "round the back" not in told

    # 3 hours is more than 2: a coordinator approves it, at the dates they agreed.
    coordinator.goto(f"{base}/exchanges/{exchange}")
    coordinator.get_by_role("link", name="Approve and schedule").click()
    expect(coordinator.get_by_label("Start")).to_have_value(_at(4, 14).strftime("%Y-%m-%dT%H:%M"))
    coordinator.get_by_role("button", name="Approve exchange").click()
    expect(coordinator.get_by_text("is approved and scheduled")).to_be_visible()

    # After it happened, the food bank confirms it: 3 credits move from the food bank to the firm.
    with time_machine.travel(_at(4, 18), tick=True):
        receiving = as_person(browser, live, email_for(FOOD))
        confirm_part(receiving, base, exchange, FIRM)
        assert balance(receiving, base, food) == "-3"
        giving = as_person(browser, live, email_for(FIRM))
        assert balance(giving, base, firm) == "3"
