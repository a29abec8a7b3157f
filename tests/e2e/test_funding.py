"""Funder reporting in a real browser: a coordinator adds a grant and lists a member on it; the
member tags its need (on a phone); the exchange that answers the need completes; the sector
dashboard cut by the grant shows that help, and its PDF holds the figure. The member writes a
case study, the other side agrees, and the report shows it. Screenshots at 390 px and desktop
(SCREENSHOTS=1); every page visited passes axe."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.world import (COORDINATOR, add_listing, add_member, answer_for, as_person, confirm_part, email_for,
                             sign_in)

pytestmark = pytest.mark.e2e

FOOD_BANK, BUSINESS = "Kirkby Food Bank", "Merseyside Accountancy"
GRANT = "NLCF-FOOD-26"


def _phone(browser, live, email):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    sign_in(page, live.url, email)
    return page


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px)"


def _axe(page) -> None:
    assert not serious_violations(page), "\n".join(serious_violations(page))


def test_a_grant_is_added_used_and_reported(live, browser, tmp_path):
    base = live.url
    food_bank = add_member(live, FOOD_BANK)
    business = add_member(live, BUSINESS, type="business", postcode="L34 5NQ")
    need = add_listing(live, food_bank, direction="need", kind="time", category="food-bank-shifts",
                       title="Volunteers to sort donations", hours=3)
    offer = add_listing(live, business, direction="offer", kind="time", category="food-bank-shifts",
                        title="Our staff volunteer at food banks", hours=3)

    # The coordinator adds the grant; a bad first try is answered beside each field, keeping what was typed.
    coordinator = as_person(browser, live, COORDINATOR)
    coordinator.goto(f"{base}/coordinator/")
    coordinator.get_by_role("link", name="Programmes, funds and grants").click()
    coordinator.get_by_role("link", name="Add a programme, fund or grant").click()
    coordinator.get_by_label("Short code").fill("nlcf food 26!")
    coordinator.get_by_label("Name").fill("Food resilience in Kirkby")
    coordinator.get_by_role("button", name="Save").click()
    expect(coordinator.locator(".error-summary")).to_contain_text("Enter the funder")
    expect(coordinator.get_by_label("Name")).to_have_value("Food resilience in Kirkby")
    coordinator.get_by_label("Short code").fill(GRANT)
    coordinator.get_by_label("Grant").check()
    coordinator.get_by_label("Funder").fill("The National Lottery Community Fund")
    coordinator.get_by_label("Starts on").fill("2026-04-01")
    coordinator.get_by_role("button", name="Save").click()
    expect(coordinator.get_by_text(f"{GRANT} added")).to_be_visible()
    coordinator.get_by_label("Add a member").select_option(label=FOOD_BANK)
    coordinator.get_by_role("button", name="Add member").click()
    expect(coordinator.get_by_text(f"{FOOD_BANK} may now tag")).to_be_visible()
    expect(coordinator.get_by_role("table", name=f"Members that may tag with {GRANT}")).to_contain_text(FOOD_BANK)
    _axe(coordinator)
    screenshot(coordinator, "funding-grant")

    # The food bank tags its need, on a phone.
    phone = _phone(browser, live, email_for(FOOD_BANK))
    phone.goto(f"{base}/listings/{need}")
    phone.get_by_role("link", name=re.compile("^Tag it")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Programmes, funds and grants")
    phone.get_by_label(re.compile(f"^{GRANT}: Food resilience in Kirkby")).check()
    _fits(phone)
    _axe(phone)
    screenshot(phone, "mobile-funding-tag", max_height=1400)
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_text(f"Tagged with {GRANT}: Food resilience in Kirkby (grant)")).to_be_visible()

    # The business helps with that need: both accept, the coordinator approves, the food bank confirms.
    from timebank.exchanges.services import LegPlan, create_proposal

    with live.context() as session:
        exchange = create_proposal("pair", [LegPlan(giver_member_id=business, receiver_member_id=food_bank,
                                                    kind="time", hours=Decimal(3), offer_id=offer, need_id=need,
                                                    description="Sorting donations")],
                                   story=f"{BUSINESS}'s staff sort donations at {FOOD_BANK}.")
        session.commit()
        exchange_id = exchange.id
    business_page = as_person(browser, live, email_for(BUSINESS))
    answer_for(business_page, base, exchange_id, BUSINESS)
    food_bank_desktop = as_person(browser, live, email_for(FOOD_BANK))
    answer_for(food_bank_desktop, base, exchange_id, FOOD_BANK)
    coordinator.goto(f"{base}/exchanges/{exchange_id}")
    coordinator.get_by_role("link", name="Approve and schedule").click()
    coordinator.get_by_role("button", name="Approve exchange").click()
    expect(coordinator.get_by_text(f"Exchange {exchange_id} is approved and scheduled")).to_be_visible()

    # The help happens (the clock moves past the dates filled in, and stays there for the reports,
    # which count help on the day it happened); the food bank confirms it.
    with time_machine.travel(datetime.now() + timedelta(days=21), tick=True):
        for person, address in ((coordinator, COORDINATOR), (food_bank_desktop, email_for(FOOD_BANK)),
                                (business_page, email_for(BUSINESS)), (phone, email_for(FOOD_BANK))):
            sign_in(person, base, address)  # three weeks on, their sessions have ended
        confirm_part(food_bank_desktop, base, exchange_id, BUSINESS)
        food_bank_desktop.goto(f"{base}/exchanges/{exchange_id}")
        expect(food_bank_desktop.get_by_role("heading", level=1)).to_contain_text("completed", ignore_case=True)
        expect(food_bank_desktop.get_by_text(f"Its help also counts under {GRANT}")).to_be_visible()

        # The business writes a case study; the food bank agrees (on its phone).
        business_page.goto(f"{base}/exchanges/{exchange_id}")
        business_page.get_by_role("link", name="Write a case study").click()
        business_page.get_by_label("A quote: what someone said about it").check()
        business_page.get_by_label("The outcome or the quote").fill(
            "Our team said it was the best morning of the year")
        business_page.get_by_role("button", name=re.compile("^Save and ask")).click()
        expect(business_page.get_by_text(f"{FOOD_BANK} is asked whether reports may show it")).to_be_visible()
        phone.goto(live.link_in_last_email_to(email_for(FOOD_BANK), "/case-studies/"))
        expect(phone.get_by_role("heading", level=1)).to_have_text("May reports show this case study?")
        phone.get_by_label(re.compile("^Yes: reports may show it")).check()
        _fits(phone)
        _axe(phone)
        screenshot(phone, "mobile-case-study-consent", max_height=1600)
        phone.get_by_role("button", name="Save my answer").click()
        expect(phone.get_by_text("Thank you: reports may show it")).to_be_visible()

        # The sector dashboard cut by the grant shows the 3 hours; so does its PDF.
        coordinator.goto(f"{base}/coordinator/impact")
        coordinator.get_by_label("Programme, fund or grant").select_option(
            label=f"{GRANT}: Food resilience in Kirkby (grant)")
        coordinator.get_by_role("button", name="Show these dates").click()
        expect(coordinator.locator(".report-cut")).to_contain_text(GRANT)
        hours = coordinator.locator(".stat").filter(has_text="of time and skills given").locator(".stat__value")
        expect(hours).to_have_text("3")
        expect(coordinator.locator("#case-studies")).to_be_visible()
        _axe(coordinator)
        screenshot(coordinator, "sector-dashboard-grant", max_height=2400)
        figures = [t.strip() for t in coordinator.locator(".stat__value").all_inner_texts()]
        with coordinator.expect_download() as download:
            coordinator.get_by_role("link", name="Download this report as a PDF document").click()
        pdf = tmp_path / "grant.pdf"
        download.value.save_as(pdf)
        assert GRANT.lower() in download.value.suggested_filename
        text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages))
        assert f"{GRANT}: Food resilience in Kirkby (grant), funded by The National Lottery Community Fund" in text
        for figure in figures:
            assert figure in text, f"{figure!r} is on the page but not in the PDF"
        assert "best morning of the year" in text

        # The food bank's impact statement cut by the grant, on a phone.
        phone.goto(f"{base}/members/{food_bank}/impact")
        phone.get_by_label("Programme, fund or grant").select_option(label=f"{GRANT}: Food resilience in Kirkby (grant)")
        phone.get_by_role("button", name="Show these dates").click()
        received = phone.locator(".stat").filter(has_text="of time and skills received").locator(".stat__value")
        expect(received).to_have_text("3")
        _fits(phone)
        _axe(phone)
        screenshot(phone, "mobile-impact-grant", max_height=2400)
    for page in (coordinator, phone, business_page, food_bank_desktop):
        page.context.close()
