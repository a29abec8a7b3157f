"""Listings: post, change, withdraw, expire; the category taxonomy; the public directory search."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, func, null, or_, select, update
from sqlalchemy.orm import joinedload

from timebank.accounts.models import User
from timebank.db import today
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.figures import remembered
from timebank.listings import search, words
from timebank.listings.models import (ALL_DAY, ALL_WEEK, AVAILABILITIES, DAY_PARTS, DIRECTIONS, KINDS, LOCATIONS,
                                      MAX_DATES, Category, Listing, ListingDate)
from timebank.members.models import DBS_LEVELS, MEMBER_STATUSES, Asset, Member
from timebank.members.access import can_act_for
from timebank.places import UnknownPostcode, geocode

MAX_LISTING_DAYS = 366


# -- taxonomy ------------------------------------------------------------------------------

def load_categories(tree: list[dict]) -> int:
    """Insert the taxonomy (a list of {slug, name, children: [...]}) if missing; returns rows added."""
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    added = 0

    def add(node: dict, parent: Category | None) -> None:
        nonlocal added
        category = existing.get(node["slug"])
        if category is None:
            category = Category(slug=node["slug"], name=node["name"], parent=parent)
            db.session.add(category)
            existing[node["slug"]] = category
            added += 1
        for child in node.get("children", []):
            add(child, category)

    for root in tree:
        add(root, None)
    db.session.flush()
    return added


def category_choices() -> list[tuple[int, str]]:
    """(id, "Parent > Child") for every leaf and parent, parents first, alphabetical.

    The taxonomy changes only when it is seeded, and every directory page and listing form
    needs it, so each worker remembers it for up to a minute.
    """
    def choices() -> tuple[tuple[int, str], ...]:
        categories = db.session.scalars(select(Category).options(joinedload(Category.parent))).all()
        return tuple(sorted(((c.id, c.path) for c in categories), key=lambda pair: pair[1].lower()))

    return list(remembered("listings.category_choices", choices))


# -- posting and changing --------------------------------------------------------------------

LISTING_FIELDS = (
    "direction", "kind", "category_id", "title", "description", "quantity", "people", "available_from",
    "available_until", "weekly_pattern", "location", "postcode", "town", "ward", "travel_km",
    "min_dbs_level", "needs_step_free", "min_capacity", "needs_insurance", "urgency", "is_gift",
    "partial_ok", "expires_on", "asset_id",
)


def _check(member: Member, values: dict) -> dict:
    """Validate a complete set of listing values against the rules forms cannot see alone."""
    if values["direction"] not in DIRECTIONS:
        raise DomainError("Choose whether this is an offer or a need", field="direction")
    if values["kind"] not in KINDS:
        raise DomainError("Choose what kind of help this is", field="kind")
    if values.get("location", "at_giver") not in LOCATIONS:
        raise DomainError("Choose where the help happens", field="location")
    if db.session.get(Category, values["category_id"]) is None:
        raise DomainError("Choose a category", field="category_id")
    if values["quantity"] is None or Decimal(values["quantity"]) <= 0:
        raise DomainError("Enter an amount more than 0", field="quantity")
    start, end = values["available_from"], values["available_until"]
    if end < start:
        raise DomainError("The end date must be the same as or after the start date", field="available_until")
    if values.get("expires_on") is None:
        values["expires_on"] = end
    if values["expires_on"] > start + timedelta(days=MAX_LISTING_DAYS):
        raise DomainError("A listing can run for at most a year; post it again after that", field="expires_on")
    if values.get("min_dbs_level") and values["min_dbs_level"] not in DBS_LEVELS:
        raise DomainError("Choose a DBS level from the list", field="min_dbs_level")
    if values.get("is_gift") and values["direction"] != "offer":
        raise DomainError("Only an offer can be a gift", field="is_gift")
    if not values.get("weekly_pattern"):
        raise DomainError("Choose at least one time of the week", field="weekly_pattern")
    asset_id = values.get("asset_id")
    if asset_id:
        asset = db.session.get(Asset, asset_id)
        if values["direction"] != "offer" or values["kind"] not in ("room", "equipment"):
            raise DomainError("Only room and equipment offers point at an asset", field="asset_id")
        if asset is None or asset.member_id != member.id or asset.kind != values["kind"]:
            raise DomainError(f"Choose one of your own {values['kind']}s", field="asset_id")
    elif values["direction"] == "offer" and values["kind"] in ("room", "equipment"):
        raise DomainError(f"Choose which {values['kind']} you are offering (add it under your assets first)",
                          field="asset_id")
    postcode = values.get("postcode") or member.postcode
    try:
        place = geocode(postcode)
    except UnknownPostcode as error:
        raise DomainError(str(error), field="postcode") from error
    values.update(postcode=place.postcode, latitude=place.latitude, longitude=place.longitude,
                  location_precision=place.precision)
    if place.postcode == member.postcode and member.location_precision == "point":  # its own place, set exactly
        values.update(latitude=member.latitude, longitude=member.longitude, location_precision="point")
    if not values.get("town"):
        values["town"] = member.town if place.postcode == member.postcode else place.town
    if values.get("ward") is None and place.postcode == member.postcode:
        values["ward"] = member.ward
    if values["kind"] in ("room", "equipment"):
        values["people"] = 1
    return values


def _expiry_not_past(fields: dict) -> None:
    """A date to take a listing down, when one is given, is today or later (an old listing's own may have passed)."""
    if fields.get("expires_on") is not None and fields["expires_on"] < today():
        raise DomainError("The date to take it down must be today or in the future", field="expires_on")


def clean_dates(dates: Iterable[tuple[date, int]], *, field: str = "dates") -> dict[date, int]:
    """One-off dates as {day: parts of the day} (merged, in order): from today on, at most MAX_DATES."""
    cleaned: dict[date, int] = {}
    for day, parts in dates:
        if not isinstance(day, date):
            raise DomainError("Enter each date like 27 3 2027", field=field)
        if day < today():
            raise DomainError(f"{day.day} {day:%B %Y} has passed: give dates from today on", field=field)
        if not 1 <= int(parts) <= ALL_DAY:
            raise DomainError("Choose the part of each day: morning, afternoon, evening or all day", field=field)
        cleaned[day] = cleaned.get(day, 0) | int(parts)
    if len(cleaned) > MAX_DATES:
        raise DomainError(f"Give at most {MAX_DATES} dates; for more, choose days of the week", field=field)
    return dict(sorted(cleaned.items()))


def pattern_of_dates(dates: dict[date, int]) -> int:
    """The weekly pattern a listing on these dates has (for the matcher): each date's weekday and parts."""
    pattern = 0
    for day, parts in dates.items():
        pattern |= parts << (day.weekday() * len(DAY_PARTS))
    return pattern


def _with_dates(values: dict, dates: dict[date, int]) -> dict:
    """A listing on one-off dates runs from the first to the last, at their weekdays and parts."""
    if dates:
        values.update(available_from=min(dates), available_until=max(dates), weekly_pattern=pattern_of_dates(dates))
    return values


def _set_dates(listing: Listing, dates: dict[date, int]) -> None:
    """Its one-off dates become `dates`: a day it keeps keeps its row (a new row for the same day
    would be inserted before the old one is deleted, against the unique (listing, day))."""
    kept = {d.day: d for d in listing.dates if d.day in dates}
    for day, row in kept.items():
        row.parts = dates[day]
    listing.dates = [kept.get(day) or ListingDate(day=day, parts=parts) for day, parts in dates.items()]


def _settle_when(values: dict, given: dict, availability: str | None, dates: dict[date, int] | None,
                 listing: Listing | None = None) -> dict[date, int]:
    """Make `values` say when, as `availability` says (AVAILABILITIES); returns the one-off dates to keep.

    Without `availability` it follows from what is given: dates mean "dates"; a listing that had
    dates keeps them when none are given; otherwise the weekly pattern says "weekly" or, all week,
    "any_time". On dates, the window and the weekly pattern follow from the dates.
    """
    if availability is None:
        if dates or (dates is None and listing is not None and listing.availability == "dates"):
            availability = "dates"
        else:
            availability = "any_time" if values.get("weekly_pattern") == ALL_WEEK else "weekly"
    if availability not in AVAILABILITIES:
        raise DomainError("Choose when: particular days of the week, particular dates, or any time",
                          field="availability")
    if availability == "dates":
        if dates is None:
            dates = {d.day: d.parts for d in listing.dates} if listing is not None else {}
        if not dates:
            raise DomainError("Enter at least one date, like 27 3 2027", field="dates")
        _with_dates(values, dates)
        return dates
    if dates:
        raise DomainError("Dates are only for a listing on particular dates: choose that, or leave the dates out",
                          field="dates")
    if availability == "any_time":
        if given.get("weekly_pattern") not in (None, ALL_WEEK):
            raise DomainError("Any time means every day and every time of day: leave out the times of the week, "
                              "or choose particular days", field="weekly_pattern")
        values["weekly_pattern"] = ALL_WEEK
    if values.get("available_from") is None:
        raise DomainError("Enter the first date, like 27 3 2027", field="available_from")
    if values.get("available_until") is None:
        raise DomainError("Enter the last date, like 27 3 2027", field="available_until")
    return {}


def create_listing(member: Member, actor: User, *, availability: str | None = None,
                   dates: Iterable[tuple[date, int]] = (), **fields) -> Listing:
    """Post an offer or need for `member`. Only its own people (and coordinators) may.

    When: `availability` "weekly" (its `weekly_pattern`, every week from `available_from` to
    `available_until`), "dates" (`dates`: one-off (day, parts of the day) pairs) or "any_time"
    (every day and time from `available_from` to `available_until`); see `_settle_when` without it.
    """
    _expiry_not_past(fields)
    if not can_act_for(actor, member):
        raise NotAllowed("You can only post listings for your own organisation")
    if member.status != "active":
        raise DomainError(f"{member.name} can post listings once a coordinator has approved it")
    dates = clean_dates(dates)
    values = {key: fields.get(key) for key in LISTING_FIELDS if key in fields}
    values.setdefault("weekly_pattern", ALL_WEEK)
    values.setdefault("people", 1)
    dates = _settle_when(values, fields, availability, dates)
    values = _check(member, values)
    listing = Listing(member_id=member.id, status="open", **values)
    _set_dates(listing, dates)
    db.session.add(listing)
    db.session.flush()
    return listing


def update_listing(listing: Listing, actor: User, *, availability: str | None = None,
                   dates: Iterable[tuple[date, int]] | None = None, **fields) -> Listing:
    """Change a listing: only what is given. `dates`: its one-off dates (None keeps them); when, as
    in `create_listing`."""
    if not can_act_for(actor, listing.member):
        raise NotAllowed("You can only change your own organisation's listings")
    if listing.status != "open":
        raise Conflict(f"This listing is {listing.status} and can no longer be changed")
    _expiry_not_past(fields)
    values = {key: getattr(listing, key) for key in LISTING_FIELDS}
    values.update({key: value for key, value in fields.items() if key in LISTING_FIELDS})
    if dates is not None:
        dates = clean_dates(dates)
    dates = _settle_when(values, fields, availability, dates, listing)
    values = _check(listing.member, values)
    for key, value in values.items():
        setattr(listing, key, value)
    if dates != {d.day: d.parts for d in listing.dates}:
        _set_dates(listing, dates)
    db.session.flush()
    return listing


def withdraw_listing(listing: Listing, actor: User) -> Listing:
    if not can_act_for(actor, listing.member):
        raise NotAllowed("You can only withdraw your own organisation's listings")
    if listing.status not in ("open", "expired"):
        raise Conflict(f"This listing is {listing.status}; it can be withdrawn only while it is open")
    listing.status = "withdrawn"
    db.session.flush()
    return listing


WARN_DAYS_BEFORE_EXPIRY = 7
RENEW_DAYS = 90
OFFER_RENEWAL_DAYS = 14  # its page offers to renew a listing that comes down within this many days


def renewed_until(on: date | None = None) -> date:
    """The day a listing renewed today stays up until."""
    return (on or today()) + timedelta(days=RENEW_DAYS)


def can_renew(listing: Listing) -> bool:
    """Open or expired, and renewing would keep it up for longer than it is now."""
    return listing.status in ("open", "expired") and listing.expires_on < renewed_until()


def renew_listing(listing: Listing, actor: User) -> Listing:
    """Keep an open or expired listing in the directory for RENEW_DAYS from today (one click)."""
    if not can_act_for(actor, listing.member):
        raise NotAllowed("You can only renew your own organisation's listings")
    if listing.status not in ("open", "expired"):
        raise DomainError(f"This listing is {listing.status}; only an open or expired listing can be renewed")
    if listing.member.status != "active":
        raise DomainError(f"{listing.member.name} can renew listings once a coordinator has approved it")
    until = renewed_until()
    if listing.expires_on >= until:
        raise DomainError(f"It is already in the directory until {listing.expires_on:%-d %B %Y}")
    listing.expires_on = until
    listing.available_until = max(listing.available_until, until)
    if until > listing.available_from + timedelta(days=MAX_LISTING_DAYS):  # a listing runs for a year at most
        listing.available_from = today()
    listing.status = "open"
    db.session.flush()
    return listing


def warn_expiring_listings(on: date | None = None) -> int:
    """Tell each member's people, in the app and by email, of its open listings that come down within
    WARN_DAYS_BEFORE_EXPIRY days (once for each expiry date); returns how many listings."""
    from timebank.notifications.links import Page
    from timebank.notifications.services import notify_member

    day = on or today()
    due = db.session.scalars(
        select(Listing).where(Listing.status == "open", Listing.expires_on >= day,
                              Listing.expires_on <= day + timedelta(days=WARN_DAYS_BEFORE_EXPIRY),
                              or_(Listing.expiry_warned_for.is_(None), Listing.expiry_warned_for != Listing.expires_on),
                              from_active_member())
        .options(joinedload(Listing.member)).order_by(Listing.expires_on, Listing.id)).all()
    for listing in due:
        days = (listing.expires_on - day).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"on {listing.expires_on:%A %-d %B}"
        notify_member([listing.member], "listings",
                      f"Your {listing.direction} \u201c{listing.title}\u201d comes down from the directory {when}. "
                      f"Renew it in one click to keep it up until {renewed_until(day):%-d %B %Y}.",
                      page=Page("listings.detail", listing_id=listing.id), subject=f"Your {listing.direction} comes down {when}: renew it?")
        # Not a change to the listing itself: its updated_at (what API clients sync by) stays.
        db.session.execute(update(Listing).where(Listing.id == listing.id).values(
            expiry_warned_for=listing.expires_on, updated_at=Listing.updated_at))
    return len(due)


def expire_listings(on: date | None = None) -> int:
    """Mark open listings past their expiry date as expired; returns how many."""
    result = db.session.execute(
        update(Listing).where(Listing.status == "open", Listing.expires_on < (on or today()))
        .values(status="expired"))
    return result.rowcount or 0


# -- the public directory --------------------------------------------------------------------

@dataclass
class DirectoryQuery:
    kind: str | None = None
    direction: str | None = None
    category_id: int | None = None
    town: str | None = None
    ward: str | None = None
    keyword: str | None = None
    near: tuple[float, float] | None = None
    near_precision: str = "district"  # how precise `near` is (timebank.places.PRECISIONS)
    within_km: float | None = None
    # Only listings posted in this window, (after, until]: a saved search's weekly digest.
    posted_after: datetime | None = None
    posted_until: datetime | None = None
    # Leave out these members' listings (a person's own organisations, in their digest).
    not_member_ids: tuple[int, ...] = ()
    # Only listings that can happen on this day of the week (Monday is 0): its weekly times, or the
    # weekdays of its one-off dates ("any time" listings can on every day).
    weekday: int | None = None
    page: int = 1
    per_page: int = 20


@dataclass
class DirectoryPage:
    items: list[tuple[Listing, float | None]]
    total: int
    page: int
    per_page: int
    order: str = "newest"  # "nearest", "best match" or "newest": how the items are sorted
    # Other words searched for as well as those typed (word forms, corrections of typos), and,
    # when nothing was found, the search text with its unknown words corrected.
    also_searched: list[str] = field(default_factory=list)
    suggestion: str | None = None
    near_precision: str = "district"
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))


