"""The search vocabulary holds the words of open listings only: what leaves the directory leaves it at once."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from timebank.accounts.models import User
from timebank.db import today
from timebank.extensions import db
from timebank.listings import services
from timebank.listings.models import Listing
from timebank.members.models import Member
from timebank.listings.words import SearchWord, SearchWordTrigram, rebuild_vocabulary


def vocabulary() -> dict[str, int]:
    return dict(db.session.execute(select(SearchWord.word, SearchWord.listings)).all())


def rebuilt() -> dict[str, int]:
    """What the nightly rebuild would make of the listings as they are now (then undone)."""
    nested = db.session.begin_nested()
    rebuild_vocabulary()
    found = vocabulary()
    nested.rollback()
    return found


@pytest.fixture()
def member(make_member):
    return make_member()


def test_a_withdrawn_listings_words_are_no_longer_offered(client, app, member, make_listing):
    member_id, admin_id = member
    listing_id = make_listing(member_id, admin_id, title="Smithson lends a cement mixer",
                              description="Ask for Smithson at the yard.")
    make_listing(member_id, admin_id, title="Cement for the garden path")
    page = client.get("/listings", query_string={"q": "smithsen"}).data.decode()
    assert "smithson" in page  # found through the correction, and named among the words searched
    with app.test_request_context():
        services.withdraw_listing(db.session.get(Listing, listing_id), db.session.get(User, admin_id))
        db.session.commit()
        words = vocabulary()
    assert "smithson" not in words and "mixer" not in words
    assert words["cement"] == 1  # still in the other open listing
    page = client.get("/listings", query_string={"q": "smithsen"}).data.decode()
    assert "smithson" not in page.lower()


def test_changed_text_takes_its_old_words_with_it(app, member, make_listing):
    member_id, admin_id = member
    listing_id = make_listing(member_id, admin_id, title="Gazebo for the summer fair", description="")
    with app.test_request_context():
        services.update_listing(db.session.get(Listing, listing_id), db.session.get(User, admin_id),
                                title="Marquee for the summer fair")
        db.session.commit()
        words = vocabulary()
        assert "marquee" in words and "gazebo" not in words
        assert not db.session.scalar(select(SearchWordTrigram.trigram).where(SearchWordTrigram.trigram == "gaz"))
        assert words == rebuilt()


def test_statements_that_close_or_reopen_listings_are_followed(app, member, make_listing):
    """Expiry, a proposal taking listings off the directory and a decline putting them back are
    UPDATE statements, not flushes: the vocabulary follows them too."""
    member_id, admin_id = member
    old_id = make_listing(member_id, admin_id, title="Projector for talks", description="",
                          available_from=today(), available_until=today() + timedelta(days=3))
    make_listing(member_id, admin_id, title="Laptop for the office", description="",
                 available_from=today(), available_until=today() + timedelta(days=4))
    with app.test_request_context():
        assert services.expire_listings(on=today() + timedelta(days=5)) == 2
        db.session.commit()
        assert vocabulary() == {}
        db.session.execute(update(Listing).where(Listing.id == old_id).values(status="open"))
        db.session.commit()
        assert set(vocabulary()) == {"projector", "for", "talks"}
        db.session.execute(delete(Listing).where(Listing.id == old_id))
        db.session.commit()
        assert vocabulary() == {}


def test_a_deleted_listing_and_a_rolled_back_change_leave_the_vocabulary_right(app, member, make_listing):
    member_id, admin_id = member
    listing_id = make_listing(member_id, admin_id, title="Minibus with driver", description="")
    with app.test_request_context():
        listing = db.session.get(Listing, listing_id)
        listing.title = "Van without driver"
        db.session.flush()
        assert "minibus" not in vocabulary()
        db.session.rollback()
        assert "minibus" in vocabulary() and "van" not in vocabulary()
        db.session.delete(db.session.get(Listing, listing_id))
        db.session.commit()
        assert vocabulary() == {}


def test_another_worker_stops_offering_a_word_once_it_has_left(app, client, member, make_listing):
    """Each worker remembers widened words; a word that leaves through another worker is not offered."""
    from timebank import create_app

    member_id, admin_id = member
    listing_id = make_listing(member_id, admin_id, title="Trampoline for the fun day", description="")
    assert "trampoline" in client.get("/listings", query_string={"q": "trampolene"}).data.decode()
    other_worker = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SERVER_NAME", "BASE_URL", "MAIL_BACKEND",
        "MAIL_SERVER", "MAIL_PORT")})
    with other_worker.test_request_context():
        services.withdraw_listing(db.session.get(Listing, listing_id), db.session.get(User, admin_id))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert "trampoline" not in client.get("/listings", query_string={"q": "trampolene"}).data.decode()


TEXTS = ["Bookkeeping help", "Help with payroll", "Painting the hall", "Hall for hire", "Minibus and driver",
         "Driver for the minibus", "Gazebo", "Food safety training", "Safety checks for the van"]


def test_the_vocabulary_is_always_what_a_rebuild_would_make(app, member, make_listing):
    """An invariant, on a random run of everything that opens, closes, changes or deletes listings."""
    member_id, admin_id = member
    rng = random.Random(19)
    ids = [make_listing(member_id, admin_id, title=rng.choice(TEXTS), description=rng.choice(TEXTS))
           for _ in range(4)]
    with app.test_request_context():
        actor = db.session.get(User, admin_id)
        category_id = db.session.scalar(select(Listing.category_id))
        for step in range(40):
            listing = db.session.get(Listing, rng.choice(ids)) if ids else None
            action = rng.choice(["post", "retitle", "describe", "withdraw", "close", "reopen", "delete"])
            if action == "post" or listing is None:
                ids.append(services.create_listing(
                    db.session.get(Member, member_id), actor, direction="need", kind="skill",
                    category_id=category_id, title=rng.choice(TEXTS), description=rng.choice(TEXTS), quantity=2,
                    available_from=today(), available_until=today() + timedelta(days=30)).id)
            elif action == "retitle":
                listing.title = rng.choice(TEXTS)
            elif action == "describe":
                listing.description = rng.choice(TEXTS)
            elif action == "withdraw" and listing.status == "open":
                services.withdraw_listing(listing, actor)
            elif action in ("close", "reopen"):
                db.session.execute(update(Listing).where(Listing.id == listing.id).values(
                    status="matched" if action == "close" else "open"))
            elif action == "delete":
                db.session.delete(listing)
                ids.remove(listing.id)
            if step % 3 == 0:
                db.session.commit()
            else:
                db.session.flush()
            assert vocabulary() == rebuilt(), f"after step {step}: {action}"
        db.session.commit()
