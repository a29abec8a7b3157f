"""Posting listings through the form, and finding them in the public directory."""
from datetime import timedelta

from sqlalchemy import select

from timebank.db import today
from timebank.extensions import db
from timebank.listings.models import Listing


def _form(categories, **overrides):
    data = {"direction": "need", "kind": "time", "category_id": categories["litter-picks-and-clean-ups"],
            "title": "Volunteers for our spring clean-up", "description": "Clear the brook.", "quantity": "3",
            "people": "8", "available_from": today().isoformat(),
            "available_until": (today() + timedelta(days=30)).isoformat(),
            "availability": "weekly", "week": ["saturday-morning", "sunday-morning"], "location": "at_receiver",
            "travel_km": "5",
            "urgency": "3"}
    data.update(overrides)
    return data


def test_staff_post_a_need_and_it_appears_in_the_directory(client, auth, make_member, categories, app):
    member_id, _ = make_member("Westvale Residents Together", postcode="L32 0TP", admin_email="vi@example.org")
    auth.login("vi@example.org")
    response = client.post(f"/members/{member_id}/listings/new", data=_form(categories), follow_redirects=True)
    assert b"is in the directory" in response.data
    with app.app_context():
        listing = db.session.scalar(select(Listing))
        assert (listing.kind, listing.people, listing.town, listing.status) == ("time", 8, "Kirkby", "open")
        assert listing.weekly_pattern == (1 << 15) | (1 << 18)  # Saturday and Sunday mornings
    directory = client.get("/listings?q=spring+clean").data.decode()
    assert "Volunteers for our spring clean-up" in directory


def test_bad_listing_input_is_explained_and_nothing_is_saved(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="wyn@example.org")
    auth.login("wyn@example.org")
    bad = _form(categories, title="", quantity="-2", available_until=(today() - timedelta(days=3)).isoformat(),
                week=[])
    page = client.post(f"/members/{member_id}/listings/new", data=bad).data.decode()
    assert "Enter a short title" in page
    assert "Enter an amount between 0.25 and 10,000" in page
    assert "The end date must be the same as or after the start date" in page
    assert "Choose at least one day and time of day, like Tuesday morning" in page
    assert 'value="-2"' in page
    with app.app_context():
        assert db.session.scalar(select(Listing)) is None


def test_a_pending_member_cannot_post(client, auth, make_member, categories, app):
    member_id, _ = make_member(status="pending", admin_email="xan@example.org")
    auth.login("xan@example.org")
    page = client.post(f"/members/{member_id}/listings/new", data=_form(categories)).data.decode()
    assert "once a coordinator has approved it" in page
    with app.app_context():
        assert db.session.scalar(select(Listing)) is None


def test_a_pending_member_is_told_before_the_form_not_after_it(client, auth, make_member):
    member_id, _ = make_member("Stockbridge Village Trust", status="pending", admin_email="xan@example.org")
    auth.login("xan@example.org")
    page = client.get(f"/members/{member_id}/listings/new").data.decode()
    assert "is checking Stockbridge Village Trust's registration" in page
    assert "can post listings once it is approved" in page
    assert 'name="title"' not in page and "Post it" not in page


def test_directory_sorts_by_distance_and_filters_by_radius(client, make_member, make_listing, categories):
    kirkby, k_admin = make_member("Kirkby Group", postcode="L32 8TS")
    huyton, h_admin = make_member("Hunts Cross Group", postcode="L25 2RW")
    halewood, w_admin = make_member("Halewood Group", postcode="L26 1UU")
    make_listing(kirkby, k_admin, title="Kirkby need")
    make_listing(huyton, h_admin, title="Hunts Cross need")
    make_listing(halewood, w_admin, title="Halewood need")
    page = client.get("/listings?postcode=L26+1UU&within=25").data.decode()
    order = [page.index(t) for t in ("Halewood need", "Hunts Cross need", "Kirkby need")]
    assert order == sorted(order)
    near = client.get("/listings?postcode=L26+1UU&within=5").data.decode()
    assert "Halewood need" in near and "Hunts Cross need" in near and "Kirkby need" not in near


def test_staff_of_one_member_cannot_edit_or_withdraw_anothers_listing(client, auth, make_member, make_listing, app):
    owner, owner_admin = make_member("Owner Group")
    _, _ = make_member("Other Group", admin_email="other@example.org")
    listing_id = make_listing(owner, owner_admin)
    auth.login("other@example.org")
    assert client.get(f"/listings/{listing_id}/edit").status_code == 403
    assert client.post(f"/listings/{listing_id}/withdraw").status_code == 403
    with app.app_context():
        assert db.session.get(Listing, listing_id).status == "open"


def test_owner_withdraws_a_listing_and_it_leaves_the_directory(client, auth, make_member, make_listing, app):
    member_id, _ = make_member("Owner Group", admin_email="own@example.org")
    with app.app_context():
        from timebank.accounts.services import find_user

        user_id = find_user("own@example.org").id
    listing_id = make_listing(member_id, user_id, title="Unique withdrawn title")
    auth.login("own@example.org")
    client.post(f"/listings/{listing_id}/withdraw", follow_redirects=True)  # shows and uses up the flash
    with app.app_context():
        assert db.session.get(Listing, listing_id).status == "withdrawn"
    assert "Unique withdrawn title" not in client.get("/listings").data.decode()


def test_the_form_serves_every_part_without_javascript(client, auth, make_member, categories):
    member_id, _ = make_member(admin_email="yan@example.org")
    auth.login("yan@example.org")
    page = client.get(f"/members/{member_id}/listings/new?direction=offer").data.decode()
    for heading in ("What it is", "How much, and when", "Where", "Which room or item", "Requirements",
                    "Urgency and gifts"):
        assert f">{heading}</h2>" in page
    for label in ("How many people", "Which room or item?", "Room for at least (people)",
                  "This is a gift: we want no time credits back"):
        assert label in page
    assert "js/listing-form.js" in page and " hidden" not in page


def test_a_gift_need_is_refused_beside_the_gift_box_and_nothing_is_saved(client, auth, make_member, categories, app):
    member_id, _ = make_member(admin_email="zed@example.org")
    auth.login("zed@example.org")
    page = client.post(f"/members/{member_id}/listings/new", data=_form(categories, is_gift="y")).data.decode()
    assert "Only an offer can be a gift" in page
    assert 'value="Volunteers for our spring clean-up"' in page
    with app.app_context():
        assert db.session.scalar(select(Listing)) is None
