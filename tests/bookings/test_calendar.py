"""The calendar feed: parses as iCalendar, holds the member's bookings and loans, needs the secret link."""
from __future__ import annotations

import re
from datetime import timedelta

from icalendar import Calendar

from tests.bookings.conftest import at, next_year
from timebank.bookings.models import UK, uk_today


def _feed_path(client, member_id) -> str:
    page = client.get(f"/members/{member_id}/bookings").data.decode()
    url = re.search(r'id="calendar-link" type="text" readonly value="([^"]+)"', page).group(1)
    return url.replace("http://exchange.test", "")


def test_a_members_feed_has_its_bookings_and_loans_on_both_sides(client, auth, place):
    day = next_year()
    first = uk_today() + timedelta(days=3)
    auth.login("youth@example.org")
    client.post(f"/assets/{place.hall_id}/book", data={"member_id": place.borrower_id, "day": day.isoformat(), "starts_at": "10:00",
                                                        "ends_at": "12:00"})
    client.post(f"/assets/{place.trolley_id}/book", data={"member_id": place.borrower_id, "starts_on": first.isoformat(),
                                                           "due_on": (first + timedelta(days=1)).isoformat()})
    youth_feed = _feed_path(client, place.borrower_id)
    auth.logout()
    auth.login("hall@example.org")
    hall_feed = _feed_path(client, place.owner_id)
    auth.logout()

    response = client.get(youth_feed)  # no session: calendar apps do not sign in
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Halewood Youth Club: bookings and loans"
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Community hall at Kirkby Community Centre",
                           "On loan: Folding tables trolley from Kirkby Community Centre"}
    room = events["Community hall at Kirkby Community Centre"]
    assert room.decoded("DTSTART") == at(day, 10).replace(tzinfo=UK)
    assert room.decoded("DTEND") == at(day, 12).replace(tzinfo=UK)
    loan = events["On loan: Folding tables trolley from Kirkby Community Centre"]
    assert loan.decoded("DTSTART") == first and loan.decoded("DTEND") == first + timedelta(days=2)

    lender = Calendar.from_ical(client.get(hall_feed).data)
    assert {str(e["SUMMARY"]) for e in lender.walk("VEVENT")} == {
        "Community hall booked by Halewood Youth Club", "Lent: Folding tables trolley to Halewood Youth Club"}


def test_a_wrong_or_replaced_link_is_not_found(client, auth, place):
    auth.login("youth@example.org")
    feed = _feed_path(client, place.borrower_id)
    assert client.get(feed).status_code == 200
    token = feed.removeprefix("/calendar/").removesuffix(".ics")
    assert client.get(f"/calendar/{token[:-2]}xx.ics").status_code == 404
    assert client.get("/calendar/nonsense.ics").status_code == 404
    response = client.post(f"/members/{place.borrower_id}/calendar/reset", follow_redirects=True)
    assert "There is a new calendar link" in response.data.decode()
    new_feed = _feed_path(client, place.borrower_id)
    assert new_feed != feed
    assert client.get(feed).status_code == 404
    assert client.get(new_feed).status_code == 200
