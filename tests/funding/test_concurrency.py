"""Two requests adding the same new tag, programme member or tag on a listing or exchange really at
once (tests/races.py: on PostgreSQL the second waits on the first's unique index while both are
open): one is saved, the other is told beside its field (409 in the API), never a 500."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from tests.races import run_overlapping
from timebank.accounts.models import User
from timebank.errors import Conflict
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.funding import services
from timebank.funding.models import ExchangeTag, FundingTag, FundingTagMember, ListingTag
from timebank.listings.models import Listing
from timebank.members.models import Member


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _one_saved_one_told(one, two, match: str, field: str):
    """One saved; the other told why beside `field` (409), never a 500."""
    assert [w.error for w in (one, two)].count(None) == 1, (one.error, two.error)
    loser = one if one.error else two
    assert isinstance(loser.error, Conflict), repr(loser.error)
    assert match in loser.error.message and loser.error.field == field and loser.error.status_code == 409


def test_the_same_new_tag_added_by_two_coordinators_at_once(app, funding):
    values = dict(code="HAF-26", name="Holiday activities and food", kind="programme", funder="Knowsley Council",
                  starts_on=date(2026, 7, 1), ends_on=None, open_to_all=True)
    before = _count(app, FundingTag)

    def add():
        return services.create_tag(_user(funding.coordinator), **values).id

    one, two = run_overlapping(app, add, add)
    _one_saved_one_told(one, two, "HAF-26 is already the code", "code")
    assert _count(app, FundingTag) == before + 1


def test_the_same_member_added_to_a_programme_by_two_coordinators_at_once(app, funding):
    before = _count(app, FundingTagMember)

    def add():
        tag = db.session.get(FundingTag, funding.grant)
        return services.add_member(tag, _user(funding.coordinator), db.session.get(Member, funding.b)).tag_id

    one, two = run_overlapping(app, add, add)
    _one_saved_one_told(one, two, "Halewood Youth Club is already part of NLCF-FOOD-26", "member_id")
    assert _count(app, FundingTagMember) == before + 1


def _both_want_it(app, one, two, match: str):
    """On PostgreSQL the second meets the first's row at the unique index and is told; on SQLite it
    runs after the first committed and finds the tag already there, which is what it asked for."""
    if app.backend == "postgresql":
        _one_saved_one_told(one, two, match, "tags")
    else:
        assert one.error is None and two.error is None, (one.error, two.error)
        assert two.result == ([], [])


def test_the_same_tag_put_on_a_listing_by_two_people_at_once(app, funding):
    def tag_it(email):
        def action():
            listing = db.session.get(Listing, funding.listing_a)
            return services.set_listing_tags(listing, _user(email), [funding.grant])
        return action

    one, two = run_overlapping(app, tag_it(funding.admin_a), tag_it(funding.coordinator))
    _both_want_it(app, one, two, "NLCF-FOOD-26 was added by someone else at the same time")
    with app.app_context():
        assert db.session.scalars(select(ListingTag.tag_id).where(ListingTag.listing_id == funding.listing_a)).all() \
            == [funding.grant]


def test_the_same_tag_put_on_an_exchange_by_both_its_members_at_once(app, funding):
    def tag_it(email):
        def action():
            return services.set_exchange_tags(db.session.get(Exchange, funding.exchange), _user(email), [funding.open])
        return action

    one, two = run_overlapping(app, tag_it(funding.admin_a), tag_it(funding.admin_c))
    _both_want_it(app, one, two, "KVW-26 was added by someone else at the same time")
    with app.app_context():
        assert db.session.scalars(select(ExchangeTag.tag_id).where(ExchangeTag.exchange_id == funding.exchange)).all() \
            == [funding.open]


def test_a_tag_added_by_another_since_the_form_was_read_is_told_beside_the_tags(app, client, auth, funding):
    """The web: the second person's save answers with the message beside the list, and nothing half-done."""
    from tests.races import committed_first

    auth.login(funding.admin_a)
    page = client.get(f"/listings/{funding.listing_a}/funding")
    assert page.status_code == 200
    with committed_first(ListingTag, dict(listing_id=funding.listing_a, tag_id=funding.grant)):
        answer = client.post(f"/listings/{funding.listing_a}/funding", data={"tags": [funding.grant, funding.open]})
    assert answer.status_code in (200, 409)
    assert "NLCF-FOOD-26 was added by someone else at the same time" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(ListingTag.tag_id).where(ListingTag.listing_id == funding.listing_a)).all() \
            == [funding.grant]
