"""The directory's keyword search, distances, exact paging and filters; expiry before the daily job."""
import math
import re
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, select, text, update

from timebank import create_app
from timebank.db import today
from timebank.extensions import db
from timebank.listings import services
from timebank.listings.models import Listing
from timebank.listings.search import LocalScale, fts5_query

HUYTON = (53.414, -2.842)  # L36's centre

NASTY = [
    '"', '""', "'", "' OR 1=1 --", "'; DROP TABLE listings; --", "garden OR", "OR", "or or or", "-", "- -garden",
    '"unclosed phrase', 'NEAR(garden hall, 2)', "title:garden", "*", "garden*", "^garden", "a AND NOT b",
    "!garden & | <-> :*", "((", ")", "%_\\", "\U0001f642\U0001f333", "\u200b", "ga\x00rden", "\t\n",
    "x" * 1000, "garden " * 300, "\u00e9t\u00e9 caf\u00e9", "\u0645\u0631\u062d\u0628\u0627", "SELECT * FROM users",
]


@pytest.mark.parametrize("keyword", NASTY, ids=range(len(NASTY)))
def test_any_search_text_gives_a_page_not_an_error(client, app, make_member, make_listing, keyword):
    member_id, admin_id = make_member()
    make_listing(member_id, admin_id, title="Community garden helpers")
    response = client.get("/listings", query_string={"q": keyword, "postcode": "L36 9YS", "kind": "skill"})
    assert response.status_code == 200
    assert "found" in response.data.decode()
    with app.test_request_context():  # the service alone takes any length: the form's limit is not its guard
        page = services.search_directory(services.DirectoryQuery(keyword=keyword, near=HUYTON, within_km=5))
        assert page.total == len(page.items) <= 1


def test_search_text_that_is_too_long_is_explained_beside_the_field(client):
    page = client.get("/listings", query_string={"q": "x" * 101}).data.decode()
    assert "Use 100 characters or fewer" in page
    assert "There is a problem" in page


def test_keywords_find_word_forms_and_rank_title_hits_first(client, make_member, make_listing):
    member_id, admin_id = make_member()
    make_listing(member_id, admin_id, title="Help at our allotment", description="Gardening on Saturdays.")
    make_listing(member_id, admin_id, title="Garden volunteers wanted", description="Weeding and mowing.")
    make_listing(member_id, admin_id, title="Help with our bookkeeping", description="Receipts and invoices.")
    page = client.get("/listings?q=gardens").data.decode()
    assert "2 listings found, best match first" in page
    assert page.index("Garden volunteers wanted") < page.index("Help at our allotment")
    assert "Help with our bookkeeping" not in page


def test_web_search_syntax_phrases_or_and_minus(client, make_member, make_listing):
    member_id, admin_id = make_member()
    make_listing(member_id, admin_id, title="Community garden tools", description="Spades and forks.")
    make_listing(member_id, admin_id, title="Garden for the community", description="Raised beds.")
    make_listing(member_id, admin_id, title="Minibus for day trips", description="Seats sixteen.")

    def found(q):
        return int(re.search(r"([\d,]+) listings? found", client.get("/listings", query_string={"q": q})
                             .data.decode()).group(1))

    assert found('"community garden"') == 1
    assert found("community garden") == 2
    assert found("garden -spades") == 1
    assert found("minibus or spades") == 2
    assert found("community garden minibus") == 0


def test_words_full_text_cannot_use_fall_back_to_plain_matching(client, make_member, make_listing):
    member_id, admin_id = make_member()
    make_listing(member_id, admin_id, title="Tea and \U0001f642 chat", description="Every Friday.")
    make_listing(member_id, admin_id, title="Plain tea morning", description="Every Monday.")
    page = client.get("/listings", query_string={"q": "\U0001f642"}).data.decode()
    assert "1 listing found" in page and "Tea and \U0001f642 chat" in page


def test_fts5_query_quotes_every_term():
    assert fts5_query('"community garden" minibus or van -payroll') == \
        '(("community garden") AND ("minibus" OR "van")) NOT "payroll"'
    assert fts5_query('title:x NEAR(a b) *') == '("title x") AND ("NEAR a") AND ("b")'
    assert fts5_query("\U0001f642 -- ' ; *") is None
    assert fts5_query("-garden") is None


def _place(app, listing_id, lat, lon):
    with app.app_context():
        db.session.execute(update(Listing).where(Listing.id == listing_id).values(latitude=lat, longitude=lon))
        db.session.commit()


def test_distance_pages_are_full_and_the_total_is_exact(client, app, make_member, make_listing):
    """Listings in the corners of the search box but outside the circle count for nothing."""
    member_id, admin_id = make_member()
    scale = LocalScale(*HUYTON)
    for i in range(15):  # inside: 1 to 4.5 km due north
        listing_id = make_listing(member_id, admin_id, title=f"Inside {i:02d}")
        _place(app, listing_id, HUYTON[0] + (1 + i * 0.25) / scale.km_lat, HUYTON[1])
    for i in range(15):  # corners: 4.5 km north and 4.5 km east, about 6.4 km away
        listing_id = make_listing(member_id, admin_id, title=f"Corner {i:02d}")
        _place(app, listing_id, HUYTON[0] + 4.5 / scale.km_lat, HUYTON[1] + 4.5 / scale.km_lon)
    with app.test_request_context():
        query = services.DirectoryQuery(near=HUYTON, within_km=5, per_page=10)
        first = services.search_directory(query)
        query.page = 2
        second = services.search_directory(query)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (15, 2, 10, 5)
    titles = [listing.title for listing, _ in first.items + second.items]
    assert titles == [f"Inside {i:02d}" for i in range(15)]
    for listing, km in first.items + second.items:
        assert km == pytest.approx(geodesic(HUYTON, (listing.latitude, listing.longitude)).km, rel=1e-3)
    page = client.get("/listings?postcode=L36+9YS&within=5").data.decode()
    assert "15 listings found, nearest first" in page and "Corner" not in page
    past_the_end = client.get("/listings?postcode=L36+9YS&within=5&page=9").data.decode()
    assert "Inside 14" in past_the_end and "Nothing matches" not in past_the_end