def is_open() -> ColumnElement[bool]:
    """Open and not past its expiry date: true even before `flask expire-listings` has run."""
    return and_(Listing.status == "open", Listing.expires_on >= today())


def on_weekday(weekday: int) -> ColumnElement[bool]:
    """The listing can happen on this day of the week (Monday is 0): some part of it is in its weekly
    pattern (which, for one-off dates, holds their weekdays)."""
    return Listing.weekly_pattern.op("&")(ALL_DAY << weekday * len(DAY_PARTS)) != 0


def from_active_member() -> ColumnElement[bool]:
    """The listing's member is active (approved, not suspended).

    Written as "not one of the few inactive members" so that both databases build a small
    hash of those once, instead of joining every candidate listing to its member.
    """
    inactive = select(Member.id).where(Member.status.in_([s for s in MEMBER_STATUSES if s != "active"]))
    return Listing.member_id.not_in(inactive)


def _category_ids(category_id: int) -> Select:
    """The category and its children (a parent includes its children)."""
    return select(Category.id).where(or_(Category.id == category_id, Category.parent_id == category_id))


# The unfiltered directory's total may be up to FIGURES_MAX_AGE old once there are this many
# open listings (a few new ones make no visible difference to tens of thousands of them);
# below it the count is cheap and always exact.
EXACT_TOTAL_BELOW = 5_000


