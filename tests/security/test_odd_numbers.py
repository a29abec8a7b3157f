"""Numbers no person means, typed or forged: each gets a page with a message (or a 404), never a 500."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.listings.test_post_and_search import _form
from timebank.extensions import db
from timebank.listings.models import Listing


@pytest.mark.parametrize("path", ["/listings/999999999999999999999", "/exchanges/999999999999999999999",
                                  "/members/99999999999999999999/dashboard", "/listings/0"])
def test_an_id_too_large_to_name_a_row_is_not_found(client, auth, make_member, path):
    make_member(admin_email="big@example.org")
    auth.login("big@example.org")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("typed", ["sNaN", "NaN", "Infinity", "-inf", "1e999999"])
def test_a_listing_amount_that_is_not_a_number_is_explained(client, auth, make_member, categories, app, typed):
    member_id, _ = make_member(admin_email="nan@example.org")
    auth.login("nan@example.org")
    answer = client.post(f"/members/{member_id}/listings/new", data=_form(categories, quantity=typed, travel_km=typed))
    page = answer.data.decode()
    assert answer.status_code == 200
    assert "Enter a number, like 2 or 1.5" in page or "Enter an amount between 0.25 and 10,000" in page
    assert f'value="{typed}"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Listing)) == 0


def test_recorded_help_in_signalling_nan_hours_is_explained(client, auth, make_member, app):
    member_id, _ = make_member("Recorder", admin_email="rec@example.org")
    other_id, _ = make_member("Helper")
    auth.login("rec@example.org")
    answer = client.post(f"/members/{member_id}/record-help", data={
        "other_member_id": other_id, "direction": "got", "kind": "time", "hours": "sNaN", "people": "1",
        "description": "Helped", "happened_on": date.today().isoformat()})
    assert answer.status_code == 200
    assert "Enter a number, like 2 or 1.5" in answer.data.decode()

