"""A youth club books a community hall every Tuesday for 8 weeks from the hall's listing; one Tuesday is
taken, so nothing is booked and that day is named; the club then books the other 7, leaving it out.
On a phone (390 px) and a desktop, with the page's errors passing axe-core."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.conftest import screenshot, serious_violations
from tests.e2e.world import add_asset, add_listing, add_member, as_person, email_for

pytestmark = pytest.mark.e2e


def _count(live, model) -> int:
    with live.context() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("width", [390, 1280])
def test_book_a_room_weekly_for_eight_weeks_with_one_time_taken(live, browser, width):
    from datetime import datetime, time

    from timebank.bookings import services
    from timebank.bookings.models import Booking, BookingSeries, uk_today
    from timebank.members.models import Asset, Member
    from timebank.accounts.services import find_user

    suffix = f" {width}"  # each width gets its own members and hall (the module shares one database)
    owner = add_member(live, "Kirkby Community Centre" + suffix)
    youth = add_member(live, "Halewood Youth Club" + suffix)
    seniors = add_member(live, "Prescot Seniors" + suffix)
    hall = add_asset(live, owner, kind="room", name="Community hall", capacity=60, step_free=True,
                     opening_hours="Every day 9am to 9pm")
    listing = add_listing(live, owner, direction="offer", category="meeting-room", title="Community hall for groups",
                          hours=40, kind="room", asset_id=hall)
    first = uk_today() + timedelta(days=7)
    first += timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday at least a week away
    third = first + timedelta(weeks=2)
    with live.context() as session:  # Prescot Seniors already have the hall that third Tuesday morning
        services.book_room(session.get(Asset, hall), session.get(Member, seniors), datetime.combine(third, time(9)),
                           datetime.combine(third, time(11)), find_user(email_for("Prescot Seniors" + suffix)))
        session.commit()
    before, series_before = _count(live, Booking), _count(live, BookingSeries)

    page = as_person(browser, live, email_for("Halewood Youth Club" + suffix))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live.url}/listings/{listing}")
    page.get_by_role("link", name="Book this room").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book Community hall")
    page.get_by_label("Date").fill(first.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("12:00")
    page.get_by_label("Every week, at the same time").check()
    page.get_by_label("How many times, counting the first?").fill("8")
    page.get_by_role("button", name="Book the room").click()

    # Refused clearly: the summary names the taken Tuesday; the form keeps what was typed; nothing is booked.
    taken = f"Tuesday {services.day_words(third)} (booked from 09:00 to 11:00)"
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(f"Community hall is already booked at 1 of the 8 times you asked for: {taken}.")
    expect(summary).to_be_focused()
    expect(page.locator("#leave_out")).to_contain_text(taken)
    expect(page.get_by_label("How many times, counting the first?")).to_have_value("8")
    expect(page.get_by_label("Every week, at the same time")).to_be_checked()
    expect(page.get_by_label("Date")).to_have_value(first.isoformat())
    assert _count(live, Booking) == before and _count(live, BookingSeries) == series_before
    # The calendar shows the week of the taken Tuesday, with the booking in the way.
    week = page.get_by_role("table", name=f"Week of Monday {services.day_words(third - timedelta(days=1))}")
    expect(week.get_by_role("row").filter(has_text=f"Tuesday {services.day_words(third)}")).to_contain_text(
        "09:00 to 11:00")
    assert serious_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px wide"
    screenshot(page, f"weekly-booking-refused-{width}", max_height=4000)

    # The club chooses to book the other seven, leaving the taken Tuesday out.
    page.get_by_role("button", name="Book the other 7 times, leaving out the taken one").click()
    expect(page.get_by_text("Your weekly booking of Community hall is confirmed")).to_contain_text(
        f"every Tuesday from 10:00 to 12:00, 8 times from {services.day_words(first)}")
    expect(page.get_by_text("Your weekly booking of Community hall is confirmed")).to_contain_text(
        f"(leaving out {services.day_words(third)})")
    rooms = page.get_by_role("table", name="Rooms you have booked")
    expect(rooms.get_by_role("row").filter(has_text="Community hall")).to_have_count(7)
    assert _count(live, Booking) == before + 7 and _count(live, BookingSeries) == series_before + 1

    # The hall's calendar shows the seniors' morning and the club's Tuesdays, never who booked them.
    page.goto(f"{live.url}/assets/{hall}/book?week={third.isoformat()}")
    week = page.get_by_role("table", name=f"Week of Monday {services.day_words(third - timedelta(days=1))}")
    expect(week.get_by_role("row").filter(has_text=f"Tuesday {services.day_words(third)}")).to_contain_text(
        "09:00 to 11:00")
    page.get_by_role("link", name="Next week").click()
    fourth = third + timedelta(weeks=1)
    expect(page.get_by_role("table", name=f"Week of Monday {services.day_words(fourth - timedelta(days=1))}")
           .get_by_role("row").filter(has_text=f"Tuesday {services.day_words(fourth)}")).to_contain_text("10:00 to 12:00")
    expect(page.locator("#week")).not_to_contain_text("Halewood")
    screenshot(page, f"weekly-booking-calendar-{width}", max_height=3000)
    page.context.close()
