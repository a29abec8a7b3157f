"""Whole journeys in a real browser against a live server on PostgreSQL.

An organisation signs up, confirms its email, registers and is approved; it posts a need and an
offer; a business posts a gift; the coordinator runs the matcher, which proposes a three-way ring
and a gift chain; every member accepts, the coordinator approves and schedules, the receivers
confirm; the balances, the business's Social Value report and the sector figures show it. Then a
room is booked and an item of equipment goes out and comes back.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.world import (COORDINATOR, PASSWORD, add_asset, add_listing, add_member, answer_for, as_person,
                             balance, confirm_part, email_for, member_id, post_listing, sign_in)

pytestmark = pytest.mark.e2e

NEW_ORG = "Halewood Youth Club"
FOOD_BANK, SENIORS = "Kirkby Food Bank", "Prescot Seniors"
BUSINESS, TRUST, CARERS = "Merseyside Accountancy", "Stockbridge Village Trust", "Knowsley Carers Centre"


@pytest.fixture(scope="module")
def world(live):
    """Everyone but the new organisation, with the listings that the new one's will complete."""
    ids = {name: add_member(live, name) for name in (FOOD_BANK, SENIORS, TRUST, CARERS)}
    ids[BUSINESS] = add_member(live, BUSINESS, type="business", postcode="L34 5NQ")
    add_listing(live, ids[FOOD_BANK], direction="need", category="social-media", title="Someone to run our Facebook page", hours=4)
    add_listing(live, ids[FOOD_BANK], direction="offer", category="payroll", title="Payroll for a small team", hours=2)
    add_listing(live, ids[SENIORS], direction="need", category="payroll", title="Help setting up payroll", hours=2)
    add_listing(live, ids[SENIORS], direction="offer", category="bookkeeping", title="Bookkeeping by our treasurer", hours=3)
    add_listing(live, ids[TRUST], direction="need", category="data-protection-uk-gdpr", title="A data protection policy", hours=5)
    add_listing(live, ids[TRUST], direction="offer", category="website-building", title="We build simple websites", hours=6)
    add_listing(live, ids[CARERS], direction="need", category="website-building", title="A website for our carers' groups", hours=6)
    return ids


