"""Two requests for the same slot at the same moment: exactly one wins, the other is told clearly.

Each request runs in its own thread with its own app context, session and database connection, as
two web requests would; the last test sends two real HTTP requests to a live server.
"""
from __future__ import annotations

import http.client
import threading
import time
from datetime import time as daytime, timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select, text

from tests.bookings.conftest import at, next_year
from tests.conftest import PASSWORD
from timebank.accounts.models import User
from timebank.bookings import services
from timebank.bookings.models import Booking, Loan, uk_today
from timebank.bookings.services import DoubleBooking
from timebank.extensions import db
from timebank.members.models import Asset, Member


def _attempt(app, place, member_id, user_id, start, end, results, *, before=None, after=None):
    """Book in a fresh app context (its own session and connection) and record the outcome."""
    with app.test_request_context():
        try:
            if before:
                before()
            services.book_room(db.session.get(Asset, place.hall_id), db.session.get(Member, member_id),
                               start, end, db.session.get(User, user_id))
            if after:
                after()
            db.session.commit()
            results[member_id] = "won"
        except DoubleBooking as error:
            db.session.rollback()
            results[member_id] = error.message
        finally:
            db.session.remove()


def test_two_simultaneous_requests_for_one_slot_exactly_one_wins(app, place):
    for round_ in range(3):
        day = next_year(4, 1 + round_)
        start, end = at(day, 10), at(day, 12)
        barrier, results = threading.Barrier(2), {}
        threads = [threading.Thread(target=_attempt, args=(app, place, member_id, user_id, start, end, results),
                                    kwargs={"before": barrier.wait})
                   for member_id, user_id in ((place.borrower_id, place.borrower_user_id),
                                              (place.other_id, place.other_user_id))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results.values(), key=len) == [
            "won", f"Community hall is already booked from 10:00 to 12:00 on {day.day} April {day.year}."]
        with app.app_context():
            rows = db.session.scalars(select(Booking).where(Booking.starts_at == start)).all()
            assert len(rows) == 1
            winner = next(member_id for member_id, outcome in results.items() if outcome == "won")
            assert rows[0].member_id == winner


def _waiting_for_a_lock(app) -> bool:
    """PostgreSQL: is another session of this database waiting for a lock right now?"""
    with app.app_context():
        with db.engine.connect() as connection:
            return connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")) > 0


def test_the_second_request_waits_for_the_first_and_then_sees_it(app, place):
    """The first holds its transaction open; the second starts, waits on the asset lock, then loses."""
    day = next_year(5, 5)
    start, end = at(day, 18), at(day, 21)
    first_booked, release, second_started, results = threading.Event(), threading.Event(), threading.Event(), {}

    def hold():
        first_booked.set()
        assert release.wait(30)

    first = threading.Thread(target=_attempt, args=(app, place, place.borrower_id, place.borrower_user_id,
                                                    start, end, results), kwargs={"after": hold})
    second = threading.Thread(target=_attempt, args=(app, place, place.other_id, place.other_user_id,
                                                     at(day, 20), at(day, 22), results),
                              kwargs={"before": second_started.set})
    first.start()
    assert first_booked.wait(30)
    second.start()
    assert second_started.wait(30)
    if app.backend == "postgresql":
        deadline = time.monotonic() + 30
        while not _waiting_for_a_lock(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_for_a_lock(app), "the second request should be waiting for the first's lock"
    else:
        second.join(0.5)  # SQLite: give it time to reach the write lock, which the first still holds
    assert "won" not in results.values()
    release.set()
    first.join()
    second.join()
    assert results == {place.borrower_id: "won",
                       place.other_id: f"Community hall is already booked from 18:00 to 21:00 on 5 May {day.year}."}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_two_weekly_bookings_asked_at_once_never_share_a_time(app, place):
    """Two organisations ask for overlapping weekly bookings at the same moment: one gets all its
    times, the other none, and is told each time that is taken."""
    from timebank.bookings import weekly
    from timebank.bookings.weekly import TimesTaken

    first = next_year(9, 1)
    first += timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday
    barrier, results = threading.Barrier(2), {}

    def attempt(member_id, user_id, starts, times):
        with app.test_request_context():
            try:
                barrier.wait()
                weekly.book_weekly(db.session.get(Asset, place.hall_id), db.session.get(Member, member_id), first,
                                   starts, daytime(starts.hour + 2), times, db.session.get(User, user_id))
                db.session.commit()
                results[member_id] = "won"
            except TimesTaken as error:
                db.session.rollback()
                results[member_id] = [t.day for t in error.taken]
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(place.borrower_id, place.borrower_user_id, daytime(10), 8)),
               threading.Thread(target=attempt, args=(place.other_id, place.other_user_id, daytime(11), 4))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results.values())) == sorted(map(str, ["won", [first + timedelta(weeks=w) for w in range(4)]]))
    with app.app_context():
        rows = db.session.scalars(select(Booking).order_by(Booking.starts_at)).all()
        winner = next(member_id for member_id, outcome in results.items() if outcome == "won")
        assert {row.member_id for row in rows} == {winner}
        assert len(rows) == (8 if winner == place.borrower_id else 4)


