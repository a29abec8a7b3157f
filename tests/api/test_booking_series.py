"""Weekly bookings through the API: a taken time is named (409 with `taken`), nothing is booked, and
the others are booked only when the taken days are left out by name; the room's week calendar."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from timebank.db import today
from timebank.extensions import db


def _series(world, first, **overrides) -> dict:
    body = {"asset_id": world.ids["room_c"], "member_id": world.ids["member_a"], "first_day": str(first),
            "starts_at": "11:00", "ends_at": "13:00", "times": 4, "note": "Cookery club"}
    body.update(overrides)
    return body


def _count(app, model_name: str) -> int:
    from timebank import models

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(getattr(models, model_name)))


def test_a_weekly_booking_with_a_taken_time_is_refused_naming_it_then_booked_leaving_it_out(app, api, world, tokens):
    staff_a = api(tokens["staff_a"])
    taken_day = today() + timedelta(days=10)  # the world's booking of C's kitchen, 10:00 to 12:00
    first = taken_day - timedelta(days=7)
    before = _count(app, "Booking")
    refused = staff_a.post("/api/v1/booking-series", json=_series(world, first))
    assert refused.status_code == 409 and refused.content_type == "application/problem+json"
    assert refused.json["detail"].startswith("Kitchen is already booked at 1 of the 4 times you asked for: ")
    assert [t["day"] for t in refused.json["taken"]] == [str(taken_day)]
    assert refused.json["taken"][0]["booked_from"].startswith(f"{taken_day}T10:00:00")
    assert refused.json["errors"] == {"leave_out": [refused.json["detail"]]}
    assert _count(app, "Booking") == before and _count(app, "BookingSeries") == 0

    made = staff_a.post("/api/v1/booking-series", json=_series(world, first, leave_out=[str(taken_day)]))
    assert made.status_code == 201, made.json
    series = made.json
    assert series["left_out"] == [str(taken_day)] and series["times"] == 4 and series["starts_at"] == "11:00"
    assert [b["starts_at"][:16] for b in series["bookings"]] == [
        f"{first + timedelta(weeks=w)}T11:00" for w in (0, 2, 3)]
    assert series["description"].startswith(f"every {first:%A} from 11:00 to 13:00, 4 times")
    assert staff_a.get(f"/api/v1/booking-series/{series['id']}").json == series
    # Someone outside both members may neither see nor cancel it.
    assert api(tokens["staff_b"]).get(f"/api/v1/booking-series/{series['id']}").status_code == 403
    assert api(tokens["staff_b"]).post(f"/api/v1/booking-series/{series['id']}/cancel",
                                       json={"reason": "No"}).status_code == 403
    cancelled = staff_a.post(f"/api/v1/booking-series/{series['id']}/cancel", json={"reason": "Club closed"})
    assert cancelled.status_code == 200
    assert {b["status"] for b in cancelled.json["bookings"]} == {"cancelled"}
    again = staff_a.post(f"/api/v1/booking-series/{series['id']}/cancel", json={"reason": "Club closed"})
    assert again.status_code == 409


def test_bad_weekly_requests_are_answered_beside_their_field(app, api, world, tokens):
    staff_a = api(tokens["staff_a"])
    first = today() + timedelta(days=30)
    for overrides, field in (({"starts_at": "10am"}, "starts_at"), ({"starts_at": "10:00\n"}, "starts_at"),
                             ({"times": 1}, "times"), ({"every_weeks": 3}, "every_weeks"),
                             ({"leave_out": ["someday"]}, "leave_out.0"), ({"colour": "red"}, "colour")):
        response = staff_a.post("/api/v1/booking-series", json=_series(world, first, **overrides))
        assert response.status_code == 422 and field in response.json["errors"], (overrides, response.json)
    for overrides, field, words in (
            ({"starts_at": "13:00", "ends_at": "11:00"}, "ends_at", "The end time must be after the start time"),
            ({"leave_out": ["2030-01-01"]}, "leave_out", "is not one of the days you asked for"),
            ({"times": 52}, "times", "can be booked up to 365 days ahead")):
        response = staff_a.post("/api/v1/booking-series", json=_series(world, first, **overrides))
        assert response.status_code == 422 and words in response.json["errors"][field][0], response.json
    assert _count(app, "BookingSeries") == 0


def test_the_rooms_week_shows_booked_times_without_names(api, world, tokens):
    taken_day = today() + timedelta(days=10)
    week = api(tokens["staff_b"]).get(f"/api/v1/assets/{world.ids['room_c']}/calendar?week={taken_day}").json
    monday = taken_day - timedelta(days=taken_day.weekday())
    assert week["monday"] == str(monday) and len(week["days"]) == 7
    day = week["days"][taken_day.weekday()]
    assert day == {"day": str(taken_day), "free": False, "booked": [{"starts_at": "10:00", "ends_at": "12:00"}],
                   "lent": False}
    assert sum(d["free"] for d in week["days"]) == 6
    assert api(tokens["staff_b"]).get(f"/api/v1/assets/{world.ids['room_c']}/calendar?week=soon").status_code == 422
    assert api(tokens["staff_b"]).get("/api/v1/assets/999999/calendar").status_code == 404
