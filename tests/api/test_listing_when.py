"""A listing's "when" through the API: days of the week, one-off dates, or any time; bad dates refused."""
from __future__ import annotations

from datetime import date, timedelta

from timebank.db import today

PROBLEMS = "/api/v1/problems/"


def _next(weekday: int, weeks: int = 1) -> date:
    day = today() + timedelta(weeks=weeks)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _need(world, categories, **overrides) -> dict:
    body = {"member_id": world.ids["member_a"], "direction": "need", "kind": "time",
            "category_id": categories["bookkeeping"], "title": "Tea and a chat", "quantity": 2}
    body.update(overrides)
    return body


def test_a_listing_on_one_off_dates_then_any_time(api, world, tokens, categories):
    staff_a = api(tokens["staff_a"])
    saturday, tuesday = _next(5), _next(1, weeks=2)
    created = staff_a.post("/api/v1/listings", json=_need(world, categories, availability="dates", dates=[
        {"day": tuesday.isoformat()}, {"day": saturday.isoformat(), "parts": ["morning", "afternoon"]}]))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["availability"] == "dates"
    assert body["dates"] == [{"day": saturday.isoformat(), "parts": ["morning", "afternoon"]},
                             {"day": tuesday.isoformat(), "parts": ["morning", "afternoon", "evening"]}]
    assert (body["available_from"], body["available_until"]) == (saturday.isoformat(), tuesday.isoformat())
    assert body["when"].startswith(f"On Saturday {saturday.day} {saturday:%B %Y} (morning and afternoon) and Tuesday")
    url = f"/api/v1/listings/{body['id']}"
    found = staff_a.get(f"/api/v1/listings?member_id={world.ids['member_a']}").json["items"]
    assert next(item for item in found if item["id"] == body["id"])["dates"] == body["dates"]
    # Any time, with If-Match: the dates go, the window is the one sent.
    read = staff_a.get(url)
    changed = staff_a.patch(url, headers={"If-Match": read.headers["ETag"]}, json={
        "availability": "any_time", "available_from": str(today()), "available_until": str(today() + timedelta(days=30))})
    assert changed.status_code == 200, changed.json
    assert changed.json["availability"] == "any_time" and changed.json["dates"] == []
    assert changed.json["weekly_pattern"] == (1 << 21) - 1 and changed.headers["ETag"] != read.headers["ETag"]
    assert changed.json["when"].startswith("Any day, any time")


def test_every_tuesday_morning_and_without_a_when_it_is_any_time(api, world, tokens, categories):
    staff_a = api(tokens["staff_a"])
    window = {"available_from": str(today()), "available_until": str(today() + timedelta(days=60))}
    weekly = staff_a.post("/api/v1/listings", json=_need(world, categories, weekly_pattern=1 << 3, **window)).json
    assert weekly["availability"] == "weekly" and weekly["when"].startswith("Every Tuesday morning")
    unsaid = staff_a.post("/api/v1/listings", json=_need(world, categories, **window)).json
    assert unsaid["availability"] == "any_time" and unsaid["dates"] == []


def test_bad_dates_are_problems_and_nothing_is_saved(api, world, tokens, categories):
    staff_a = api(tokens["staff_a"])
    before = staff_a.get(f"/api/v1/listings?member_id={world.ids['member_a']}").json["total"]
    past = str(today() - timedelta(days=2))
    cases = {
        "past": (_need(world, categories, availability="dates", dates=[{"day": past}]), "rule", "dates"),
        "impossible": (_need(world, categories, availability="dates", dates=[{"day": "2027-02-31"}]), "validation",
                       "dates"),
        "no dates": (_need(world, categories, availability="dates"), "rule", "dates"),
        "unknown part": (_need(world, categories, dates=[{"day": str(_next(1)), "parts": ["noon"]}]), "validation",
                         "dates"),
        "no window": (_need(world, categories, availability="weekly", weekly_pattern=8), "rule", "available_from"),
        "any time, some times": (_need(world, categories, availability="any_time", weekly_pattern=8,
                                       available_from=str(today()), available_until=str(today())),
                                 "rule", "weekly_pattern"),
    }
    for name, (body, kind, field) in cases.items():
        answer = staff_a.post("/api/v1/listings", json=body)
        assert answer.status_code == 422, (name, answer.json)
        assert answer.json["type"] == PROBLEMS + kind, name
        assert field in str(answer.json.get("errors", {})), (name, answer.json)
    assert staff_a.get(f"/api/v1/listings?member_id={world.ids['member_a']}").json["total"] == before


def test_search_by_day_of_the_week(api, world, tokens, categories):
    staff_a = api(tokens["staff_a"])
    window = {"available_from": str(today()), "available_until": str(today() + timedelta(days=60))}
    tuesdays = staff_a.post("/api/v1/listings", json=_need(world, categories, title="Tuesday tea",
                                                          weekly_pattern=1 << 3, **window)).json["id"]
    friday = staff_a.post("/api/v1/listings", json=_need(world, categories, title="Friday fish", availability="dates",
                                                        dates=[{"day": str(_next(4))}])).json["id"]
    for path in ("/api/v1/listings?day={}", f"/api/v1/listings?member_id={world.ids['member_a']}&day={{}}"):
        on_tuesday = {item["id"] for item in staff_a.get(path.format("tuesday")).json["items"]}
        on_friday = {item["id"] for item in staff_a.get(path.format("friday")).json["items"]}
        assert tuesdays in on_tuesday and friday not in on_tuesday, path
        assert friday in on_friday and tuesdays not in on_friday, path
    bad = staff_a.get("/api/v1/listings?day=someday")
    assert bad.status_code == 422 and bad.json["type"] == PROBLEMS + "validation"
