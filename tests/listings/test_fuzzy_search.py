"""Directory search that tolerates typos and word forms, and suggests a correction when nothing matches."""
import pytest
from sqlalchemy import select, update

from timebank.extensions import db
from timebank.listings import services
from timebank.listings.models import Listing
from timebank.listings.words import SearchWord, base, rebuild_vocabulary, similarity, trigrams, words_of


@pytest.mark.parametrize("word, expected", [
    ("painter", "paint"), ("painting", "paint"), ("paints", "paint"), ("bookkeeper", "bookkeep"),
    ("bookkeeping", "bookkeep"), ("driver", "driv"), ("driving", "driv"), ("drive", "driv"),
    ("gardener", "garden"), ("gardening", "garden"), ("minibus", "minibus"), ("minibuses", "minibus"),
    ("planning", "plan"), ("planner", "plan"), ("hall", "hall"), ("halls", "hall"), ("class", "class"),
    ("classes", "class"), ("trees", "tree"),
])
def test_word_forms_share_a_base(word, expected):
    assert base(word) == expected


def test_trigrams_and_similarity_are_pg_trgms():
    # pg_trgm: show_trgm('cat') = {"  c"," ca","at ","cat"}; similarity('bookeeping', 'bookkeeping') = 0.7692308
    assert trigrams("cat") == {"  c", " ca", "cat", "at "}
    assert similarity("bookeeping", "bookkeeping") == pytest.approx(0.7692308)
    assert words_of("Café volunteers, 2 x PA-systems; a b") == {"cafe", "volunteers", "systems"}


@pytest.fixture()
def listings(make_member, make_listing):
    member_id, admin_id = make_member()
    titles = {
        "bookkeeping": ("Help with our bookkeeping", "Receipts and invoices each month."),
        "painting": ("Painting the community centre", "Walls and doors, two coats."),
        "safety": ("Food safety training", "Level 2 certificate for kitchen volunteers."),
        "hall": ("Sports hall for hire", "Badminton and five-a-side."),
        "ball": ("Ball games for the youth club", "Footballs and nets."),
    }
    return {key: make_listing(member_id, admin_id, title=title, description=description)
            for key, (title, description) in titles.items()}


@pytest.mark.parametrize("typed, finds", [
    ("bookeeping", "Help with our bookkeeping"),       # a letter missing
    ("bookkeper", "Help with our bookkeeping"),        # a typo of a form: bookkeeper, then its forms
    ("painter", "Painting the community centre"),      # a word form the stemmers keep apart
    ("saftey", "Food safety training"),                # letters swapped
    ("Painters", "Painting the community centre"),     # capitals and plurals
])
def test_typos_and_word_forms_find_what_was_meant(client, listings, typed, finds):
    page = client.get("/listings", query_string={"q": typed}).data.decode()
    assert "1 listing found" in page
    assert finds in page
    assert "Also searched for similar words" in page


def test_a_short_known_word_is_not_widened_to_its_neighbours(client, listings):
    page = client.get("/listings", query_string={"q": "hall"}).data.decode()
    assert "1 listing found" in page and "Sports hall for hire" in page
    assert "Ball games" not in page and "Also searched" not in page


def test_a_correction_is_suggested_when_nothing_matches_and_only_if_it_finds_something(client, listings):
    page = client.get("/listings", query_string={"q": "bukeping", "postcode": "L36 9YS"}).data.decode()
    assert "0 listings found" in page
    assert "Did you mean" in page and ">bookkeeping</a>" in page
    assert "q=bookkeeping" in page and "postcode=L36" in page  # the other filters are kept
    followed = client.get("/listings", query_string={"q": "bookkeeping", "postcode": "L36 9YS"}).data.decode()
    assert "1 listing found" in followed
    # The same typo where the filters leave nothing to find: no suggestion that would find nothing either.
    page = client.get("/listings", query_string={"q": "bukeping", "kind": "room"}).data.decode()
    assert "0 listings found" in page and "Did you mean" not in page


def test_the_vocabulary_follows_new_and_changed_listings_and_the_nightly_job(app, runner, make_member,
                                                                               make_listing, listings):
    member_id, admin_id = make_member()
    new_id = make_listing(member_id, admin_id, title="Gazebo for the summer fair")
    with app.test_request_context():
        known = set(db.session.scalars(select(SearchWord.word)))
        assert {"gazebo", "bookkeeping", "painting", "receipts"} <= known
        listing = db.session.get(Listing, new_id)
        listing.title = "Marquee for the summer fair"
        db.session.commit()
        assert "marquee" in set(db.session.scalars(select(SearchWord.word)))
        hits = services.search_directory(services.DirectoryQuery(keyword="marqee"))
        assert [l.title for l, _ in hits.items] == ["Marquee for the summer fair"]
        db.session.execute(update(Listing).where(Listing.id == new_id).values(status="withdrawn"))
        db.session.commit()
    result = runner.invoke(args=["jobs", "run", "search-words"])
    assert result.exit_code == 0, result.output
    assert "words in the directory's vocabulary" in result.output
    with app.test_request_context():
        known = set(db.session.scalars(select(SearchWord.word)))
        assert "marquee" not in known and "bookkeeping" in known
        counts = dict(db.session.execute(select(SearchWord.word, SearchWord.listings)).all())
        assert counts["and"] == 4  # in four descriptions; the withdrawn gazebo-then-marquee had none


def test_rebuilding_the_vocabulary_is_the_same_as_learning_it_listing_by_listing(app, listings):
    with app.test_request_context():
        learnt = dict(db.session.execute(select(SearchWord.word, SearchWord.listings)).all())
        rebuild_vocabulary()
        db.session.commit()
        rebuilt = dict(db.session.execute(select(SearchWord.word, SearchWord.listings)).all())
    assert learnt == rebuilt
