"""Listings: search the directory (the same filters, distance included), post, change and withdraw your own."""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import validate
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from timebank.api.core import (LINK_HEADER, MAX_ID, Bool, Day, Int, Moment, Number, Page, PageArgs, QueryInt,
                               StrictSchema, Text, Utc, actor, blueprint, naive_utc, page_schema, paged, paginate)
from timebank.api.document import problems
from timebank.members.access import load_member
from timebank.errors import InvalidInput, NotAllowed
from timebank.extensions import db
from timebank.funding import services as funding
from timebank.listings import services
from timebank.listings.access import load_listing
from timebank.listings.models import (ALL_DAY, ALL_WEEK, AVAILABILITIES, DAY_PARTS, DAYS, DIRECTIONS, KINDS, LISTING_STATUSES,
                                      LOCATIONS, MAX_DATES, MOST_HOURS, URGENCIES, Category, Listing)
from timebank.members.models import DBS_LEVELS, MEMBER_STATUSES, Member
from timebank.members.access import can_act_for
from timebank.places import PRECISIONS, TOWNS, WARDS, UnknownPostcode, distance_precision, geocode

bp = blueprint("listings", "Offers and needs: the directory search, and your own listings", tag="Listings")
ID = "id"


class CategorySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    path = ma.fields.String(required=True, metadata={"description": "Parent > child"})
    parent_id = ma.fields.Integer(allow_none=True, required=True)


WEEKDAYS = [d.lower() for d in DAYS]
AVAILABILITY_HELP = ("When it can happen: `weekly` (its `weekly_pattern`, every week from `available_from` to "
                     "`available_until`), `dates` (its `dates` only) or `any_time` (any day and time from "
                     "`available_from` to `available_until`)")


class ListingDateSchema(ma.Schema):
    day = ma.fields.Date(required=True)
    parts = ma.fields.Function(lambda d: d.part_names, required=True, metadata={
        "type": "array", "items": {"type": "string", "enum": list(DAY_PARTS)}})


class NewListingDateSchema(StrictSchema):
    day = Day(required=True, metadata={"description": "From today on"})
    parts = ma.fields.List(ma.fields.String(validate=validate.OneOf(DAY_PARTS)), validate=validate.Length(min=1, max=3),
                           metadata={"description": "Parts of the day; all day when left out"})


def _describe_when(listing: Listing) -> str:
    from timebank.exchanges.scheduling import describe_when

    return describe_when(listing)


class ListingSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    member_id = ma.fields.Integer(required=True)
    member_name = ma.fields.Function(lambda listing: listing.member.name, required=True, metadata={"type": "string"})
    direction = ma.fields.String(required=True, metadata={"enum": list(DIRECTIONS)})
    kind = ma.fields.String(required=True, metadata={"enum": list(KINDS)})
    category_id = ma.fields.Integer(required=True)
    category = ma.fields.Function(lambda listing: listing.category.path, required=True, metadata={"type": "string"})
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    quantity = ma.fields.Float(required=True, metadata={"description": "Hours, or days for equipment"})
    unit = ma.fields.String(required=True, metadata={"enum": ["hours", "days"]})
    people = ma.fields.Integer(required=True)
    available_from = ma.fields.Date(required=True)
    available_until = ma.fields.Date(required=True)
    weekly_pattern = ma.fields.Integer(required=True, metadata={
        "description": "Availability: 21 bits, Monday morning is bit 0, then Monday afternoon, evening, Tuesday..."})
    availability = ma.fields.String(required=True, metadata={"enum": list(AVAILABILITIES),
                                                             "description": AVAILABILITY_HELP})
    dates = ma.fields.List(ma.fields.Nested(ListingDateSchema), required=True,
                           metadata={"description": "Its one-off dates (empty unless `availability` is `dates`)"})
    when = ma.fields.Function(_describe_when, required=True, metadata={
        "type": "string", "description": "When, in words, as its page says (\"Every Tuesday morning, from ...\")"})
    location = ma.fields.String(required=True, metadata={"enum": list(LOCATIONS)})
    postcode = ma.fields.String(required=True)
    location_precision = ma.fields.String(required=True, metadata={
        "enum": list(PRECISIONS), "description": "How precisely the listing's place is known: " + "; ".join(
            f"{name}: {meaning}" for name, meaning in PRECISIONS.items())})
    town = ma.fields.String(required=True)
    ward = ma.fields.String(allow_none=True, required=True)
    travel_km = ma.fields.Float(required=True)
    min_dbs_level = ma.fields.String(allow_none=True, required=True)
    needs_step_free = ma.fields.Boolean(required=True)
    min_capacity = ma.fields.Integer(allow_none=True, required=True)
    needs_insurance = ma.fields.Boolean(required=True)
    urgency = ma.fields.Integer(required=True, metadata={"description": "1 low, 2 normal, 3 high, 4 urgent"})
    is_gift = ma.fields.Boolean(required=True)
    partial_ok = ma.fields.Boolean(required=True)
    expires_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(LISTING_STATUSES)})
    asset_id = ma.fields.Integer(allow_none=True, required=True)
    created_at = Utc(required=True)
    updated_at = Utc(required=True)
    tags = ma.fields.Function(lambda listing: _tags(listing), required=True, allow_none=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/TagRef"},
        "description": "The programmes, funds and grants it is tagged with (the help that answers it counts under "
                       "them); null unless it is your member's. Set them with PUT /listings/{id}/tags"})


