"""The page where a member's admins set its exact place: a full postcode or a point, no JavaScript needed."""
from __future__ import annotations

import re

import pytest

from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Member


@pytest.fixture()
def member(make_member, auth):
    member_id, user_id = make_member("Roby Youth Club", postcode="L36", admin_email="admin@roby.example")
    auth.login("admin@roby.example")
    return member_id, user_id


def place_of(app, model, row_id: int) -> tuple[float, float, str]:
    with app.app_context():
        row = db.session.get(model, row_id)
        return row.latitude, row.longitude, row.location_precision


def test_the_page_says_how_precise_the_place_is(client, member):
    member_id, _ = member
    page = client.get(f"/members/{member_id}/place").data.decode()
    assert "the middle of postcode district L36" in page and "could be 2 km out" in page
    assert "<form" in page and "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_point_moves_the_member_and_its_listings_and_distances_say_so(app, client, member, make_listing):
    member_id, user_id = member
    listing_id = make_listing(member_id, user_id)
    response = client.post(f"/members/{member_id}/place/point", data={"latitude": "53.41873, \u22122.84120",
                                                                      "longitude": ""}, follow_redirects=True)
    page = response.data.decode()
    assert "Saved: distances to you are now measured from the point you set" in page
    assert "the exact point you set</strong> (53.41873, -2.84120)" in page
    assert place_of(app, Member, member_id) == (53.41873, -2.8412, "point")
    assert place_of(app, Listing, listing_id) == (53.41873, -2.8412, "point")


def test_a_full_postcode_becomes_the_members_place(app, client, member):
    member_id, _ = member
    page = client.post(f"/members/{member_id}/place/postcode", data={"postcode": "l34 5ab"},
                       follow_redirects=True).data.decode()
    assert "now measured from L34 5AB" in page and "your postcode, L34 5AB" in page
    assert place_of(app, Member, member_id) == (53.42507, -2.80033, "postcode")
    # And back from a point to the postcode's point.
    client.post(f"/members/{member_id}/place/point", data={"latitude": "53.425", "longitude": "-2.801"})
    client.post(f"/members/{member_id}/place/postcode", data={"postcode": "L34 5AB"})
    assert place_of(app, Member, member_id) == (53.42507, -2.80033, "postcode")


@pytest.mark.parametrize("form, data, field, message", [
    ("point", {"latitude": "north", "longitude": "-2.84"}, "latitude", "Enter the latitude as a number"),
    ("point", {"latitude": "53.41", "longitude": ""}, "longitude", "Enter the longitude, like -2.8431"),
    ("point", {"latitude": "53.41", "longitude": "2.84"}, "latitude", "km from Knowsley: check the numbers"),
    ("point", {"latitude": "95", "longitude": "-2.84"}, "latitude", "Enter a latitude between -90 and 90"),
    ("postcode", {"postcode": "ZZ99 9ZZ"}, "postcode", "postcode"),
    ("postcode", {"postcode": ""}, "postcode", "Enter a postcode, like L36 9YS"),
])
def test_bad_input_is_refused_beside_the_field_and_changes_nothing(app, client, member, form, data, field, message):
    member_id, _ = member
    before = place_of(app, Member, member_id)
    response = client.post(f"/members/{member_id}/place/{form}", data=data)
    assert response.status_code == 400
    page = response.data.decode()
    beside = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    assert beside and message in beside.group(1), page  # the message beside its field
    for typed in data.values():
        if typed:
            assert f'value="{typed}"' in page  # what was typed is kept
    assert place_of(app, Member, member_id) == before


def test_only_the_members_admins_set_its_place(app, client, member, make_member, auth):
    member_id, _ = member
    make_member(admin_email="other@example.org")
    auth.logout()
    auth.login("other@example.org")
    assert client.get(f"/members/{member_id}/place").status_code == 403
    assert client.post(f"/members/{member_id}/place/point", data={"latitude": "53.42", "longitude": "-2.84"}).status_code == 403
    assert place_of(app, Member, member_id)[2] == "district"
