"""A proposal held for a coordinator's review promises nothing to its members yet: their listings stay
open to them and in the directory until a coordinator sends it on, and are still never offered to a
second live exchange meanwhile."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.races import run_overlapping
from timebank.accounts.models import User
from timebank.db import today
from timebank.errors import Conflict
from timebank.exchanges import direct, services
from timebank.exchanges.models import LIVE_EXCHANGE_STATUSES, Exchange, Leg
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Member


def _pair(ring, receiver: int = 1) -> list[services.LegPlan]:
    m, o, n = ring["members"], ring["offers"], ring["needs"]
    return [services.LegPlan(giver_member_id=m[0], receiver_member_id=m[receiver], kind="skill", hours=Decimal(3),
                             offer_id=o[0], need_id=n[receiver], score=10, reason="Close by")]


def _hold(app, ring) -> int:
    with app.test_request_context():
        exchange = services.create_proposal("pair", _pair(ring), story="A helps B.", score=10, held=True)
        db.session.commit()
        return exchange.id


def _status(app, listing_id: int) -> str:
    with app.app_context():
        return db.session.get(Listing, listing_id).status


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_a_held_proposals_listings_show_as_open_to_their_members_and_in_the_directory(app, client, auth, ring):
    offer, need = ring["offers"][0], ring["needs"][1]
    _hold(app, ring)
    assert _status(app, offer) == _status(app, need) == "open"
    auth.login(ring["admins"][0])
    page = client.get(f"/listings/{offer}").get_data(as_text=True)
    assert "Matched" not in page and "Withdraw" in page  # nothing hints at a proposal they cannot see
    auth.logout()
    directory = client.get("/listings", query_string={"q": "Kirkby Food Bank offers bookkeeping"})
    assert f"/listings/{offer}\"" in directory.get_data(as_text=True)


def test_a_held_proposals_listings_are_never_offered_to_a_second_exchange(app, ring, make_member):
    _hold(app, ring)
    asker_id, asker_admin = make_member("Page Moss Tenants")
    with app.test_request_context():
        with pytest.raises(Conflict, match="already in a live exchange"):  # the matcher, or a repair
            services.create_proposal("pair", _pair(ring, receiver=2), story="A helps C.", score=10)
        db.session.rollback()
        start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
        with pytest.raises(Conflict, match="already part of an exchange in progress"):  # a direct ask
            direct.ask(db.session.get(Listing, ring["offers"][0]), db.session.get(Member, asker_id),
                       db.session.get(User, asker_admin), hours=Decimal(3), start=start,
                       end=start + timedelta(hours=3), message="May we?")
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(Exchange.id).where(Exchange.status != "held")) is None


def test_sending_it_on_matches_its_listings(app, ring):
    exchange_id = _hold(app, ring)
    with app.test_request_context():
        services.release([db.session.get(Exchange, exchange_id)], _user(ring["coordinator"]))
        db.session.commit()
    assert _status(app, ring["offers"][0]) == _status(app, ring["needs"][1]) == "matched"


def test_a_held_proposal_whose_listing_was_withdrawn_is_not_sent_on(app, client, auth, ring):
    exchange_id = _hold(app, ring)
    auth.login(ring["admins"][0])
    client.post(f"/listings/{ring['offers'][0]}/withdraw")
    assert _status(app, ring["offers"][0]) == "withdrawn"
    with app.test_request_context():
        with pytest.raises(Conflict, match="can no longer be sent on: a listing in it was withdrawn") as refused:
            services.release([db.session.get(Exchange, exchange_id)], _user(ring["coordinator"]))
        assert refused.value.field == "exchange_ids"
        db.session.rollback()
    with app.app_context():
        assert db.session.get(Exchange, exchange_id).status == "held"
    assert _status(app, ring["needs"][1]) == "open"


@pytest.mark.parametrize("second_held", [True, False])
def test_two_proposals_of_one_listing_at_once_promise_it_once_when_the_first_is_held(app, ring, second_held):
    """The first is held (it leaves the listing open); the second, held or not, comes at the same moment:
    on PostgreSQL it waits for the first's lock on the listing, then finds it in a live exchange."""

    def propose(receiver, held):
        def action():
            return services.create_proposal("pair", _pair(ring, receiver), story="A helps.", score=10, held=held).id
        return action

    one, two = run_overlapping(app, propose(1, True), propose(2, second_held))
    assert one.error is None and isinstance(two.error, Conflict), (one.error, two.error)
    with app.app_context():
        live = db.session.scalars(select(Leg).join(Exchange).where(
            Leg.offer_listing_id == ring["offers"][0], Exchange.status.in_(LIVE_EXCHANGE_STATUSES))).all()
        assert len(live) == 1


@pytest.mark.parametrize("held_first", [True, False])
def test_a_direct_ask_at_the_same_moment_as_a_held_proposal_promises_the_listing_once(app, ring, make_member,
                                                                                      held_first):
    asker_id, asker_admin = make_member("Page Moss Tenants")
    start = datetime.combine(today() + timedelta(days=3), datetime.min.time()).replace(hour=10)

    def hold():
        return services.create_proposal("pair", _pair(ring), story="A helps B.", score=10, held=True).id

    def ask():
        return direct.ask(db.session.get(Listing, ring["offers"][0]), db.session.get(Member, asker_id),
                          db.session.get(User, asker_admin), hours=Decimal(3), start=start,
                          end=start + timedelta(hours=3), message="May we?").id

    one, two = run_overlapping(app, *((hold, ask) if held_first else (ask, hold)))
    assert one.error is None and isinstance(two.error, Conflict), (one.error, two.error)
    with app.app_context():
        live = db.session.scalars(select(Leg).join(Exchange).where(
            Leg.offer_listing_id == ring["offers"][0], Exchange.status.in_(LIVE_EXCHANGE_STATUSES))).all()
        assert len(live) == 1


def _migrate(app, direction: str) -> None:
    """Run migration 8c41e7b9d2a5 (held proposals leave their listings open) one way on the test database."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    [path] = (Path(__file__).parents[2] / "migrations" / "versions").glob("*-8c41e7b9d2a5_*.py")
    spec = importlib.util.spec_from_file_location("held_listings_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with app.app_context(), db.engine.begin() as connection, \
            Operations.context(MigrationContext.configure(connection)):
        getattr(module, direction)()


def test_the_upgrade_opens_the_listings_of_proposals_held_before_it(app, ring):
    """Before the upgrade a held proposal had matched its listings; a proposal already sent on keeps them."""
    m, o, n = ring["members"], ring["offers"], ring["needs"]
    held = _hold(app, ring)
    with app.test_request_context():
        plan = services.LegPlan(giver_member_id=m[1], receiver_member_id=m[2], kind="skill", hours=Decimal(3),
                                offer_id=o[1], need_id=n[2], score=10, reason="Close by")
        services.create_proposal("pair", [plan], story="B helps C.", score=10)
        db.session.commit()
    held_listings = [o[0], n[1]]
    with app.app_context():  # as the code before it left them
        db.session.execute(update(Listing).where(Listing.id.in_(held_listings)).values(status="matched"))
        db.session.commit()
    _migrate(app, "upgrade")
    assert [_status(app, i) for i in held_listings] == ["open", "open"]
    assert [_status(app, i) for i in (o[1], n[2])] == ["matched", "matched"]
    _migrate(app, "downgrade")
    assert [_status(app, i) for i in held_listings + [o[1], n[2]]] == ["matched"] * 4
    with app.app_context():
        assert db.session.get(Exchange, held).status == "held"