def test_register_match_exchange_confirm_and_report(live, world, page, browser):
    base = live.url
    email = "youth.worker@halewood-youth.example"

    # An organisation's worker signs up and confirms the address from the email.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Register your organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    page.get_by_label("Your name").fill("Jess Worker")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.goto(live.link_in_last_email_to(email, "/confirm-email/"))
    page.get_by_label("The password you chose when you signed up").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_text("Your email address is confirmed")).to_be_visible()

    # ... registers the organisation, which waits for a coordinator.
    page.goto(f"{base}/members/register")
    page.get_by_label("Name of the organisation or business").fill(NEW_ORG)
    page.get_by_label("Community group").check()
    page.get_by_label("What does it do?").fill("Youth work and trips for young people in Halewood.")
    page.get_by_label("Postcode of its main base").fill("L36 2LZ")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text(f"{NEW_ORG} is registered")).to_be_visible()
    new_org = member_id(live, NEW_ORG)

    # A coordinator reviews and approves it; its admin is emailed.
    coordinator = as_person(browser, live, COORDINATOR)
    coordinator.goto(f"{base}/coordinator/")
    coordinator.get_by_role("link", name=f"Review {NEW_ORG}").click()
    coordinator.get_by_role("button", name=f"Approve {NEW_ORG}").click()
    expect(coordinator.get_by_text(re.compile(f"{NEW_ORG}.*approved"))).to_be_visible()
    assert live.emails_to(email)[-1]["Subject"] == "Your organisation has been approved"

    # The new member posts its need and its offer; the business posts a gift.
    post_listing(page, base, new_org, direction="need", kind="skill", category="Finance and funding > Bookkeeping",
                 title="Someone to keep our books", hours="3")
    post_listing(page, base, new_org, direction="offer", kind="skill",
                 category="Digital and IT > Social media", title="Young people run your social media", hours="4")
    business = as_person(browser, live, email_for(BUSINESS))
    post_listing(business, base, world[BUSINESS], direction="offer", kind="skill",
                 category="Governance and legal > Data protection (UK GDPR)",
                 title="A data protection policy, written with you", hours="5", gift=True)
    expect(business.get_by_text("gift", exact=False).first).to_be_visible()

    # The coordinator runs the matcher: one three-way ring and one gift chain.
    coordinator.goto(f"{base}/coordinator/matcher")
    coordinator.get_by_role("button", name="Start the matcher").click()
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("Done", ignore_case=True)
    proposals = coordinator.get_by_role("table", name="Proposals from this run").locator("tbody tr")
    expect(proposals).to_have_count(2)
    ring_link = coordinator.get_by_role("link", name=re.compile(r"^Exchange ring \d+$"))
    chain_link = coordinator.get_by_role("link", name=re.compile(r"^Gift chain \d+$"))
    ring = int(ring_link.inner_text().rsplit(" ", 1)[1])
    chain = int(chain_link.inner_text().rsplit(" ", 1)[1])

    coordinator.goto(f"{base}/exchanges/{ring}")
    legs = coordinator.get_by_role("table", name="Who gives what").locator("tbody tr")
    expect(legs).to_have_count(3)
    for giver, receiver in ((NEW_ORG, FOOD_BANK), (FOOD_BANK, SENIORS), (SENIORS, NEW_ORG)):
        expect(legs.filter(has=coordinator.get_by_role("cell", name=giver, exact=True))
               .get_by_role("cell", name=receiver, exact=True)).to_be_visible()
    coordinator.goto(f"{base}/exchanges/{chain}")
    legs = coordinator.get_by_role("table", name="Who gives what").locator("tbody tr")
    expect(legs).to_have_count(2)
    expect(legs.first).to_contain_text(BUSINESS)
    expect(legs.first).to_contain_text("(a gift)")
    expect(legs.nth(1)).to_contain_text(CARERS)

    # Every member accepts its part.
    answer_for(page, base, ring, NEW_ORG)
    for name in (FOOD_BANK, SENIORS):
        answer_for(as_person(browser, live, email_for(name)), base, ring, name)
    answer_for(business, base, chain, BUSINESS)
    for name in (TRUST, CARERS):
        answer_for(as_person(browser, live, email_for(name)), base, chain, name)

    # The coordinator approves and schedules both (the dates come filled in).
    for exchange in (ring, chain):
        coordinator.goto(f"{base}/exchanges/{exchange}")
        expect(coordinator.get_by_role("heading", level=1)).to_contain_text("accepted", ignore_case=True)
        coordinator.get_by_role("link", name="Approve and schedule").click()
        coordinator.get_by_role("button", name="Approve exchange").click()
        expect(coordinator.get_by_text(f"Exchange {exchange} is approved and scheduled")).to_be_visible()
        expect(coordinator.get_by_role("heading", level=1)).to_contain_text("scheduled", ignore_case=True)

    # Nothing can be confirmed before it happens.
    page.goto(f"{base}/exchanges/{ring}")
    expect(page.get_by_text("You can confirm it once it has started").first).to_be_visible()

    # The help happens (the clock moves on past the dates filled in, and stays there for the
    # reports, which count help on the day it happened); each receiver confirms it.
    with time_machine.travel(datetime.now() + timedelta(days=21), tick=True):
        for person, address in ((page, email), (coordinator, COORDINATOR), (business, email_for(BUSINESS))):
            sign_in(person, base, address)  # three weeks on, their sessions have ended
        confirm_part(page, base, ring, SENIORS)
        receivers = {name: as_person(browser, live, email_for(name)) for name in (FOOD_BANK, SENIORS, TRUST, CARERS)}
        confirm_part(receivers[FOOD_BANK], base, ring, NEW_ORG)
        confirm_part(receivers[SENIORS], base, ring, FOOD_BANK)
        confirm_part(receivers[TRUST], base, chain, BUSINESS)
        confirm_part(receivers[CARERS], base, chain, TRUST)
        for exchange in (ring, chain):
            page_ = receivers[CARERS] if exchange == chain else page
            page_.goto(f"{base}/exchanges/{exchange}")
            expect(page_.get_by_role("heading", level=1)).to_contain_text("completed", ignore_case=True)
        screenshot(page, "exchange-completed")

        # Balances: each leg moves its hours from receiver to giver; the gift moves none.
        assert balance(page, base, new_org) == "1"          # +4 given, -3 received
        screenshot(page, "credits")
        assert balance(receivers[FOOD_BANK], base, world[FOOD_BANK]) == "-2"   # +2, -4
        assert balance(receivers[SENIORS], base, world[SENIORS]) == "1"        # +3, -2
        assert balance(receivers[TRUST], base, world[TRUST]) == "6"            # +6; the gift in was free
        assert balance(receivers[CARERS], base, world[CARERS]) == "-6"
        assert balance(business, base, world[BUSINESS]) == "0"                 # a gift earns no credits

        # The business's Social Value report counts its 5 hours of expert advice to one organisation.
        business.goto(f"{base}/members/{world[BUSINESS]}/social-value")
        summary = business.locator(".summary-list")
        expect(summary.first).to_contain_text("Expert advice")
        expect(business.locator(".stat").filter(has_text="expert advice person-hours").locator(".stat__value")).to_have_text("5")
        expect(business.locator(".stat").filter(has_text="organisations supported").locator(".stat__value")).to_have_text("1")
        records = business.get_by_role("table", name=re.compile("^Help given"))
        expect(records.locator("tbody tr")).to_have_count(1)
        expect(records).to_contain_text(TRUST)
        screenshot(business, "social-value")

        # The sector's figures: 4 + 2 + 3 + 5 + 6 hours, five needs met, two exchanges completed.
        coordinator.goto(f"{base}/coordinator/impact")
        figure = lambda label: coordinator.locator(".stat").filter(has_text=label).locator(".stat__value")  # noqa: E731
        expect(figure("hours of time and skills given")).to_have_text("20")
        expect(figure("needs met")).to_have_text("5")
        expect(figure("exchanges completed")).to_have_text("2")
        screenshot(coordinator, "impact")


