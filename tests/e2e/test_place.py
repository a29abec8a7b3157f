"""A member's admin sets its exact place in the browser, on a phone, with JavaScript off: a point
pasted as a map gives it, then back to a full postcode; bad input is named beside the field."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.world import PASSWORD, add_member, email_for

pytestmark = pytest.mark.e2e


def test_set_the_exact_place_without_javascript_on_a_phone(live, browser):
    member = add_member(live, "Knowsley Village Scouts", postcode="L34")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live.url}/sign-in")
    page.get_by_label("Email address").fill(email_for("Knowsley Village Scouts"))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live.url}/members/{member}")
    page.get_by_role("link", name="Set where you are").click()
    expect(page.locator("main")).to_contain_text("the middle of postcode district L34")

    page.get_by_label("Longitude").fill("2.84")  # the minus sign forgotten: 160 km away
    page.get_by_label("Latitude").fill("53.44")
    page.get_by_role("button", name="Save this point").click()
    expect(page.locator("#latitude-error")).to_contain_text("km from Knowsley: check the numbers")
    expect(page.get_by_label("Longitude")).to_have_value("2.84")

    page.get_by_label("Latitude").fill("53.44421, -2.82310")  # both pasted into the first box
    page.get_by_label("Longitude").fill("")
    page.get_by_role("button", name="Save this point").click()
    expect(page.locator("main")).to_contain_text("the exact point you set (53.44421, -2.82310)")
    screenshot(page, "place-phone")

    page.get_by_label("Full postcode").fill("L34 5AB")
    page.get_by_role("button", name="Use this postcode").click()
    expect(page.locator("main")).to_contain_text("your postcode, L34 5AB")
    cookies = context.cookies()
    context.close()

    # The page and its errors at 390 px with scripts on (axe-core and the width need them).
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"{live.url}/members/{member}/place")
    page.get_by_label("Latitude").fill("north")
    page.get_by_role("button", name="Save this point").click()
    expect(page.locator("#latitude-error")).to_contain_text("Enter the latitude as a number")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert serious_violations(page) == []
    context.close()
