"""The matcher's view of the database: what it includes, what it leaves out, and the demo's proposals."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event

from matching.marketplace import Policy, build_candidates, match
from timebank.accounts.models import User
from timebank.db import today
from timebank.exchanges.models import DeclinedPair, Exchange, Leg
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.matcher.market import build_market
from timebank.members.assets import add_asset
from timebank.members.compliance import add_compliance_record
from timebank.members.models import Member


def _exchange(status, offer_id, need_id, giver, receiver):
    exchange = Exchange(shape="pair", status=status)
    exchange.legs.append(Leg(position=1, giver_member_id=giver, receiver_member_id=receiver,
                             offer_listing_id=offer_id, need_listing_id=need_id, kind="skill",
                             description="Bookkeeping", hours=Decimal(4)))
    db.session.add(exchange)


def test_the_market_holds_open_listings_of_active_members_that_are_not_already_promised(
        app, make_member, make_listing, categories):
    giver, giver_admin = make_member("Huyton Hub")
    receiver, receiver_admin = make_member("Prescot Arts")
    paused, paused_admin = make_member("Whiston Walkers")
    offer = make_listing(giver, giver_admin, direction="offer", title="Bookkeeping help")
    need = make_listing(receiver, receiver_admin, title="Help with our books")
    promised_offer = make_listing(giver, giver_admin, direction="offer", title="Payroll set-up")
    promised_need = make_listing(receiver, receiver_admin, title="Payroll help")
    old_offer = make_listing(giver, giver_admin, direction="offer", title="Old offer")
    old_need = make_listing(receiver, receiver_admin, title="Old need")
    withdrawn = make_listing(giver, giver_admin, direction="offer", title="Withdrawn offer")
    paused_need = make_listing(paused, paused_admin, title="Need of a suspended member")
    with app.test_request_context():
        _exchange("proposed", promised_offer, promised_need, giver, receiver)
        _exchange("voided", old_offer, old_need, giver, receiver)
        db.session.get(Listing, withdrawn).status = "withdrawn"
        db.session.get(Member, paused).status = "suspended"
        db.session.add(DeclinedPair(offer_listing_id=offer, need_listing_id=old_need))
        db.session.commit()
        market = build_market()
    ids = {x.id for x in market.listings}
    assert ids == {offer, need, old_offer, old_need}
    assert market.declined_pairs == {(offer, old_need)}
    by_member = {m.id: m for m in market.members}
    assert by_member[paused].suspended and not by_member[giver].suspended
    assert by_member[giver].name == "Huyton Hub"
    assert market.category_names[categories["bookkeeping"]] == "Bookkeeping"
    titles = {x.id: x.title for x in market.listings}
    assert titles[offer] == "Bookkeeping help"


def test_the_market_carries_compliance_assets_and_balances(app, make_member, make_listing, categories):
    giver, giver_admin = make_member("Kirkby Hall")
    receiver, receiver_admin = make_member("Halewood Youth Club")
    with app.test_request_context():
        admin = db.session.get(User, giver_admin)
        member = db.session.get(Member, giver)
        add_compliance_record(member, admin, kind="insurance", insurer="Community Mutual",
                                      cover_amount=Decimal(5_000_000), expires_on=today() + timedelta(days=90))
        add_compliance_record(member, admin, kind="dbs", dbs_level="enhanced", holder="Volunteer leads",
                                      people=3, issued_on=today() - timedelta(days=10))
        room = add_asset(member, admin, kind="room", name="Main hall", capacity=80, step_free=True)
        db.session.commit()
        room_id = room.id
    hall = make_listing(giver, giver_admin, direction="offer", kind="room", category_id=categories["hall"],
                        title="Community hall", asset_id=room_id, quantity=Decimal(6))
    make_listing(receiver, receiver_admin, kind="room", category_id=categories["hall"], title="A hall for our fun day",
                 quantity=Decimal(6), min_capacity=50, needs_step_free=True, needs_insurance=True)
    ledger = _ledger()
    if ledger is not None:
        from timebank.accounts import services as accounts
        with app.test_request_context():
            boss = accounts.create_user("boss@oneknowsley.example", "a-long-password-1", "Boss", confirmed=True)
            accounts.make_coordinator(boss)
            ledger.adjust(db.session.get(Member, receiver), Decimal(7), "Opening balance", boss)
            db.session.commit()
    with app.test_request_context():
        market = build_market()
    by_member = {m.id: m for m in market.members}
    assert by_member[giver].insurance_expires_on == today() + timedelta(days=90)
    assert by_member[giver].dbs_level_on(today()) == 3
    assert by_member[giver].dbs_people_on(today(), "standard") == 3
    assert by_member[receiver].dbs_level_on(today()) == 0
    [offer] = [x for x in market.listings if x.id == hall]
    assert offer.asset.capacity == 80 and offer.asset.step_free
    if ledger is not None:
        assert by_member[receiver].balance == Decimal(7)
    result = match(market, Policy(report_cycle_lengths=()))
    [pair] = result.exchanges
    assert pair.shape == "pair" and pair.legs[0].offer_id == hall
    assert "room for 80 (50 needed)" in pair.legs[0].reason


def _ledger():
    try:
        from timebank.ledger import services
    except ImportError:
        return None
    return services


def test_building_the_market_takes_the_same_few_queries_however_many_listings(app, make_member, make_listing):
    counts = []
    for n in (2, 12):
        for _ in range(n // 2):
            a, a_admin = make_member()
            make_listing(a, a_admin, direction="offer")
            make_listing(a, a_admin)
        statements = []
        with app.test_request_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                market = build_market()
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
        assert len(market.listings) >= n
    assert counts[0] == counts[1]


def test_the_demo_sector_offers_a_coordinator_a_three_way_ring_and_a_gift_chain(app):
    from seed.demo import load_demo

    with app.app_context(), app.test_request_context():
        load_demo(log=lambda *args: None)
        db.session.commit()
        result = match(build_market(), Policy(report_cycle_lengths=()))
    shapes = [(ex.shape, len(ex.member_ids)) for ex in result.exchanges]
    assert ("cycle", 3) in shapes
    assert any(shape == "chain" and n >= 3 for shape, n in shapes)
    ring = next(ex for ex in result.exchanges if ex.shape == "cycle" and len(ex.member_ids) == 3)
    names = {m.id: m.name for m in build_market_members(app)}
    assert all(names[mid] in ring.story for mid in ring.member_ids)
    assert result.stats["status"] == "optimal"


def build_market_members(app):
    with app.test_request_context():
        return build_market().members


def test_the_matcher_proposes_only_what_meets_in_the_week_and_on_the_dates(app, make_member, make_listing,
                                                                          categories):
    """An offer on Tuesday mornings is never proposed for a need on Friday afternoons, nor an offer on
    one-off dates for a need on another date; a Tuesday-morning need on a date finds it."""
    tuesday_mornings, friday_afternoons = 1 << 3, 1 << 13
    start = today() + timedelta(days=7)
    tuesday = start + timedelta(days=(1 - start.weekday()) % 7)
    giver, giver_admin = make_member("Huyton Hub")
    receiver, receiver_admin = make_member("Prescot Arts")
    weekly = make_listing(giver, giver_admin, direction="offer", title="Bookkeeping on Tuesdays",
                          availability="weekly", weekly_pattern=tuesday_mornings)
    on_dates = make_listing(giver, giver_admin, direction="offer", title="Bookkeeping on two Tuesdays",
                            availability="dates", dates=[(tuesday, 1), (tuesday + timedelta(days=14), 1)])
    fridays = make_listing(receiver, receiver_admin, title="Books on Friday afternoons", availability="weekly",
                           weekly_pattern=friday_afternoons)
    between = make_listing(receiver, receiver_admin, title="Books on the Tuesday between", availability="dates",
                           dates=[(tuesday + timedelta(days=7), 0b011)])
    with app.test_request_context():
        market = build_market()
        found = match(market, Policy())
    candidates = build_candidates(market, Policy(max_candidates_per_need=50, one_offer_per_giver=False))
    pairs = {(candidates.listings[o].id, candidates.listings[n].id)
             for o, n in zip(candidates.offer.tolist(), candidates.need.tolist())}
    assert pairs == {(weekly, between)}  # not Tuesdays for Fridays, nor one Tuesday for another
    assert [(leg.offer_id, leg.need_id) for leg in found.legs] == [(weekly, between)]
    dated = {x.id: x.dates for x in market.listings}
    assert dated[on_dates] == ((tuesday, 1), (tuesday + timedelta(days=14), 1)) and dated[weekly] == ()