def _tags(listing: Listing) -> list[dict] | None:
    """The listing's tags, for its own people and coordinators (read in bulk by `with_tags` for a page)."""
    if not can_act_for(actor(), listing.member):
        return None
    tags = getattr(listing, "funding_tags_read", None)
    if tags is None:
        tags = funding.listing_tags([listing.id]).get(listing.id, [])
    return [{"id": t.id, "code": t.code, "name": t.name} for t in tags]


def with_tags(listings: list[Listing]) -> list[Listing]:
    """Read the tags of a page of listings in one query."""
    found = funding.listing_tags([listing.id for listing in listings])
    for listing in listings:
        listing.funding_tags_read = found.get(listing.id, [])
    return listings


class FoundListingSchema(ListingSchema):
    distance_km = ma.fields.Float(allow_none=True, required=True, metadata={"description": "When searching near a postcode"})
    distance_precision = ma.fields.String(allow_none=True, required=True, metadata={
        "enum": list(PRECISIONS) + [None],
        "description": "How precise distance_km is: that of the coarser of the two places (see location_precision)"})


ListingPageSchema = page_schema(FoundListingSchema, "Listing")


class SearchArgs(PageArgs):
    q = Text(min_length=1, max_length=100, metadata={"description": "Search words"})
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    direction = ma.fields.String(validate=validate.OneOf(DIRECTIONS))
    category_id = QueryInt(validate=validate.Range(min=1, max=MAX_ID),
                           metadata={"description": "A parent category includes its children"})
    town = ma.fields.String(validate=validate.OneOf(TOWNS))
    ward = ma.fields.String(validate=validate.OneOf(WARDS))
    day = ma.fields.String(validate=validate.OneOf(WEEKDAYS), metadata={
        "description": "Only listings that can happen on this day of the week (their weekly times, or the "
                       "weekdays of their dates; `any_time` listings can on every day)"})
    postcode = Text(min_length=1, max_length=10,
                    metadata={"description": "Nearest first, within `within_km` of this postcode"})
    within_km = QueryInt(load_default=5, validate=validate.OneOf([1, 2, 5, 10, 25]),
                         metadata={"description": "With postcode: how far, as on the directory page"})
    member_id = QueryInt(validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "One member's listings, newest first: every status for your own members (as on your "
                       "dashboard), the open ones for any other (as on its profile); the other filters apply, "
                       "except q, postcode and updated_since"})
    status = ma.fields.String(validate=validate.OneOf(LISTING_STATUSES), metadata={
        "description": "With member_id, for your own members: only listings with this status"})
    updated_since = Moment(aware=True, metadata={
        "description": "Sync: every listing changed after this time (with its offset, like 2027-03-27T10:00:00Z), "
                       "whatever its status, oldest change first; the other filters still apply, except q and postcode"})


REQUIRED_TO_POST = ("direction", "kind", "category_id", "title", "quantity")


