"""What the exchange pages say about bad numbers, dates and times: one plain message each, one
bound for hours, one way to write a time of day, "part" as the pages call a leg."""
from datetime import datetime

from tests.exchanges.test_direct import _exchanges, _form
from timebank.main.filters import format_datetime


def test_the_ask_form_gives_one_plain_message_for_each_bad_box(app, client, auth, pair):
    auth.login("food@direct.example")
    bad = {**_form(pair["food"], people="1.5"), "start": "31 2 2027 10:00"}
    page = client.post(f"/listings/{pair['offer']}/ask", data=bad).data.decode()
    assert "Enter how many people as a whole number, like 3" in page
    assert "Enter between 1 and 500" not in page and "Not a valid" not in page
    assert "Enter a real date and time, like 27 3 2027 10:00" in page
    assert 'value="1.5"' in page  # what was typed is kept
    assert _exchanges(app) == 0


def test_hours_have_one_bound_for_asking_recording_listing_and_confirming(app, client, auth, pair):
    auth.login("food@direct.example")
    page = client.post(f"/listings/{pair['offer']}/ask", data=_form(pair["food"], hours="10001")).data.decode()
    assert "Enter between 0.25 and 10,000 hours" in page and _exchanges(app) == 0
    # 2,000 hours each was refused by the ask (1,000) but taken by a listing and a confirmation (10,000):
    # now the hours pass, and the next rule (the food bank's credit limit) is the one that answers
    page = client.post(f"/listings/{pair['offer']}/ask", data=_form(pair["food"], hours="2000", length=3)).data.decode()
    assert "Enter between 0.25" not in page and "2000 credits short" in page


def test_a_time_of_day_is_written_one_way(app):
    assert format_datetime(datetime(2026, 12, 6, 20, 58)) == "6 December 2026 at 20:58"
    assert format_datetime(datetime(2026, 12, 6, 9, 5)) == "6 December 2026 at 09:05"


def test_the_approve_form_calls_a_leg_a_part_as_the_page_does(app):
    from types import SimpleNamespace

    from werkzeug.datastructures import MultiDict

    from timebank.exchanges.forms import schedule_form

    with app.test_request_context("/", method="POST"):
        form = schedule_form([SimpleNamespace(id=7, position=2, kind="time")])(
            formdata=MultiDict({"start_7": "", "end_7": "tomorrow"}), meta={"csrf": False})
        form.validate()
        assert form.start_7.label.text == "Part 3: start"
        assert form.start_7.errors == ["Enter the start time of part 3, like 1 3 2027 10:00"]
        assert form.end_7.errors == ["Enter a real date and time, like 27 3 2027 10:00"]