def test_a_room_is_booked_and_equipment_goes_out_and_comes_back(live, page, browser):
    from timebank.bookings.models import uk_today

    base = live.url
    owner = add_member(live, "Huyton Community Centre")
    borrower = add_member(live, "Page Moss Allotments")
    room = add_asset(live, owner, kind="room", name="Main hall", capacity=60, step_free=True)
    item = add_asset(live, owner, kind="equipment", name="Gazebo", condition="good")

    # The borrower books the hall and reserves the gazebo.
    sign_in(page, base, email_for("Page Moss Allotments"))
    day = uk_today() + timedelta(days=7)
    page.goto(f"{base}/assets/{room}/book")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("12:00")
    page.get_by_role("button", name="Book the room").click()
    expect(page.get_by_text("Your booking of Main hall is confirmed")).to_be_visible()
    rooms = page.get_by_role("table", name="Rooms you have booked")
    expect(rooms).to_contain_text("Main hall (Huyton Community Centre)")
    expect(rooms).to_contain_text("10:00 to 12:00")

    page.goto(f"{base}/assets/{item}/book")
    page.get_by_label("First day").fill(uk_today().isoformat())       # handed over today
    page.get_by_label("Last day (back by the end of it)").fill((uk_today() + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Reserve it").click()
    expect(page.get_by_text("Gazebo is reserved for you")).to_be_visible()
    expect(page.get_by_role("table", name="Equipment you are borrowing")).to_contain_text("reserved", ignore_case=True)
    screenshot(page, "bookings")

    # The owner sees both, hands the gazebo over and records its return.
    lender = as_person(browser, live, email_for("Huyton Community Centre"))
    lender.goto(f"{base}/members/{owner}/bookings")
    expect(lender.get_by_role("table", name="Bookings of your rooms")).to_contain_text("Page Moss Allotments")
    lent = lender.get_by_role("table", name="Equipment you lend")
    expect(lent).to_contain_text("reserved", ignore_case=True)
    lent.get_by_role("link", name=re.compile("^Hand over")).click()
    lender.get_by_label("What condition is it in as it goes out?").fill("All poles and pegs, clean canvas.")
    lender.get_by_role("button", name="Hand it over").click()
    expect(lender.get_by_text("Gazebo is out on loan to Page Moss Allotments")).to_be_visible()
    page.reload()
    expect(page.get_by_role("table", name="Equipment you are borrowing")).to_contain_text("Return it to Huyton Community Centre")

    lender.goto(f"{base}/members/{owner}/bookings")
    lender.get_by_role("table", name="Equipment you lend").get_by_role("link", name=re.compile("^Record the return")).click()
    lender.get_by_label("What condition is it in now it is back?").fill("As it went out.")
    lender.get_by_role("button", name="Record the return").click()
    expect(lender.get_by_text("Gazebo is back from Page Moss Allotments")).to_be_visible()
    lender.goto(f"{base}/members/{owner}/bookings")
    expect(lender.get_by_role("table", name="Equipment you lend")).to_contain_text("returned", ignore_case=True)
