"""The room's page: its week calendar, and weekly bookings with a taken time named and left out only by choice."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from tests.bookings.conftest import at, next_year
from timebank.bookings import services
from timebank.bookings.models import Booking, BookingSeries, uk_today
from timebank.extensions import db


def _count(app, model=Booking) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _tuesday() -> date:
    day = next_year(3, 1)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def _weekly(day, member_id, times="8", repeat="1", **extra):
    return {"member_id": member_id, "day": day.isoformat(), "starts_at": "10:00", "ends_at": "12:00",
            "repeat": repeat, "times": times, **extra}


def _book(app, place, start, end, member_id=None):
    with app.app_context():
        db.session.add(Booking(asset_id=place.hall_id, member_id=member_id or place.other_id, starts_at=start,
                               ends_at=end, status="confirmed"))
        db.session.commit()


def _week_rows(page: str) -> list[tuple[str, str]]:
    table = page[page.index('id="week"'):]
    table = table[:table.index("</table>")]
    return [(re.sub(r"\s+", " ", day).strip(), re.sub(r"\s+", " ", booked).strip()) for day, booked in re.findall(
        r'<th scope="row"[^>]*>(.*?)</th>\s*<td[^>]*>(.*?)</td>', table, re.S)]


def test_the_calendar_shows_a_week_of_booked_times_and_moves_by_week(client, auth, place, app):
    first = _tuesday()
    monday = first - timedelta(days=1)
    _book(app, place, at(first, 9), at(first, 11))
    _book(app, place, at(first, 14, 30), at(first, 16))
    _book(app, place, at(first + timedelta(days=2), 22), at(first + timedelta(days=3), 2))  # across midnight
    auth.login("youth@example.org")
    page = client.get(f"/assets/{place.hall_id}/book?week={first.isoformat()}").data.decode()
    assert f"Week of Monday {monday.day} March {monday.year}" in page
    rows = _week_rows(page)
    assert [day for day, _ in rows][:2] == [f"Monday {monday.day} March {monday.year}",
                                            f"Tuesday {first.day} March {first.year}"]
    assert [booked for _, booked in rows] == ["Free", "09:00 to 11:00, 14:30 to 16:00", "Free", "22:00 to 24:00",
                                              "00:00 to 02:00", "Free", "Free"]
    assert f"week={(monday - timedelta(days=7)).isoformat()}" in page
    assert f"week={(monday + timedelta(days=7)).isoformat()}" in page


def test_the_calendar_stays_within_this_week_and_the_owners_bound(client, auth, place, app):
    auth.login("youth@example.org")
    this_monday = uk_today() - timedelta(days=uk_today().weekday())
    for asked in ("2000-01-03", "not-a-day", ""):
        page = client.get(f"/assets/{place.hall_id}/book?week={asked}").data.decode()
        assert f"Week of Monday {this_monday.day} " in page and 'rel="prev"' not in page
    page = client.get(f"/assets/{place.hall_id}/book?week=9999-12-31").data.decode()
    last = uk_today() + timedelta(days=730)
    last_monday = last - timedelta(days=last.weekday())
    assert f"Week of Monday {last_monday.day} " in page and 'rel="next"' not in page


def test_an_items_calendar_shows_the_days_it_is_lent(client, auth, place, app):
    first = _tuesday()
    auth.login("youth@example.org")
    client.post(f"/assets/{place.trolley_id}/book", data={"member_id": place.borrower_id, "starts_on": first.isoformat(),
                                                          "due_on": (first + timedelta(days=1)).isoformat()})
    page = client.get(f"/assets/{place.trolley_id}/book?week={first.isoformat()}").data.decode()
    assert [lent for _, lent in _week_rows(page)] == ["Free", "Lent out", "Lent out", "Free", "Free", "Free", "Free"]
    assert "Bob" not in page and "Halewood" not in page.split('id="week"')[1].split("</table>")[0]


def test_book_every_tuesday_for_eight_weeks(client, auth, place, app, mailbox):
    first = _tuesday()
    auth.login("youth@example.org")
    page = client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id),
                       follow_redirects=True).data.decode()
    assert "Your weekly booking of Community hall is confirmed: every Tuesday from 10:00 to 12:00, 8 times" in page
    assert _count(app) == 8 and _count(app, BookingSeries) == 1


def test_a_taken_time_is_named_nothing_is_booked_and_the_others_can_be_booked(client, auth, place, app):
    first = _tuesday()
    third = first + timedelta(weeks=2)
    _book(app, place, at(third, 9), at(third, 11))
    auth.login("youth@example.org")
    page = client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id, note="Youth club")).data.decode()
    taken = f"Tuesday {services.day_words(third)} (booked from 09:00 to 11:00)"
    assert "There is a problem" in page and 'href="#leave_out"' in page
    assert f"Community hall is already booked at 1 of the 8 times you asked for: {taken}." in page
    assert 'id="leave_out"' in page and f"<li>{taken}</li>" in page
    assert "Youth club</textarea>" in page
    assert 'value="8"' in page and f'value="{first.isoformat()}"' in page
    assert _count(app) == 1 and _count(app, BookingSeries) == 0
    # The calendar shows the week of the taken time, with the booking in the way.
    assert f"Week of Monday {(third - timedelta(days=1)).day} March" in page
    assert _week_rows(page)[1][1] == "09:00 to 11:00"
    button = re.search(r'<button[^>]*name="leave_out" value="([^"]*)"[^>]*>([^<]*)</button>', page)
    assert button.group(1) == third.isoformat()
    assert button.group(2) == "Book the other 7 times, leaving out the taken one"
    # Pressing it books the other seven, and says which day is left out.
    page = client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id, leave_out=button.group(1)),
                       follow_redirects=True).data.decode()
    assert f"(leaving out {services.day_words(third)})" in page
    assert _count(app) == 8 and _count(app, BookingSeries) == 1


def test_a_time_taken_while_choosing_is_named_again_and_the_button_leaves_out_both(client, auth, place, app):
    first = _tuesday()
    third, fifth = first + timedelta(weeks=2), first + timedelta(weeks=4)
    _book(app, place, at(third, 9), at(third, 11))
    _book(app, place, at(fifth, 11), at(fifth, 13))
    auth.login("youth@example.org")
    page = client.post(f"/assets/{place.hall_id}/book",
                       data=_weekly(first, place.borrower_id, leave_out=third.isoformat())).data.decode()
    assert f"at 1 of the 7 times you asked for: Tuesday {services.day_words(fifth)}" in page
    assert f'name="leave_out" value="{third.isoformat()} {fifth.isoformat()}"' in page
    assert "Book the other 6 times" in page
    assert _count(app) == 2


def test_every_time_taken_offers_no_leaving_out(client, auth, place, app):
    first = _tuesday()
    for w in range(2):
        _book(app, place, at(first + timedelta(weeks=w), 8), at(first + timedelta(weeks=w), 18))
    auth.login("youth@example.org")
    page = client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id, times="2")).data.decode()
    assert "at all 2 times you asked for" in page and 'name="leave_out"' not in page
    assert _count(app) == 2


def test_bad_weekly_input_is_explained_and_kept(client, auth, place, app):
    first = _tuesday()
    auth.login("youth@example.org")
    for times, words in (("", "Enter how many times to book, from 2 to 52"), ("1", "from 2 to 52"),
                         ("eight", "Enter how many times as a whole number, like 8"), ("53", "from 2 to 52")):
        page = client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id, times=times)).data.decode()
        assert 'id="times-error"' in page and words in page and f'value="{times}"' in page, times
    page = client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id, repeat="3")).data.decode()
    assert 'id="repeat-error"' in page and "Choose how often" in page
    page = client.post(f"/assets/{place.hall_id}/book",
                       data=_weekly(first, place.borrower_id, leave_out="someday")).data.decode()
    assert "the days to leave out were not dates" in page
    page = client.post(f"/assets/{place.hall_id}/book",
                       data=_weekly(first, place.borrower_id, leave_out="2000-01-04")).data.decode()
    assert "Tuesday 4 January 2000 is not one of the days you asked for" in page
    # Just once ignores how many times.
    page = client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id, repeat="once", times="x"),
                       follow_redirects=True).data.decode()
    assert _count(app) == 1 and _count(app, BookingSeries) == 0


def test_cancel_every_time_to_come_of_a_weekly_booking(client, auth, place, app, mailbox):
    first = _tuesday()
    auth.login("youth@example.org")
    client.post(f"/assets/{place.hall_id}/book", data=_weekly(first, place.borrower_id, times="3"))
    with app.app_context():
        series_id = db.session.scalar(select(BookingSeries.id))
    page = client.get(f"/members/{place.borrower_id}/bookings").data.decode()
    assert page.count("Weekly booking") == 3 and page.count(f"/booking-series/{series_id}/cancel") == 3
    page = client.get(f"/booking-series/{series_id}/cancel").data.decode()
    assert "The 3 times still to come" in page and f"Tuesday {services.day_words(first)}, 10:00 to 12:00" in page
    page = client.post(f"/booking-series/{series_id}/cancel", data={"reason": " "}).data.decode()
    assert 'id="reason-error"' in page and "Enter the reason" in page
    auth.logout()
    auth.login("seniors@example.org")
    assert client.get(f"/booking-series/{series_id}/cancel").status_code == 403
    assert client.get("/booking-series/999/cancel").status_code == 404
    auth.logout()
    auth.login("hall@example.org")  # the room's owner may cancel it too
    page = client.post(f"/booking-series/{series_id}/cancel", data={"reason": "Roof repairs"},
                       follow_redirects=True).data.decode()
    assert "The weekly booking of Community hall is cancelled for the 3 times still to come" in page
    with app.app_context():
        assert set(db.session.scalars(select(Booking.status))) == {"cancelled"}
    assert any("Roof repairs" in mailbox.body(m) for m in mailbox.to("youth@example.org"))
    page = client.get(f"/booking-series/{series_id}/cancel", follow_redirects=True).data.decode()
    assert "already happened or been cancelled" in page


def test_the_owner_reaches_the_calendar_from_its_rooms_and_equipment(client, auth, place):
    auth.login("hall@example.org")
    page = client.get(f"/members/{place.owner_id}/assets").data.decode()
    assert f'href="/assets/{place.hall_id}/book">When it is booked' in page
    assert f'href="/assets/{place.trolley_id}/book">When it is lent out' in page
    page = client.get(f"/assets/{place.hall_id}/book").data.decode()
    assert 'id="week"' in page and "you need to act for an approved member organisation other than" in page


def test_a_weekly_booking_in_the_year_9999_is_refused_with_the_rooms_limit(client, auth, place, app):
    auth.login("youth@example.org")
    answer = client.post(f"/assets/{place.hall_id}/book", data={
        "member_id": place.borrower_id, "day": "9999-12-25", "starts_at": "10:00", "ends_at": "12:00",
        "repeat": "1", "times": "52"})
    assert answer.status_code == 200
    assert "can be booked up to" in answer.data.decode()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_the_calendar_shows_days_gone_by_as_past_not_free(client, auth, place, app):
    import time_machine

    today = uk_today()
    thursday = today + timedelta(days=7 + (3 - today.weekday()) % 7)
    with time_machine.travel(at(thursday, 12), tick=False):
        auth.login("youth@example.org")
        page = client.get(f"/assets/{place.hall_id}/book").data.decode()
    assert [booked for _, booked in _week_rows(page)] == ["Past", "Past", "Past", "Free", "Free", "Free", "Free"]
