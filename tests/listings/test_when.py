"""When help is available or needed, as people say it: days of the week and parts of the day, one-off
dates, or "any time" chosen on purpose (the form never chooses it for them)."""
from datetime import date, timedelta

from sqlalchemy import select

from tests.listings.test_post_and_search import _form
from timebank.db import today
from timebank.extensions import db
from timebank.listings.models import ALL_WEEK, Listing

WHEN_ANSWERS = ("availability", "week", "available_from", "available_until")


def _without_when(categories, **overrides) -> dict:
    data = {k: v for k, v in _form(categories).items() if k not in WHEN_ANSWERS}
    data.update(overrides)
    return data


def _next(weekday: int, weeks: int = 1) -> date:
    """The given weekday (Monday is 0) at least `weeks` weeks from today."""
    day = today() + timedelta(weeks=weeks)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _saved(app) -> Listing | None:
    with app.app_context():
        listing = db.session.scalar(select(Listing))
        if listing is not None:
            listing.dates  # noqa: B018 (loaded while the session is open)
        return listing


def test_the_form_chooses_no_when_and_asks_for_one(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="una@example.org")
    auth.login("una@example.org")
    form = client.get(f"/members/{member_id}/listings/new").get_data(as_text=True)
    assert "Any time: we are flexible" in form and 'name="availability"' in form
    assert 'name="availability" type="radio" value="any_time" checked' not in form
    assert 'type="radio" value="weekly" checked' not in form and "<legend class=\"fieldset__legend week-day__legend\">Tuesday" in form
    page = client.post(f"/members/{member_id}/listings/new", data=_without_when(categories)).get_data(as_text=True)
    assert "Choose when: particular days of the week, particular dates, or any time" in page
    assert 'href="#availability"' in page and 'value="Volunteers for our spring clean-up"' in page
    assert _saved(app) is None


def test_every_tuesday_morning_and_friday_afternoon(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="vic@example.org")
    auth.login("vic@example.org")
    page = client.post(f"/members/{member_id}/listings/new", follow_redirects=True, data=_form(
        categories, week=["tuesday-morning", "friday-afternoon"],
        **{"dates-0-day": "31 2 2027"})).get_data(as_text=True)  # left in a date row, not held against it
    assert "Every Tuesday morning; every Friday afternoon" in page
    listing = _saved(app)
    assert listing.weekly_pattern == (1 << 3) | (1 << 13) and listing.availability == "weekly"
    edit = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="weekly" checked' in edit
    assert 'value="tuesday-morning" checked' in edit and 'value="friday-afternoon" checked' in edit
    assert 'value="tuesday-afternoon" checked' not in edit


def test_weekly_with_no_time_ticked_is_refused_beside_the_days(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="wes@example.org")
    auth.login("wes@example.org")
    page = client.post(f"/members/{member_id}/listings/new", data=_form(categories, week=[])).get_data(as_text=True)
    assert 'id="week-error"' in page and "Choose at least one day and time of day" in page
    assert _saved(app) is None


def test_any_time_said_on_purpose(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="xia@example.org")
    auth.login("xia@example.org")
    page = client.post(f"/members/{member_id}/listings/new", follow_redirects=True, data=_form(
        categories, availability="any_time", week=["monday-morning"])).get_data(as_text=True)
    assert "Any day, any time" in page
    listing = _saved(app)
    assert listing.weekly_pattern == ALL_WEEK and listing.availability == "any_time" and not listing.dates


def test_one_off_dates_with_parts_of_the_day(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="yas@example.org")
    auth.login("yas@example.org")
    saturday = _next(5)
    sunday = saturday + timedelta(days=1)
    data = _without_when(categories, availability="dates", **{
        "dates-0-day": sunday.strftime("%d %m %Y"), "dates-0-parts": "7",
        "dates-1-day": saturday.isoformat(), "dates-1-parts": "1", "dates-2-day": "", "dates-2-parts": "7"})
    page = client.post(f"/members/{member_id}/listings/new", data=data, follow_redirects=True).get_data(as_text=True)
    assert f"On Saturday {saturday.day} {saturday:%B %Y} (morning) and Sunday {sunday.day} {sunday:%B %Y}" in page
    listing = _saved(app)
    assert listing.availability == "dates"
    assert [(d.day, d.parts) for d in listing.dates] == [(saturday, 1), (sunday, 7)]
    assert (listing.available_from, listing.available_until) == (saturday, sunday)
    assert listing.weekly_pattern == (1 << 15) | (0b111 << 18)
    # Its form starts from its dates; changed to "any time", the dates go.
    edit = client.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="dates" checked' in edit and f'value="{saturday.day} {saturday.month} {saturday.year}"' in edit
    client.post(f"/listings/{listing.id}/edit", data=_form(categories, availability="any_time"))
    listing = _saved(app)
    assert listing.availability == "any_time" and listing.dates == []


