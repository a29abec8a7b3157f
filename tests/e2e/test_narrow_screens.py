"""Pages at 390 px (a phone): nothing scrolls sideways, neither the page nor a table inside it; the
directory's results come before a screenful of filters; a long unbroken word wraps.

With SHOTS_DIR=/some/dir each page is also saved there as a screenshot, for a person to look at.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.e2e.conftest import DEMO_PASSWORD, PEOPLE
from tests.e2e.world import COORDINATOR, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}

# Every element that scrolls sideways (the page itself, or a box with overflow-x: auto) and by how much.
SIDEWAYS = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) found.push(`the page by ${root.scrollWidth - root.clientWidth}px`);
  for (const el of document.querySelectorAll("main *")) {
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      found.push(`${el.tagName.toLowerCase()}.${el.className} "${(el.getAttribute("aria-label") || "").slice(0, 40)}" `
                 + `by ${el.scrollWidth - el.clientWidth}px`);
  }
  return found;
}"""


def _phone(browser, base: str, email: str, password: str):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, email, password)
    return page


def _look(page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-390.png"), full_page=True)


def _fits(page, path: str) -> None:
    assert page.evaluate(SIDEWAYS) == [], f"{path} scrolls sideways at 390 px"


def test_exchanges_bookings_and_the_directory_fit_a_phone(demo, browser):
    from timebank.bookings.models import Booking
    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.members.models import Asset

    with demo.context() as session:
        # the exchanges with the most parts, and the member whose rooms are booked most (Cancel links)
        biggest = session.scalars(select(Leg.exchange_id).group_by(Leg.exchange_id)
                                  .order_by(func.count().desc(), Leg.exchange_id).limit(2)).all()
        lender = session.scalar(select(Asset.member_id).join(Booking, Booking.asset_id == Asset.id)
                                .where(Booking.status == "confirmed").group_by(Asset.member_id)
                                .order_by(func.count().desc()).limit(1))
        assert len(biggest) == 2 and lender is not None
    page = _phone(browser, demo.url, PEOPLE["coordinator"], DEMO_PASSWORD)
    for path in [f"/exchanges/{biggest[0]}", f"/exchanges/{biggest[1]}", f"/members/{lender}/bookings"]:
        page.goto(demo.url + path)
        _fits(page, path)
        _look(page, path.strip("/").replace("/", "-"))

    # every column of the parts table can be read without scrolling sideways: its status and reason too
    page.goto(demo.url + f"/exchanges/{biggest[0]}")
    first_row = page.locator("table", has=page.get_by_text("Who gives what")).locator("tbody tr").first
    for heading in ("When", "Status", "Why we proposed it"):
        box = first_row.locator(f'td[data-label="{heading}"]').bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, heading

    # the directory: results first, the filters folded away under "Filter results"
    page.goto(demo.url + "/listings")
    _fits(page, "/listings")
    _look(page, "listings")
    first_result = page.locator("main .card").first.bounding_box()
    assert first_result["y"] < 700, f"the first listing starts {first_result['y']:.0f}px down the page"
    assert page.get_by_label("Search words").is_hidden()
    page.get_by_text("Filter results").click()
    page.get_by_label("Search words").fill("minibus")
    page.get_by_role("button", name="Apply filters").click()
    # filtered: the filters stay open, so what was chosen is in sight
    assert page.get_by_label("Search words").input_value() == "minibus"

    # at desktop width the filters are open beside the results
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo.url + "/listings")
    assert page.get_by_label("Search words").is_visible()
    page.context.close()


def test_a_long_unbroken_name_wraps_instead_of_widening_the_page(live, browser):
    from timebank.accounts.services import find_user
    from timebank.funding import services as funding

    with live.context() as session:
        tag = funding.create_tag(find_user(COORDINATOR), code="LONG-NAME-1", name="N" * 200, kind="programme",
                                 funder="F" * 200, starts_on=date(2026, 4, 1), ends_on=None, open_to_all=True)
        session.commit()
        tag_id = tag.id
    page = _phone(browser, live.url, COORDINATOR, "correct-horse-battery")
    for path in (f"/coordinator/funding/{tag_id}", "/coordinator/funding"):
        page.goto(live.url + path)
        _fits(page, path)
        _look(page, path.strip("/").replace("/", "-"))
    page.context.close()
