"""A saved search in the browser: saved from the directory, and its weekly digest arrives in the outbox
(the suite's real SMTP server) with a link that opens the new listing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.world import add_listing, add_member, as_person, email_for

pytestmark = pytest.mark.e2e


def test_a_saved_searchs_digest_arrives_in_the_outbox(live, browser):
    food_bank = "Tarbock Food Bank"
    add_member(live, food_bank)
    business = add_member(live, "Whiston Bookkeepers Ltd", type="business", postcode="L35 2YZ")
    page = as_person(browser, live, email_for(food_bank))

    page.goto(f"{live.url}/listings")
    page.get_by_label("Search words").fill("bookkeeping")
    page.get_by_label("Near postcode").fill("L36 9YS")
    page.get_by_label("Within").select_option(label="10 km")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_label("Name this search").fill("Bookkeeping near the food bank")
    page.get_by_role("button", name="Save this search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your saved searches")
    expect(page.locator(".card")).to_contain_text("Bookkeeping near the food bank")

    title = "Year-end bookkeeping for small charities"
    add_listing(live, business, direction="offer", category="bookkeeping", title=title, hours=6)
    add_listing(live, business, direction="offer", category="bookkeeping", title="Minibus driving", hours=2)
    result = live.app.test_cli_runner().invoke(args=["jobs", "run", "saved-searches"])
    assert result.exit_code == 0, result.output

    [digest] = live.emails_to(email_for(food_bank))[-1:]
    assert digest["Subject"] == "1 new listing for your saved search"
    page.goto(live.link_in_last_email_to(email_for(food_bank), "/listings/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)

    # Deleting it stops the emails.
    page.goto(f"{live.url}/searches/")
    page.get_by_role("button", name="Delete the saved search Bookkeeping near the food bank").click()
    expect(page.locator("main")).to_contain_text("Deleted the saved search")
    expect(page.locator("main")).to_contain_text("You have no saved searches")
    add_listing(live, business, direction="offer", category="bookkeeping", title="Bookkeeping training", hours=3)
    sent = len(live.emails_to(email_for(food_bank)))
    live.app.test_cli_runner().invoke(args=["jobs", "run", "saved-searches"])
    assert len(live.emails_to(email_for(food_bank))) == sent
    page.context.close()