def _unfiltered_total(stmt: Select) -> int:
    """How many listings the whole directory holds: counted, and remembered when there are many."""
    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0

    total = remembered("directory.total", count)
    return total if total >= EXACT_TOTAL_BELOW else count()


def search_directory(query: DirectoryQuery) -> DirectoryPage:
    """Open listings matching the filters: nearest first when a place is given, else best match, else newest.

    Filtering, distance, ordering, counting and paging all happen in SQL, so the total and the
    pages are exact. One query finds the page's ids and the total; a second loads those rows.
    The whole directory, unfiltered, is the exception: its page comes newest first straight from
    `ix_listings_newest`, and its total from a separate count that is remembered for up to a
    minute when it is large (see EXACT_TOTAL_BELOW), because an exact count of every open listing
    on every page view was most of the cost of browsing.
    """
    stmt = select(Listing.id).where(is_open(), from_active_member())
    keyword = search.clean_keyword(query.keyword)
    unfiltered = not (query.kind or query.direction or query.category_id or query.town or query.ward
                      or keyword or query.near or query.posted_after or query.posted_until or query.not_member_ids
                      or query.weekday is not None)
    if query.kind:
        stmt = stmt.where(Listing.kind == query.kind)
    if query.direction:
        stmt = stmt.where(Listing.direction == query.direction)
    if query.category_id:
        stmt = stmt.where(Listing.category_id.in_(_category_ids(query.category_id)))
    if query.town:
        stmt = stmt.where(Listing.town == query.town)
    if query.ward:
        stmt = stmt.where(Listing.ward == query.ward)
    if query.posted_after:
        stmt = stmt.where(Listing.created_at > query.posted_after)
    if query.posted_until:
        stmt = stmt.where(Listing.created_at <= query.posted_until)
    if query.not_member_ids:
        stmt = stmt.where(Listing.member_id.not_in(query.not_member_ids))
    if query.weekday is not None:
        stmt = stmt.where(on_weekday(query.weekday))
    rank = None
    widened: dict[str, words.Widened] = {}
    if keyword:
        widened = words.widen_all(db.session, search.parse_terms(keyword).words())
        stmt, rank = search.apply_keyword(stmt, db.session, keyword, ranked=not query.near,
                                          alternatives={w: found.alternatives for w, found in widened.items()})
    km2 = None
    if query.near:
        scale = search.LocalScale(*query.near)
        km2 = scale.km2(Listing.latitude, Listing.longitude)
        if query.within_km:
            south, north, west, east = scale.box(query.within_km)
            stmt = stmt.where(Listing.latitude.between(south, north), Listing.longitude.between(west, east),
                              km2 <= query.within_km ** 2)
        order, order_name = [km2, Listing.id], "nearest"
    elif rank is not None:
        order, order_name = [rank, Listing.created_at.desc(), Listing.id.desc()], "best match"
    else:
        order, order_name = [Listing.created_at.desc(), Listing.id.desc()], "newest"
    page_number = max(1, query.page)
    counted = stmt
    stmt = stmt.add_columns(km2 if km2 is not None else null(), null() if unfiltered else func.count().over())
    rows = db.session.execute(stmt.order_by(*order).offset((page_number - 1) * query.per_page)
                              .limit(query.per_page)).all()
    if rows and unfiltered:
        total = max(_unfiltered_total(counted), (page_number - 1) * query.per_page + len(rows))
    elif rows:
        total = rows[0][2]
    else:  # nothing, or past the last page: the window count had no row to ride on
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        last = max(1, math.ceil(total / query.per_page))
        if page_number > last:  # a stale or typed link: show the last page rather than an empty one
            return search_directory(replace(query, page=last))
    listings = {listing.id: listing for listing in db.session.scalars(
        select(Listing).where(Listing.id.in_([row[0] for row in rows]))
        .options(joinedload(Listing.member), joinedload(Listing.category).joinedload(Category.parent)))}
    items = [(listings[listing_id], math.sqrt(d2) if d2 is not None else None) for listing_id, d2, _ in rows]
    also = list(dict.fromkeys(a for found in widened.values() for a in found.alternatives))
    return DirectoryPage(items=items, total=total, page=page_number, per_page=query.per_page, order=order_name,
                         near_precision=query.near_precision, also_searched=also, suggestion=_suggestion(query, keyword, widened) if not total else None)