def _listing_fields(*, new: bool) -> dict:
    """The fields of a listing a client may send; to post, the first few are required."""
    need = {name: {"required": True} if new else {} for name in REQUIRED_TO_POST}
    fields = {
        "direction": ma.fields.String(validate=validate.OneOf(DIRECTIONS), **need["direction"]),
        "kind": ma.fields.String(validate=validate.OneOf(KINDS), **need["kind"]),
        "category_id": Int(**need["category_id"], metadata={"description": "From GET /api/v1/categories"}),
        "title": Text(min_length=1, max_length=140, **need["title"]),
        "description": Text(max_length=4000),
        "quantity": Number(validate=validate.Range(min=0.25, max=MOST_HOURS), **need["quantity"],
                           metadata={"description": "Hours, or days for equipment"}),
        "people": Int(validate=validate.Range(min=1, max=500)),
        "availability": ma.fields.String(validate=validate.OneOf(list(AVAILABILITIES)), metadata={
            "description": AVAILABILITY_HELP + ". Left out, it follows from what is sent: `dates` when dates are "
                           f"given, `weekly` for a weekly_pattern other than {ALL_WEEK}, else `any_time`"}),
        "available_from": Day(metadata={"description": "Required unless `availability` is `dates`"}),
        "available_until": Day(metadata={"description": "Required unless `availability` is `dates`"}),
        "weekly_pattern": Int(validate=validate.Range(min=1, max=ALL_WEEK), metadata={
            "description": f"Availability bits (Monday morning is bit 0); {ALL_WEEK} is all week"}),
        "dates": ma.fields.List(ma.fields.Nested(NewListingDateSchema), validate=validate.Length(max=MAX_DATES),
                                metadata={"description": "One-off dates, with `availability` `dates`: the window "
                                                         "and weekly_pattern then follow from them"}),
        "location": ma.fields.String(validate=validate.OneOf(list(LOCATIONS))),
        "postcode": Text(max_length=10, allow_none=True, metadata={"description": "Blank: the member's own"}),
        "travel_km": Number(validate=validate.Range(min=0, max=100)),
        "min_dbs_level": ma.fields.String(allow_none=True, validate=validate.OneOf(list(DBS_LEVELS))),
        "needs_step_free": Bool(),
        "min_capacity": Int(allow_none=True, validate=validate.Range(min=1, max=5000)),
        "needs_insurance": Bool(),
        "urgency": Int(validate=validate.OneOf(list(URGENCIES)), metadata={"description": "1 low to 4 urgent"}),
        "is_gift": Bool(metadata={"description": "Offers only: we want no time credits back"}),
        "partial_ok": Bool(),
        "expires_on": Day(allow_none=True, metadata={"description": "Blank: the last available day"}),
        "asset_id": Int(allow_none=True, metadata={"description": "Your room or item, for a room or equipment offer"}),
    }
    if new:
        fields["member_id"] = Int(required=True, metadata={"description": "The member you post for"})
    return fields


NewListingSchema = StrictSchema.from_dict(_listing_fields(new=True), name="NewListing")
ListingChangesSchema = StrictSchema.from_dict(_listing_fields(new=False), name="ListingChanges")


def _service_values(values: dict) -> dict:
    """What the web form would send the service for the same answers."""
    if "min_dbs_level" in values:
        values["min_dbs_level"] = values["min_dbs_level"] or None
    if "dates" in values:
        values["dates"] = [(d["day"], sum(1 << DAY_PARTS.index(p) for p in set(d["parts"])) if d.get("parts")
                            else ALL_DAY) for d in values["dates"]]
    return values


def _with_dates(listings: list[Listing]) -> list[Listing]:
    """Load a page's listings' one-off dates in one query (each answer shows them)."""
    if listings:
        db.session.scalars(select(Listing).where(Listing.id.in_([x.id for x in listings]))
                           .options(selectinload(Listing.dates))).all()
    return listings


@bp.route("/categories", tags=["Categories"])
@bp.response(200, CategorySchema(many=True))
@problems()
def list_categories():
    """The category taxonomy (a listing names one by id)"""
    return db.session.scalars(select(Category).order_by(Category.parent_id.is_not(None), Category.id)).all()


def _sync_page(args: dict) -> Page:
    """Every listing of an active member changed since `updated_since`, any status, oldest change first."""
    inactive = select(Member.id).where(Member.status.in_([s for s in MEMBER_STATUSES if s != "active"]))
    stmt = select(Listing).where(Listing.updated_at > naive_utc(args["updated_since"]),
                                 Listing.member_id.not_in(inactive))
    for name in ("kind", "direction", "town", "ward"):
        if args.get(name):
            stmt = stmt.where(getattr(Listing, name) == args[name])
    if args.get("day"):
        stmt = stmt.where(services.on_weekday(WEEKDAYS.index(args["day"])))
    if args.get("category_id"):
        parent = args["category_id"]  # a parent category includes its children, as in the directory
        stmt = stmt.where(Listing.category_id.in_(select(Category.id).where(
            or_(Category.id == parent, Category.parent_id == parent))))
    page = paginate(stmt.order_by(Listing.updated_at, Listing.id), args["page"], args["per_page"])
    page.items = with_tags([_found(listing, None) for listing in _with_dates(page.items)])
    return page