def test_two_simultaneous_loan_requests_for_one_item(app, place):
    first_day = uk_today()
    barrier, results = threading.Barrier(2), {}

    def attempt(member_id, user_id):
        with app.test_request_context():
            try:
                barrier.wait()
                services.request_loan(db.session.get(Asset, place.trolley_id), db.session.get(Member, member_id),
                                      first_day, first_day, db.session.get(User, user_id))
                db.session.commit()
                results[member_id] = "won"
            except DoubleBooking as error:
                db.session.rollback()
                results[member_id] = error.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=pair) for pair in
               ((place.borrower_id, place.borrower_user_id), (place.other_id, place.other_user_id))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values(), key=len) == [
        "won", f"Folding tables trolley is already booked on {first_day.day} {first_day:%B %Y}."]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Loan)) == 1


class _Browser:
    """A minimal HTTP client with a cookie, talking to the live server."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def post(self, path: str, data: dict) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "exchange.test", "Content-Type": "application/x-www-form-urlencoded"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        connection.request("POST", path, body=urlencode(data), headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        connection.close()
        return response.status, body


def test_two_real_http_requests_for_one_slot(app, place):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        youth, seniors = _Browser(server.server_port), _Browser(server.server_port)
        assert youth.post("/sign-in", {"email": "youth@example.org", "password": PASSWORD})[0] == 302
        assert seniors.post("/sign-in", {"email": "seniors@example.org", "password": PASSWORD})[0] == 302
        day = next_year(6, 6)
        barrier, responses = threading.Barrier(2), {}

        def send(name, browser, member_id):
            barrier.wait()
            responses[name] = browser.post(f"/assets/{place.hall_id}/book", {
                "member_id": member_id, "day": day.isoformat(), "starts_at": "10:00", "ends_at": "12:00"})

        threads = [threading.Thread(target=send, args=("youth", youth, place.borrower_id)),
                   threading.Thread(target=send, args=("seniors", seniors, place.other_id))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    statuses = sorted(status for status, _ in responses.values())
    assert statuses == [200, 302]
    loser_page = next(body for status, body in responses.values() if status == 200)
    assert f"Community hall is already booked from 10:00 to 12:00 on 6 June {day.year}." in loser_page
    assert "There is a problem" in loser_page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_a_weekly_booking_and_a_single_one_sent_at_once_over_http(app, place):
    """A weekly booking (8 Tuesdays) and a one-off booking of its third Tuesday, as two real requests at
    once: either the series wins whole and the one-off is refused, or the one-off wins and the series is
    refused naming that Tuesday, with nothing of it booked."""
    from werkzeug.serving import make_server

    from timebank.bookings.models import BookingSeries
    from timebank.bookings.services import day_words

    first = next_year(6, 1)
    first += timedelta(days=(1 - first.weekday()) % 7)
    third = first + timedelta(weeks=2)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        youth, seniors = _Browser(server.server_port), _Browser(server.server_port)
        assert youth.post("/sign-in", {"email": "youth@example.org", "password": PASSWORD})[0] == 302
        assert seniors.post("/sign-in", {"email": "seniors@example.org", "password": PASSWORD})[0] == 302
        barrier, responses = threading.Barrier(2), {}

        def send(name, browser, form):
            barrier.wait()
            responses[name] = browser.post(f"/assets/{place.hall_id}/book", form)

        threads = [threading.Thread(target=send, args=("youth", youth, {
                       "member_id": place.borrower_id, "day": first.isoformat(), "starts_at": "10:00",
                       "ends_at": "12:00", "repeat": "1", "times": "8"})),
                   threading.Thread(target=send, args=("seniors", seniors, {
                       "member_id": place.other_id, "day": third.isoformat(), "starts_at": "11:00",
                       "ends_at": "13:00", "repeat": "once"}))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    with app.app_context():
        rows = db.session.scalars(select(Booking).order_by(Booking.starts_at)).all()
        series = db.session.scalar(select(func.count()).select_from(BookingSeries))
    assert sorted(status for status, _ in responses.values()) == [200, 302]
    if responses["youth"][0] == 302:
        assert len(rows) == 8 and {r.member_id for r in rows} == {place.borrower_id} and series == 1
        assert f"Community hall is already booked from 10:00 to 12:00 on {day_words(third)}." in responses["seniors"][1]
    else:
        assert len(rows) == 1 and rows[0].member_id == place.other_id and series == 0
        assert (f"already booked at 1 of the 8 times you asked for: Tuesday {day_words(third)} "
                "(booked from 11:00 to 13:00)") in responses["youth"][1]
    assert all(a.ends_at <= b.starts_at for a, b in zip(rows, rows[1:]))