def _suggestion(query: DirectoryQuery, keyword: str, widened: dict[str, words.Widened]) -> str | None:
    """The search text with each unknown word replaced by its nearest known word, if that finds something."""
    corrections = {w: found.suggestion for w, found in widened.items() if found.suggestion and not found.known}
    if not corrections:
        return None
    suggested = search.parse_terms(keyword).replaced(corrections).text()
    if suggested == keyword or not search_directory(replace(query, keyword=suggested, page=1, per_page=1)).total:
        return None
    return suggested


# -- offers that could serve a need ------------------------------------------------------------

NEARBY_CANDIDATES = 40

def nearby_offers_for(need: Listing, limit: int = 3) -> list[tuple[Listing, float]]:
    """Open offers of another active member that could serve `need`, nearest first, with km
    (`nearby_offers` for one need)."""
    return nearby_offers([need], limit)[need.id]


def nearby_offers(needs: Sequence[Listing], limit: int = 3) -> dict[int, list[tuple[Listing, float]]]:
    """For each need, open offers of another active member that could serve it, nearest first, with km.

    "Could serve" is the matcher's own judgement (matching.marketplace.build_candidates): the same
    kind; the need's category, its parent or its children; dates and times of the week that
    meet; enough of it (or part, if the need takes part); within the radius of whoever travels,
    and remote needs only from remote offers; and every requirement met: DBS checks covering
    the people, step-free access and capacity from the room itself, insurance, a PAT test in date.
    SQL narrows each need's offers to the nearest few dozen that could be in reach; the matcher's
    rules then judge them all in one small market (one set of queries for a dashboard's needs,
    not one per need), so a step-free room for 15 never brings a storage cupboard or a PA system.
    """
    found: dict[int, list[tuple[Listing, float]]] = {need.id: [] for need in needs}
    if not needs:
        return found
    # The judgement takes a dozen queries and a small market (the dearest part of a dashboard), so
    # each worker remembers it for up to FIGURES_MAX_AGE for the same needs as they stand now: an
    # edited need is judged afresh at once, a new offer nearby shows within the minute.
    key = f"nearby:{limit}:" + ",".join(f"{need.id}@{need.updated_at.isoformat()}" for need in sorted(needs, key=lambda n: n.id))
    kept = remembered(key, lambda: _fitting_offer_ids(needs, limit))
    wanted = {listing_id for rows in kept.values() for listing_id, _ in rows}
    if not wanted:
        return found
    # An offer closed or withdrawn since it was judged is left out.
    offers = {listing.id: listing for listing in db.session.scalars(
        select(Listing).where(Listing.id.in_(wanted), is_open(), from_active_member())
        .options(joinedload(Listing.member)))}
    for need_id, rows in kept.items():
        found[need_id] = [(offers[listing_id], math.sqrt(d2)) for listing_id, d2 in rows if listing_id in offers]
    return found


