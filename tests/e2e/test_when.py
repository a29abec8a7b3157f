"""In a real browser: a listing says when as people say it ("every Tuesday morning", one-off dates),
with bad dates explained beside them; and the matcher on the coordinators' schedule, its proposal
held for review, sent on by a coordinator, then seen and accepted by a member.

With SHOTS_DIR=/some/dir the listing form is also saved as screenshots there, at 1280 and 390 px.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import serious_violations
from tests.e2e.world import COORDINATOR, add_listing, add_member, answer_for, as_person, email_for

pytestmark = pytest.mark.e2e
FOOD, FIRM = "Page Moss Pantry", "Roby Ledger Services"
TUESDAY_MORNINGS = 1 << 3


def shots(page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(Path(folder) / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(Path(folder) / f"{name}-390.png"), full_page=True)
    page.set_viewport_size(size)


def _fill_what(page, title: str, category: str = "Bookkeeping") -> None:
    page.get_by_label("A need: we are looking for this").check()
    page.get_by_label("A skill (for example bookkeeping)").check()
    page.get_by_label("Category").select_option(label=f"Finance and funding > {category}")
    page.get_by_label("Title").fill(title)
    page.get_by_label("How much").fill("3")


def test_the_form_asks_when_and_explains_bad_dates_at_phone_width(live, browser):
    from timebank.db import today
    from timebank.listings.models import Listing

    food = add_member(live, FOOD)
    page = as_person(browser, live, email_for(FOOD))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live.url}/members/{food}/listings/new")
    _fill_what(page, "Help with our bid on dates", category="Bid writing")  # not for the run below
    for choice in ("On particular days of the week", "On particular dates", "Any time: we are flexible"):
        expect(page.get_by_label(choice)).not_to_be_checked()  # no answer is chosen for the person
    expect(page.get_by_role("group", name="Tuesday")).to_be_visible()  # shown until a choice hides it
    page.get_by_label("On particular dates").check()
    expect(page.get_by_role("group", name="Tuesday")).to_be_hidden()
    expect(page.get_by_label("From", exact=True)).to_be_hidden()
    gone = today() - timedelta(days=2)
    page.get_by_label("Date 1", exact=True).fill(f"{gone.day} {gone.month} {gone.year}")
    page.get_by_label("Date 2", exact=True).fill("31 2 2027")
    shots(page, "listing-when-filled")
    page.get_by_role("button", name="Post it").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator('a[href="#dates-0-day"]')).to_contain_text("has passed: give dates from today on")
    expect(page.locator("#dates-1-day-error")).to_contain_text("Enter a real date, like 27 3 2027")
    expect(page.locator("#dates-1-day")).to_have_value("31 2 2027")
    expect(page.get_by_label("On particular dates")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the form scrolls sideways at 390 px"
    assert serious_violations(page) == []
    shots(page, "listing-when-errors")
    with live.context() as session:
        assert session.scalar(select(Listing.id).where(Listing.title == "Help with our bid on dates")) is None

    # Days of the week: Tuesday mornings and Friday afternoons.
    page.get_by_label("On particular days of the week").check()
    expect(page.get_by_role("group", name="Tuesday")).to_be_visible()
    page.get_by_role("group", name="Tuesday").get_by_label("Morning").check()
    page.get_by_role("group", name="Friday").get_by_label("Afternoon").check()
    shots(page, "listing-when-weekly")
    page.get_by_role("button", name="Post it").click()
    expect(page.get_by_text("Every Tuesday morning; every Friday afternoon")).to_be_visible()


def test_a_scheduled_run_held_for_review_sent_on_and_accepted(live, browser):
    from timebank.exchanges.models import Exchange
    from timebank.operations.jobs import run_job

    food, firm = add_member(live, FOOD + " Two"), add_member(live, FIRM, type="business")
    add_listing(live, firm, direction="offer", category="bookkeeping", title="Ledgers put right on Tuesdays",
                hours=3, availability="weekly", weekly_pattern=TUESDAY_MORNINGS)
    base = live.url

    # The coordinator: every night, and "let me review its proposals first".
    coordinator = as_person(browser, live, COORDINATOR)
    coordinator.goto(f"{base}/coordinator/matcher-schedule")
    coordinator.get_by_label("Every night").check()
    coordinator.get_by_label("Let me review its proposals before the members see them").check()
    coordinator.get_by_role("button", name="Save the schedule").click()
    expect(coordinator.get_by_text("its proposals wait for a coordinator").first).to_be_visible()

    # A member posts a need for Tuesday mornings, after the schedule was set.
    member = as_person(browser, live, email_for(FOOD + " Two"))
    member.goto(f"{base}/members/{food}/listings/new")
    _fill_what(member, "Our books on a Tuesday")
    member.get_by_label("On particular days of the week").check()
    member.get_by_role("group", name="Tuesday").get_by_label("Morning").check()
    member.get_by_label("How far will you travel (km)?").fill("10")
    member.get_by_role("button", name="Post it").click()
    expect(member.get_by_text("Every Tuesday morning")).to_be_visible()

    # The nightly job, as the timer runs it.
    with live.context() as session:
        job = run_job("matcher")
        assert job.outcome == "ok" and job.detail.startswith("Run "), job.detail
        exchange_id, status = session.execute(select(Exchange.id, Exchange.status)).one()
    assert status == "held"
    member.goto(f"{base}/exchanges")
    expect(member.get_by_role("link", name=f"Direct pair {exchange_id}")).to_have_count(0)
    assert member.goto(f"{base}/exchanges/{exchange_id}").status == 404

    # The coordinator reviews it and sends it on.
    coordinator.goto(f"{base}/exchanges/{exchange_id}")
    expect(coordinator.get_by_role("heading", name="Waiting for your review")).to_be_visible()
    coordinator.get_by_role("button", name="Send it to the members").click()
    expect(coordinator.get_by_text("is sent to its members")).to_be_visible()

    # The member sees it and accepts its part.
    member.goto(f"{base}/exchanges")
    member.locator(f'a[href="/exchanges/{exchange_id}"]').first.click()
    expect(member.get_by_role("heading", level=1)).to_contain_text(str(exchange_id))
    assert serious_violations(member) == []
    answer_for(member, base, exchange_id, FOOD + " Two")
    with live.context() as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange.status == "proposed"
        assert {p.member_id: p.status for p in exchange.parties}[food] == "accepted"