def _member_page(args: dict) -> Page:
    """One member's listings: every status for its own people and coordinators, else the open ones."""
    for alone in ("q", "postcode", "updated_since"):
        if args.get(alone) is not None:
            raise InvalidInput(f"{alone} does not apply to one member's listings: leave it out, or leave out member_id",
                               field=alone)
    member = load_member(args["member_id"], actor())
    stmt = select(Listing).where(Listing.member_id == member.id)
    if can_act_for(actor(), member):
        if args.get("status"):
            stmt = stmt.where(Listing.status == args["status"])
    elif args.get("status") not in (None, "open"):
        raise NotAllowed("Only a member's own people see its listings that are not open", field="status")
    else:
        stmt = stmt.where(Listing.status == "open")
    for name in ("kind", "direction", "town", "ward"):
        if args.get(name):
            stmt = stmt.where(getattr(Listing, name) == args[name])
    if args.get("day"):
        stmt = stmt.where(services.on_weekday(WEEKDAYS.index(args["day"])))
    if args.get("category_id"):
        parent = args["category_id"]
        stmt = stmt.where(Listing.category_id.in_(select(Category.id).where(
            or_(Category.id == parent, Category.parent_id == parent))))
    page = paginate(stmt.order_by(Listing.created_at.desc(), Listing.id.desc()), args["page"], args["per_page"])
    page.items = with_tags([_found(listing, None) for listing in _with_dates(page.items)])
    return page


def _found(listing: Listing, km: float | None, near_precision: str | None = None) -> Listing:
    listing.distance_km = round(km, 2) if km is not None else None
    listing.distance_precision = (distance_precision(near_precision, listing.location_precision)
                                  if km is not None else None)
    return listing


@bp.route("/listings")
@bp.arguments(SearchArgs, location="query")
@bp.response(200, ListingPageSchema, headers=LINK_HEADER)
@problems(403, 404, 422)
def search_listings(args):
    """Search the directory: open listings, with the directory's filters (nearest first near a postcode)"""
    if args.get("member_id") is not None:
        return paged(_member_page(args))
    if args.get("status") is not None:
        raise InvalidInput("status applies to one member's listings: give member_id too", field="status")
    if args.get("updated_since") is not None:
        return paged(_sync_page(args))
    query = services.DirectoryQuery(kind=args.get("kind"), direction=args.get("direction"),
                                    category_id=args.get("category_id"), town=args.get("town"),
                                    ward=args.get("ward"), keyword=args.get("q"), page=args["page"],
                                    per_page=args["per_page"],
                                    weekday=WEEKDAYS.index(args["day"]) if args.get("day") else None)
    if args.get("postcode"):
        try:
            place = geocode(args["postcode"])
        except UnknownPostcode as error:
            raise InvalidInput(str(error), field="postcode") from error
        query.near, query.near_precision = (place.latitude, place.longitude), place.precision
        query.within_km = float(args["within_km"])
    found = services.search_directory(query)
    # The directory page shows the last page for a page past it; the API answers an empty page.
    _with_dates([listing for listing, _ in found.items])
    items = [_found(listing, km, query.near_precision) for listing, km in found.items] if found.page == args["page"] else []
    items = with_tags(items)
    return paged(Page(items, found.total, args["page"], found.per_page))


@bp.route(f"/listings/<{ID}:listing_id>")
@bp.response(200, ListingSchema)
@problems(404)
def get_listing(listing_id: int):
    """One listing"""
    return load_listing(listing_id, actor())


@bp.route("/listings", methods=["POST"])
@bp.arguments(NewListingSchema)
@bp.response(201, ListingSchema)
@problems(400, 404, 409, 422)
def create_listing(values):
    """Post an offer or a need for one of your members"""
    member = load_member(values.pop("member_id"), actor(), need="act")
    listing = services.create_listing(member, actor(), **_service_values(values))
    return listing, 201, {"Location": url_for("api_listings.get_listing", listing_id=listing.id)}


@bp.route(f"/listings/<{ID}:listing_id>", methods=["PATCH"])
@bp.arguments(ListingChangesSchema, required=False)
@bp.response(200, ListingSchema)
@problems(400, 404, 409, 422)
def update_listing(changes, listing_id: int):
    """Change one of your open listings (only the fields you send)"""
    listing = load_listing(listing_id, actor(), need="act")
    services.update_listing(listing, actor(), **_service_values(changes))
    return listing


@bp.route(f"/listings/<{ID}:listing_id>/withdraw", methods=["POST"])
@bp.response(200, ListingSchema)
@problems(404, 409, 422)
def withdraw_listing(listing_id: int):
    """Withdraw one of your listings"""
    listing = load_listing(listing_id, actor(), need="act")
    services.withdraw_listing(listing, actor())
    return listing


@bp.route(f"/listings/<{ID}:listing_id>/renew", methods=["POST"])
@bp.response(200, ListingSchema)
@problems(404, 409, 422)
def renew_listing(listing_id: int):
    """Keep one of your open or expired listings in the directory for another 90 days from today"""
    listing = load_listing(listing_id, actor(), need="act")
    services.renew_listing(listing, actor())
    return listing