@settings(max_examples=300, deadline=None)
@given(st.floats(53.0, 53.8), st.floats(-3.3, -2.4), st.floats(-0.35, 0.35), st.floats(-0.5, 0.5))
def test_sql_distance_agrees_with_geodesic_at_borough_scale(lat, lon, dlat, dlon):
    km = math.sqrt(LocalScale(lat, lon).km2(lat + dlat, lon + dlon))
    true = geodesic((lat, lon), (lat + dlat, lon + dlon)).km
    assert km == pytest.approx(true, rel=1e-3, abs=1e-3)


def test_filters_combine_and_a_parent_category_includes_its_children(client, make_member, make_listing,
                                                                      categories):
    kirkby, k_admin = make_member("Kirkby Group", postcode="L32 8TS")
    halewood, h_admin = make_member("Halewood Group", postcode="L26 1UU")
    make_listing(kirkby, k_admin, title="Kirkby bookkeeping need")
    make_listing(halewood, h_admin, title="Halewood payroll offer", direction="offer", category_id=categories["payroll"])
    make_listing(halewood, h_admin, title="Halewood minibus need", kind="time", category_id=categories["minibus"])
    page = client.get(f"/listings?category={categories['finance-and-funding']}").data.decode()
    assert "Kirkby bookkeeping need" in page and "Halewood payroll offer" in page and "Halewood minibus need" not in page
    page = client.get(f"/listings?category={categories['finance-and-funding']}&town=Halewood").data.decode()
    assert "1 listing found" in page and "Halewood payroll offer" in page
    page = client.get("/listings?direction=need&kind=time").data.decode()
    assert "1 listing found" in page and "Halewood minibus need" in page


def test_pagination_links_keep_the_filters(client, make_member, make_listing):
    member_id, admin_id = make_member()
    for i in range(23):
        make_listing(member_id, admin_id, title=f"Bookkeeping help {i}")
    page = client.get("/listings?q=bookkeeping&kind=skill&postcode=L36+9YS&within=5").data.decode()
    assert "23 listings found" in page
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', page).group(1).replace("&amp;", "&")
    for part in ("q=bookkeeping", "kind=skill", "postcode=L36", "within=5"):
        assert part in next_link
    second = client.get(next_link).data.decode()
    assert second.count('class="card"') == 3


def test_past_expiry_listings_leave_the_directory_before_the_job_and_the_job_expires_them(
        client, app, runner, make_member, make_listing):
    member_id, admin_id = make_member()
    gone = make_listing(member_id, admin_id, title="Yesterday's listing", available_from=today() - timedelta(days=9),
                        available_until=today() - timedelta(days=1))
    make_listing(member_id, admin_id, title="Last day today", available_from=today() - timedelta(days=9),
                 available_until=today())
    page = client.get("/listings").data.decode()
    assert "Yesterday's listing" not in page and "Last day today" in page
    result = runner.invoke(args=["expire-listings"])
    assert result.exit_code == 0 and "1 listings expired." in result.output
    with app.app_context():
        assert db.session.get(Listing, gone).status == "expired"
        assert [l.status for l in db.session.scalars(select(Listing).order_by(Listing.id))] == ["expired", "open"]
    assert "0 listings expired." in runner.invoke(args=["expire-listings"]).output


def test_migrations_build_the_search_machinery(database_server, backend):
    name, url = database_server.new_database(empty=True)
    try:
        with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}).app_context():
            upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            if backend == "sqlite":
                triggers = set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
                assert {"listings_fts_insert", "listings_fts_delete", "listings_fts_update"} <= triggers
                assert "listings_fts" in inspect(connection).get_table_names()
            else:
                columns = {c["name"]: c for c in inspect(connection).get_columns("listings")}
                assert "search_vector" in columns
                assert "ix_listings_search_vector" in {i["name"] for i in inspect(connection).get_indexes("listings")}
        engine.dispose()
    finally:
        database_server.drop_database(name)


def test_fts_index_follows_changes_to_titles_and_deletions(app, make_member, make_listing):
    member_id, admin_id = make_member()
    listing_id = make_listing(member_id, admin_id, title="Gazebo to lend")
    with app.test_request_context():
        def hits(word):
            return services.search_directory(services.DirectoryQuery(keyword=word)).total

        assert hits("gazebo") == 1
        listing = db.session.get(Listing, listing_id)
        listing.title, listing.description = "Marquee to lend", "White, six by twelve metres."
        db.session.commit()
        assert (hits("gazebo"), hits("marquee"), hits("metres")) == (0, 1, 1)
        db.session.delete(db.session.get(Listing, listing_id))
        db.session.commit()
        assert hits("marquee") == 0