def _fitting_offer_ids(needs: Sequence[Listing], limit: int) -> dict[int, list[tuple[int, float]]]:
    """For each need, the ids of the nearest `limit` open offers the matcher's rules say could
    serve it, with km squared (nearby_offers without loading the offers)."""
    from matching.marketplace import Policy, build_candidates
    from timebank.matcher.market import build_market

    nearest = {need.id: _nearest_offer_ids(need) for need in needs}
    offer_ids = {listing_id for rows in nearest.values() for listing_id, _ in rows}
    if not offer_ids:
        return {need_id: [] for need_id in nearest}
    market = build_market(listing_ids=[*nearest, *offer_ids], with_balances=False)
    # Every compatible pair is kept (no cap below the number of offers), so each need's verdict is
    # the same as in a market of its own.
    candidates = build_candidates(market, Policy(max_candidates_per_need=len(offer_ids),
                                                 one_offer_per_giver=False))
    fits = {(candidates.listings[n].id, candidates.listings[o].id)
            for o, n in zip(candidates.offer, candidates.need)}
    return {need_id: [(listing_id, d2) for listing_id, d2 in rows if (need_id, listing_id) in fits][:limit]
            for need_id, rows in nearest.items()}


def _nearest_offer_ids(need: Listing) -> list[tuple[int, float]]:
    """The nearest NEARBY_CANDIDATES open offers that could be in reach of `need`: (id, km squared)."""
    category = need.category
    related = select(Category.id).where(or_(Category.id == category.id, Category.id == category.parent_id,
                                            Category.parent_id == category.id))
    scale = search.LocalScale(need.latitude, need.longitude)
    km2 = scale.km2(Listing.latitude, Listing.longitude)
    stmt = (select(Listing.id, km2)
            .where(is_open(), from_active_member(), Listing.direction == "offer",
                   Listing.kind == need.kind, Listing.category_id.in_(related),
                   Listing.member_id != need.member_id))
    need_radius = float(need.travel_km)
    if need.location == "remote":
        stmt = stmt.where(Listing.location == "remote")
    else:  # whoever travels: the giver, for help at the receiver's place; else the receiver
        stmt = stmt.where(or_(Listing.location == "remote",
                              and_(Listing.location == "at_receiver", km2 <= Listing.travel_km * Listing.travel_km),
                              and_(Listing.location != "at_receiver", km2 <= need_radius * need_radius)))
    # Sort only ids and distances (at 100,000 listings a need has thousands of candidates).
    return [(listing_id, d2) for listing_id, d2 in db.session.execute(stmt.order_by(km2, Listing.id)
                                                                       .limit(NEARBY_CANDIDATES))]