def test_dates_that_cannot_be_are_explained_beside_each_and_kept(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="zoe@example.org")
    auth.login("zoe@example.org")
    past = today() - timedelta(days=3)
    data = _without_when(categories, availability="dates", **{
        "dates-0-day": past.isoformat(), "dates-1-day": "31 2 2027", "dates-2-day": _next(2).isoformat()})
    page = client.post(f"/members/{member_id}/listings/new", data=data).get_data(as_text=True)
    assert f"{past.day} {past:%B %Y} has passed: give dates from today on" in page
    assert 'id="dates-0-day-error"' in page and 'href="#dates-0-day"' in page
    assert "Enter a real date, like 27 3 2027" in page and 'id="dates-1-day-error"' in page
    assert 'value="31 2 2027"' in page and f'value="{past.isoformat()}"' in page
    assert _saved(app) is None
    # No date at all, when dates were chosen.
    page = client.post(f"/members/{member_id}/listings/new",
                       data=_without_when(categories, availability="dates")).get_data(as_text=True)
    assert "Enter at least one date, like 27 3 2027" in page and 'id="dates-0-day-error"' in page
    assert _saved(app) is None


def test_a_last_day_that_has_passed_is_refused(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="abe@example.org")
    auth.login("abe@example.org")
    gone = today() - timedelta(days=1)
    page = client.post(f"/members/{member_id}/listings/new", data=_form(
        categories, available_from=(gone - timedelta(days=5)).isoformat(), available_until=gone.isoformat())
    ).get_data(as_text=True)
    assert "The last date has passed: give a date from today on" in page
    assert _saved(app) is None


def test_the_service_keeps_dates_and_when_consistent(app, make_member, make_listing, categories):
    from timebank.accounts.models import User
    from timebank.errors import DomainError
    from timebank.listings import services

    member_id, user_id = make_member()
    listing_id = make_listing(member_id, user_id, availability="dates", dates=[(_next(1), 1)])
    with app.test_request_context():
        listing, user = db.session.get(Listing, listing_id), db.session.get(User, user_id)
        for kwargs, field in ((dict(availability="dates", dates=[]), "dates"),
                              (dict(availability="weekly", dates=[(_next(1), 1)]), "dates"),
                              (dict(availability="any_time", weekly_pattern=1), "weekly_pattern"),
                              (dict(availability="sometimes"), "availability")):
            try:
                services.update_listing(listing, user, **kwargs)
            except DomainError as error:
                assert error.field == field, kwargs
            else:
                raise AssertionError(f"{kwargs} was accepted")
            db.session.rollback()
        # A change of title keeps its dates; a move of a date keeps its row's day unique.
        services.update_listing(listing, user, title="Tea on Tuesday")
        assert listing.availability == "dates"
        services.update_listing(listing, user, dates=[(_next(1), 3), (_next(1, weeks=2), 1)])
        db.session.commit()
        assert [(d.day, d.parts) for d in db.session.get(Listing, listing_id).dates] == [
            (_next(1), 3), (_next(1, weeks=2), 1)]


def test_the_directory_finds_what_can_happen_on_a_day(client, make_member, make_listing, categories):
    member_id, user_id = make_member()
    make_listing(member_id, user_id, title="Tuesday mornings only", availability="weekly", weekly_pattern=1 << 3)
    make_listing(member_id, user_id, title="Any time at all", availability="any_time")
    make_listing(member_id, user_id, title="Just one Friday", availability="dates", dates=[(_next(4), 0b100)])
    tuesdays = client.get("/listings?day=tuesday").get_data(as_text=True)
    assert "Tuesday mornings only" in tuesdays and "Any time at all" in tuesdays and "Just one Friday" not in tuesdays
    fridays = client.get("/listings?day=friday").get_data(as_text=True)
    assert "Tuesday mornings only" not in fridays and "Just one Friday" in fridays and "Any time at all" in fridays
    assert "Tuesday mornings only" in client.get("/listings").get_data(as_text=True)
    assert "Not a valid choice" in client.get("/listings?day=someday").get_data(as_text=True)


def test_a_listing_with_the_most_dates_opens_for_editing(client, auth, make_member, make_listing, categories):
    """Twenty dates (the most a listing may have, as the API takes them) fill the form's twenty rows:
    the edit page once asked for one blank row more than the form may hold, and gave a 500."""
    from timebank.listings.models import MAX_DATES

    member_id, user_id = make_member(admin_email="una@example.org")
    days = [today() + timedelta(days=n + 1) for n in range(MAX_DATES)]
    listing_id = make_listing(member_id, user_id, availability="dates", dates=[(day, 1) for day in days])
    auth.login("una@example.org")
    response = client.get(f"/listings/{listing_id}/edit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert all(f'value="{day.day} {day.month} {day.year}"' in page for day in days)
    assert f'name="dates-{MAX_DATES - 1}-day"' in page and f'name="dates-{MAX_DATES}-day"' not in page
