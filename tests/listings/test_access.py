"""The listings' loader (timebank/listings/access.py), called directly: each answer it gives, the
same for the web (which shows it as its 404 / 403 page) and the API (a problem)."""
import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from timebank.accounts.models import User
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.listings.access import load_listing
from timebank.members.models import Member


@pytest.fixture()
def listings(app, make_member, make_listing, make_user):
    """A listing of an active member and one of a member still waiting for vetting, with their people."""
    active, active_admin = make_member("Kirkby Food Bank", admin_email="food@access.example")
    pending, pending_admin = make_member("Prescot Choir", admin_email="choir@access.example", status="pending")
    make_member("Huyton Stranger", admin_email="stranger@access.example")
    make_user("coord@access.example", coordinator=True)
    shown = make_listing(active, active_admin, title="Help with our accounts")
    with app.test_request_context():  # posted while it was active, then its member was suspended for review
        db.session.get(Member, pending).status = "active"
        db.session.commit()
    hidden = make_listing(pending, pending_admin, title="A pianist for our concert")
    with app.test_request_context():
        db.session.get(Member, pending).status = "pending"
        db.session.commit()
    return {"shown": shown, "hidden": hidden}


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_anyone_sees_a_listing_of_an_active_member(app, listings):
    with app.test_request_context():
        for user in (AnonymousUserMixin(), _user("stranger@access.example"), _user("food@access.example")):
            assert load_listing(listings["shown"], user).title == "Help with our accounts"


def test_a_listing_of_a_member_not_active_is_seen_by_its_people_and_coordinators_only(app, listings):
    with app.test_request_context():
        for email in ("choir@access.example", "coord@access.example"):
            assert load_listing(listings["hidden"], _user(email)).id == listings["hidden"]
            assert load_listing(listings["hidden"], _user(email), need="act").id == listings["hidden"]
        for user in (AnonymousUserMixin(), _user("stranger@access.example")):
            for need in ("view", "act"):  # not "not yours": it is not there for them at all
                with pytest.raises(NotFound, match=f"^There is no listing {listings['hidden']}$"):
                    load_listing(listings["hidden"], user, need=need)


def test_only_its_members_people_and_coordinators_may_change_a_listing(app, listings):
    with app.test_request_context():
        for email in ("food@access.example", "coord@access.example"):
            assert load_listing(listings["shown"], _user(email), need="act").id == listings["shown"]
        for user in (AnonymousUserMixin(), _user("stranger@access.example"), _user("choir@access.example")):
            with pytest.raises(NotAllowed, match="^You can only change your own organisation's listings$"):
                load_listing(listings["shown"], user, need="act")


def test_a_missing_listing_is_not_found_for_anyone(app, listings):
    with app.test_request_context():
        for user in (AnonymousUserMixin(), _user("coord@access.example")):
            with pytest.raises(NotFound, match="^There is no listing 999999$"):
                load_listing(999_999, user)
        with pytest.raises(ValueError):
            load_listing(listings["shown"], _user("coord@access.example"), need="own")
