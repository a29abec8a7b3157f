"""The demo tells a true story: every organisation offers what its kind would have (seed/kinds.py),
and so every leg the matcher proposes on the demo, and every piece of the demo's history, is one a
coordinator would approve."""
from __future__ import annotations

from sqlalchemy import select

from matching.marketplace import Policy, match
from seed.kinds import KINDS, kind_of
from seed.organisations import BUSINESSES, KIND_OF, ORGANISATIONS
from timebank.extensions import db
from timebank.listings.models import Category, Listing
from timebank.matcher.market import build_market
from timebank.members.models import Member


def test_every_demo_organisation_has_a_kind_and_businesses_need_nothing():
    names = [row[0] for row in ORGANISATIONS] + [row[0] for row in BUSINESSES]
    assert set(KIND_OF) == set(names)
    assert all(kind in KINDS for kind in KIND_OF.values())
    assert all(kind_of(KIND_OF[row[0]]).business for row in BUSINESSES)
    assert not any(kind.needs for kind in KINDS.values() if kind.business)


def test_the_demo_history_gives_only_what_each_giver_has():
    from seed.history import GIFTS, LOANS, RECORDED, ROOMS

    for help in GIFTS + RECORDED:
        assert kind_of(KIND_OF[help.giver]).gives(help.category), help
    for owner, _, _, category, *_ in ROOMS + LOANS:
        assert kind_of(KIND_OF[owner]).gives(category), owner


def test_no_proposed_leg_on_the_demo_gives_what_its_givers_kind_would_not_have(app):
    from seed.demo import load_demo

    with app.app_context(), app.test_request_context():
        load_demo(log=lambda *args: None)
        db.session.commit()
        slugs = dict(db.session.execute(select(Category.id, Category.slug)).all())
        names = dict(db.session.execute(select(Member.id, Member.name)).all())
        listings = {x.id: x for x in db.session.scalars(select(Listing))}
        for listing in listings.values():   # what is posted
            kind = kind_of(KIND_OF[names[listing.member_id]])
            slug = slugs[listing.category_id]
            if listing.direction == "offer":
                assert kind.gives(slug), (names[listing.member_id], slug)
            else:
                assert slug in kind.needs, (names[listing.member_id], slug)
        result = match(build_market(), Policy(report_cycle_lengths=()))
    legs = [leg for ex in result.exchanges for leg in ex.legs]
    assert len(legs) >= 10
    for leg in legs:   # what is proposed: the offer's own category, which the giver's kind has
        giver = names[leg.giver_member_id]
        assert kind_of(KIND_OF[giver]).gives(slugs[listings[leg.offer_id].category_id]), (giver, leg.description)
