"""Saved searches: saved from the directory, listed and deleted, and their weekly digest over real SMTP."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from timebank.db import utcnow
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Membership
from timebank.saved_searches.models import SavedSearch


@pytest.fixture()
def searcher(make_member, auth):
    """A signed-in person of a food bank, and another member that posts listings."""
    _, searcher_id = make_member("Knowsley Food Bank", admin_email="searcher@example.org")
    poster = make_member("Huyton Accounts Ltd", type="business", postcode="L36 9YS")
    auth.login("searcher@example.org")
    return searcher_id, poster


def saved_searches(app, user_id: int) -> list[SavedSearch]:
    with app.app_context():
        found = db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == user_id)).all()
        db.session.expunge_all()
        return found


def age_saved_searches(app, days: int = 7) -> None:
    """As if the searches were saved, and the listings posted, `days` ago... except new ones below."""
    with app.app_context():
        db.session.execute(update(SavedSearch).values(covered_until=utcnow() - timedelta(days=days)))
        db.session.commit()


def posted_days_ago(app, listing_id: int, days: int) -> None:
    with app.app_context():
        db.session.execute(update(Listing).where(Listing.id == listing_id)
                           .values(created_at=utcnow() - timedelta(days=days)))
        db.session.commit()


def test_a_search_saved_from_the_directory_is_listed_and_can_be_deleted(app, client, searcher, categories):
    searcher_id, _ = searcher
    page = client.get("/listings", query_string={"q": "bookkeeping", "postcode": "L36 9YS", "within": 5})
    assert b"Save this search" in page.data
    page = client.post("/searches/", data={"q": "bookkeeping", "postcode": "L36 9YS", "within": "5", "name": ""},
                       follow_redirects=True)
    text = page.data.decode()
    assert "Search saved" in text and "within 5 km of L36 9YS" in text
    [saved] = saved_searches(app, searcher_id)
    assert (saved.keyword, saved.postcode, saved.within_km) == ("bookkeeping", "L36 9YS", 5)
    # Its "see what matches now" link is the same directory search.
    assert "/listings?q=bookkeeping" in text and "within=5" in text
    page = client.post(f"/searches/{saved.id}/delete", follow_redirects=True)
    assert "Deleted the saved search" in page.data.decode()
    assert saved_searches(app, searcher_id) == []


def test_the_unfiltered_directory_offers_no_save_and_visitors_see_no_form(client, searcher, auth):
    assert b"Save this search" not in client.get("/listings").data
    auth.logout()
    assert b"Save this search" not in client.get("/listings", query_string={"q": "bookkeeping"}).data


@pytest.mark.parametrize("data, message", [
    ({"q": ""}, "Choose at least one filter or search word"),
    ({"q": "bookkeeping", "name": "x" * 101}, "Use 100 characters or fewer for the name"),
    ({"postcode": "ZZ99 9ZZ", "within": "5"}, "postcode"),
    ({"q": "bookkeeping", "postcode": "L36 9YS", "within": "7"}, "Choose a distance from the list"),
    ({"kind": "spaceship"}, "Choose a kind from the list"),
])
def test_bad_input_is_refused_beside_the_form_and_saves_nothing(app, client, searcher, data, message):
    searcher_id, _ = searcher
    response = client.post("/searches/", data={"name": "", **data})
    assert response.status_code == 400
    text = response.data.decode()
    assert "The search was not saved" in text and message in text
    if data.get("name"):
        assert f'value="{data["name"]}"' in text  # what was typed is kept
    assert saved_searches(app, searcher_id) == []


def test_the_same_search_twice_is_refused(app, client, searcher):
    searcher_id, _ = searcher
    client.post("/searches/", data={"q": "minibus"})
    response = client.post("/searches/", data={"q": "minibus", "name": "Again"})
    assert response.status_code == 400 and "You have already saved this search" in response.data.decode()
    assert len(saved_searches(app, searcher_id)) == 1


def test_another_persons_saved_search_cannot_be_deleted(app, client, searcher, make_member, auth):
    searcher_id, _ = searcher
    client.post("/searches/", data={"q": "minibus"})
    [saved] = saved_searches(app, searcher_id)
    make_member(admin_email="other@example.org")
    auth.logout()
    auth.login("other@example.org")
    assert client.post(f"/searches/{saved.id}/delete").status_code == 404
    assert len(saved_searches(app, searcher_id)) == 1


def test_the_weekly_digest_emails_new_matching_listings_over_smtp(app, client, runner, searcher, make_listing,
                                                                  mailbox):
    searcher_id, (poster_id, poster_admin) = searcher
    client.post("/searches/", data={"q": "bookeeping", "postcode": "L36 9YS", "within": "5",
                                    "name": "Bookkeeping near us"})
    older = make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping for charities")
    age_saved_searches(app, 7)
    posted_days_ago(app, older, 8)  # posted before the search was saved: not new
    new = make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping, payroll and year-end")
    make_listing(poster_id, poster_admin, direction="offer", title="Minibus with a driver")  # does not match

    result = runner.invoke(args=["jobs", "run", "saved-searches"])
    assert result.exit_code == 0, result.output
    assert "1 saved-search digests sent" in result.output
    [message] = mailbox.to("searcher@example.org")
    body = mailbox.body(message)
    assert message["Subject"] == "1 new listing for your saved search"
    assert "Bookkeeping near us: 1 new" in body
    assert "Bookkeeping, payroll and year-end" in body and f"http://exchange.test/listings/{new}" in body
    assert "Bookkeeping for charities" not in body and "Minibus" not in body
    assert "http://exchange.test/searches/" in body

    # The next week's digest starts where this one stopped: nothing new, no email.
    runner.invoke(args=["jobs", "run", "saved-searches"])
    assert len(mailbox.to("searcher@example.org")) == 1


def test_the_digest_leaves_out_the_persons_own_listings_and_people_without_news(app, client, runner, searcher,
                                                                               make_listing, make_user, mailbox):
    searcher_id, (poster_id, poster_admin) = searcher
    client.post("/searches/", data={"q": "gazebo"})
    age_saved_searches(app, 7)
    with app.app_context():
        own_member_id = db.session.scalar(select(Membership.member_id).where(Membership.user_id == searcher_id))
    make_listing(own_member_id, searcher_id, title="Gazebo wanted for our fun day")
    result = runner.invoke(args=["jobs", "run", "saved-searches"])
    assert "0 saved-search digests sent" in result.output
    assert mailbox.to("searcher@example.org") == []


def test_erasing_a_person_deletes_their_saved_searches(app, client, searcher, make_user):
    from timebank.accounts.models import User
    from timebank.privacy.erasure import erase_person

    searcher_id, _ = searcher
    client.post("/searches/", data={"q": "bookkeeping", "postcode": "L36 9YS", "within": "5"})
    assert len(saved_searches(app, searcher_id)) == 1
    coordinator_id = make_user(coordinator=True)
    with app.test_request_context():
        erase_person(db.session.get(User, searcher_id), db.session.get(User, coordinator_id), "Asked on 1 May")
        db.session.commit()
    assert saved_searches(app, searcher_id) == []


TUESDAY_MORNING, SATURDAY_MORNING = 1 << 3, 1 << 15  # weekly_pattern bits (Monday morning is bit 0)


def test_a_search_for_a_day_is_saved_with_its_day_and_links_back_to_it(app, client, searcher):
    searcher_id, _ = searcher
    page = client.get("/listings", query_string={"day": "tuesday"}).data.decode()
    assert "Save this search" in page and 'name="day" type="hidden" value="tuesday"' in page
    assert "any day of the week" not in page  # the box no longer says the day is dropped
    page = client.post("/searches/", data={"q": "bookkeeping", "day": "tuesday", "name": ""},
                       follow_redirects=True).data.decode()
    assert "Search saved: \u201c\u201cbookkeeping\u201d, on Tuesdays\u201d" in page
    [saved] = saved_searches(app, searcher_id)
    assert (saved.keyword, saved.day) == ("bookkeeping", "tuesday")
    assert "day=tuesday" in page  # "see what matches now" is the same directory search
    # The same words on another day is another search, not the same one twice.
    assert client.post("/searches/", data={"q": "bookkeeping", "day": "saturday"}).status_code == 302
    assert client.post("/searches/", data={"q": "bookkeeping"}).status_code == 302
    assert sorted(str(s.day) for s in saved_searches(app, searcher_id)) == ["None", "saturday", "tuesday"]


def test_a_day_not_on_the_list_is_refused_beside_the_form(app, client, searcher):
    searcher_id, _ = searcher
    response = client.post("/searches/", data={"q": "bookkeeping", "day": "funday"})
    assert response.status_code == 400 and "Choose a day from the list" in response.data.decode()
    assert saved_searches(app, searcher_id) == []


def test_the_digest_of_a_day_search_lists_only_listings_that_can_happen_that_day(app, client, runner, searcher,
                                                                               make_listing, mailbox):
    _, (poster_id, poster_admin) = searcher
    client.post("/searches/", data={"q": "bookkeeping", "day": "tuesday", "name": "Bookkeeping on Tuesdays"})
    age_saved_searches(app, 7)
    make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping on Tuesday mornings",
                 weekly_pattern=TUESDAY_MORNING)
    make_listing(poster_id, poster_admin, direction="offer", title="Bookkeeping on Saturday mornings",
                 weekly_pattern=SATURDAY_MORNING)
    assert runner.invoke(args=["jobs", "run", "saved-searches"]).exit_code == 0
    [message] = mailbox.to("searcher@example.org")
    body = mailbox.body(message)
    assert "Bookkeeping on Tuesdays: 1 new" in body
    assert "Bookkeeping on Tuesday mornings" in body and "Saturday mornings" not in body
