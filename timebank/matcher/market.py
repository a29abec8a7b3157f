"""Build the marketplace matcher's input from the database, in a handful of set-based queries."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, exists, select, true

from matching.marketplace import AssetInput, DbsCheck, ListingInput, Market, MemberInput
from timebank.db import today as today_
from timebank.exchanges.models import LIVE_EXCHANGE_STATUSES, DeclinedPair, Exchange, Leg
from timebank.extensions import db
from timebank.listings.models import Category, Listing, ListingDate
from timebank.matcher.answers import acceptance_model
from timebank.members.models import Asset, ComplianceRecord, Member


def _balances(member_ids: list[int]) -> dict[int, Decimal]:
    """Time-credit balances from the ledger, less what approved exchanges have reserved (docs/ledger.md):
    the matcher must not propose what a member's approved exchanges already count on. 0 for everyone
    where the ledger is not installed."""
    try:
        from timebank.ledger.services import balances
    except ImportError:  # the ledger is optional for the matcher: without it, every balance is 0
        return {}
    from timebank.exchanges.settlement import reserved

    have, held = balances(member_ids), reserved(member_ids)
    return {member_id: have[member_id] - held[member_id] for member_id in have}


def build_market(today: date | None = None, *, listing_ids: Collection[int] | None = None,
                 with_balances: bool = True, with_acceptance: bool | None = None) -> Market:
    """Open, unexpired listings of active members that are in no live exchange, with what they need.

    With `listing_ids`, only those listings and their members: a small market for one question
    (the dashboard's offers that could serve its needs), judged by the matcher's own rules.
    `with_balances=False` leaves every balance at 0 and skips the ledger: for questions answered
    by `build_candidates` alone, which reads no balance (the credit rule is the programme's).
    `with_acceptance` (by default, for the whole market only): how likely each member is to accept,
    learned from every answer to the matcher's proposals so far (`timebank.matcher.answers`, two
    queries); without it the matcher uses its prior.
    """
    today = today or today_()
    only = Listing.id.in_(list(listing_ids)) if listing_ids is not None else true()
    in_live_exchange = exists().where(
        Leg.exchange_id == Exchange.id, Exchange.status.in_(LIVE_EXCHANGE_STATUSES),
        (Leg.offer_listing_id == Listing.id) | (Leg.need_listing_id == Listing.id))
    rows = db.session.execute(
        select(Listing.id, Listing.member_id, Listing.direction, Listing.kind, Listing.category_id, Listing.title,
               Listing.quantity, Listing.people, Listing.available_from, Listing.available_until,
               Listing.weekly_pattern, Listing.location, Listing.latitude, Listing.longitude, Listing.travel_km,
               Listing.min_dbs_level, Listing.needs_step_free, Listing.min_capacity, Listing.needs_insurance,
               Listing.urgency, Listing.is_gift, Listing.partial_ok, Listing.created_at,
               Asset.id.label("asset_id"), Asset.capacity, Asset.step_free, Asset.electrical, Asset.pat_due_on,
               Asset.pat_result, Asset.insurance_required, Asset.name.label("asset_name"))
        .join(Member, and_(Member.id == Listing.member_id, Member.status == "active"))
        .outerjoin(Asset, Asset.id == Listing.asset_id)
        .where(Listing.status == "open", Listing.expires_on >= today, Listing.available_until >= today,
               ~in_live_exchange, only)
        .order_by(Listing.id)
    ).all()
    dated: dict[int, list[tuple[date, int]]] = {}
    for listing_id, day, parts in db.session.execute(
            select(ListingDate.listing_id, ListingDate.day, ListingDate.parts)
            .where(ListingDate.listing_id.in_([r.id for r in rows]) if listing_ids is not None else true(),
                   ListingDate.day >= today).order_by(ListingDate.listing_id, ListingDate.day)):
        dated.setdefault(listing_id, []).append((day, parts))
    listings = []
    for r in rows:
        asset = None
        if r.asset_id is not None:
            asset = AssetInput(capacity=r.capacity, step_free=r.step_free, electrical=r.electrical,
                               pat_due_on=r.pat_due_on, pat_result=r.pat_result,
                               insurance_required=r.insurance_required, name=r.asset_name)
        listings.append(ListingInput(
            id=r.id, member_id=r.member_id, direction=r.direction, kind=r.kind, category_id=r.category_id,
            title=r.title, quantity=Decimal(r.quantity), people=r.people, available_from=r.available_from,
            available_until=r.available_until, weekly_pattern=r.weekly_pattern, location=r.location,
            lat=r.latitude, lon=r.longitude, travel_km=float(r.travel_km), min_dbs_level=r.min_dbs_level,
            needs_step_free=r.needs_step_free, min_capacity=r.min_capacity, needs_insurance=r.needs_insurance,
            urgency=r.urgency, is_gift=r.is_gift, partial_ok=r.partial_ok,
            waited_days=max((today - r.created_at.date()).days, 0), asset=asset, dates=tuple(dated.get(r.id, ()))))

    of_members = Member.id.in_({x.member_id for x in listings}) if listing_ids is not None else true()
    member_rows = db.session.execute(
        select(Member.id, Member.name, Member.status, Member.credit_limit).where(of_members).order_by(Member.id)).all()
    dbs: dict[int, list[DbsCheck]] = {}
    insured: dict[int, date] = {}
    for member_id, kind, level, expires_on, people in db.session.execute(
            select(ComplianceRecord.member_id, ComplianceRecord.kind, ComplianceRecord.dbs_level,
                   ComplianceRecord.expires_on, ComplianceRecord.people)
            .where(ComplianceRecord.kind.in_(("dbs", "insurance")),
                   ComplianceRecord.member_id.in_([m.id for m in member_rows]) if listing_ids is not None else true())
            .order_by(ComplianceRecord.id)):
        if kind == "dbs":
            dbs.setdefault(member_id, []).append(DbsCheck(level, expires_on, people=people or 1))
        elif expires_on is not None and expires_on > insured.get(member_id, date.min):
            insured[member_id] = expires_on
    balances = _balances([m.id for m in member_rows if m.status == "active"]) if with_balances else {}
    members = [
        MemberInput(id=m.id, name=m.name, suspended=m.status != "active",
                    balance=Decimal(balances.get(m.id, 0)), credit_limit=Decimal(m.credit_limit),
                    dbs=tuple(dbs.get(m.id, ())), insurance_expires_on=insured.get(m.id))
        for m in member_rows
    ]
    categories, names = {}, {}
    for cat_id, parent_id, name in db.session.execute(select(Category.id, Category.parent_id, Category.name)):
        categories[cat_id] = parent_id
        names[cat_id] = name
    declined = frozenset((offer_id, need_id) for offer_id, need_id in db.session.execute(
        select(DeclinedPair.offer_listing_id, DeclinedPair.need_listing_id).where(
            DeclinedPair.need_listing_id.in_(list(listing_ids)) if listing_ids is not None else true())))
    if with_acceptance is None:
        with_acceptance = listing_ids is None
    return Market(listings=tuple(listings), members=tuple(members), categories=categories, today=today,
                  declined_pairs=declined, category_names=names,
                  acceptance=acceptance_model() if with_acceptance else None)
