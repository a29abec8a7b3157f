"""Saved searches: save the directory's filters, list and delete them, and the weekly digest email.

A saved search is a person's, not an organisation's: the digest goes to the person who saved it.
Each digest lists the open listings that match and were posted since the last digest covered
(`SavedSearch.covered_until`), leaving out the listings of the person's own organisations; a
week with nothing new sends nothing. The `saved-searches` job (timebank/operations/jobs.py)
sends the digests every Monday morning.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from timebank.accounts.models import User
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotFound
from timebank.extensions import db
from timebank.listings.models import DIRECTIONS, KINDS, Category, Listing
from timebank.listings.search import clean_keyword
from timebank.listings.services import DirectoryQuery, search_directory
from timebank.members.access import members_of
from timebank.notifications.email import external_url, send_email
from timebank.places import TOWNS, WARDS, UnknownPostcode, distance_precision, geocode
from timebank.saved_searches.models import DISTANCES, WEEKDAYS, SavedSearch

MAX_PER_PERSON = 20
MAX_NAME = 100
# A digest lists at most this many listings for each search, and says how many more there are.
DIGEST_LISTINGS = 10
FILTERS = ("keyword", "kind", "direction", "category_id", "town", "ward", "postcode", "within_km", "day")


def describe(values: dict) -> str:
    """The search in words, as its default name: "bookkeeping, offers, within 5 km of L36 9YS"."""
    parts = []
    if values.get("keyword"):
        parts.append(f"\u201c{values['keyword']}\u201d")
    if values.get("direction"):
        parts.append("offers" if values["direction"] == "offer" else "needs")
    if values.get("kind"):
        parts.append(values["kind"])
    if values.get("category_id"):
        category = db.session.get(Category, values["category_id"])
        if category is not None:
            parts.append(category.path)
    if values.get("ward"):
        parts.append(f"in {values['ward']}")
    elif values.get("town"):
        parts.append(f"in {values['town']}")
    if values.get("postcode"):
        parts.append(f"within {values['within_km']} km of {values['postcode']}")
    if values.get("day"):
        parts.append(f"on {values['day'].capitalize()}s")
    return ", ".join(parts)[:MAX_NAME]


def _checked(values: dict) -> dict:
    """The filters, cleaned and checked as the directory would read them; raises DomainError."""
    values = {name: values.get(name) or None for name in FILTERS}
    values["keyword"] = clean_keyword(values["keyword"]) or None
    if values["keyword"] and len(values["keyword"]) > 100:
        raise DomainError("Use 100 characters or fewer", field="keyword")
    if values["kind"] and values["kind"] not in KINDS:
        raise DomainError("Choose a kind from the list", field="kind")
    if values["direction"] and values["direction"] not in DIRECTIONS:
        raise DomainError("Choose offers, needs or both", field="direction")
    if values["category_id"] and db.session.get(Category, values["category_id"]) is None:
        raise DomainError("Choose a category from the list", field="category_id")
    if values["town"] and values["town"] not in TOWNS:
        raise DomainError("Choose a town from the list", field="town")
    if values["ward"] and values["ward"] not in WARDS:
        raise DomainError("Choose a ward from the list", field="ward")
    if values["day"] and values["day"] not in WEEKDAYS:
        raise DomainError("Choose a day from the list", field="day")
    if values["postcode"]:
        try:
            values["postcode"] = geocode(values["postcode"]).postcode
        except UnknownPostcode as error:
            raise DomainError(str(error), field="postcode") from error
        values["within_km"] = values["within_km"] or 5
        if values["within_km"] not in DISTANCES:
            raise DomainError("Choose a distance from the list", field="within_km")
    else:
        values["within_km"] = None
    if not any(values.values()):
        raise DomainError("Choose at least one filter or search word before saving the search")
    return values


def save_search(user: User, *, name: str | None = None, **filters) -> SavedSearch:
    """Save the directory's filters for `user`; the first digest covers listings posted from now."""
    values = _checked(filters)
    name = " ".join((name or "").split()) or describe(values)
    if len(name) > MAX_NAME:
        raise DomainError(f"Use {MAX_NAME} characters or fewer for the name", field="name")
    mine = list_saved_searches(user)
    if any(all(getattr(saved, key) == value for key, value in values.items()) for saved in mine):
        raise Conflict("You have already saved this search")
    if len(mine) >= MAX_PER_PERSON:
        raise Conflict(f"You can save up to {MAX_PER_PERSON} searches: delete one you no longer need first")
    saved = SavedSearch(user_id=user.id, name=name, **values)
    db.session.add(saved)
    db.session.flush()
    return saved


def list_saved_searches(user: User) -> list[SavedSearch]:
    return list(db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id)
                                   .order_by(SavedSearch.created_at, SavedSearch.id)))


def load_saved_search(saved_search_id: int, user: User) -> SavedSearch:
    """One of the user's own saved searches; another person's is as good as missing."""
    saved = db.session.get(SavedSearch, saved_search_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound(f"You have no saved search {saved_search_id}")
    return saved


def delete_saved_search(saved: SavedSearch) -> None:
    db.session.delete(saved)
    db.session.flush()


def directory_args(saved: SavedSearch) -> dict:
    """The directory page's query string for this search (to see its matches now)."""
    args = {"q": saved.keyword, "kind": saved.kind, "direction": saved.direction, "category": saved.category_id,
            "town": saved.town, "ward": saved.ward, "postcode": saved.postcode, "within": saved.within_km,
            "day": saved.day}
    return {key: value for key, value in args.items() if value}


def directory_query(saved: SavedSearch, **more) -> DirectoryQuery:
    query = DirectoryQuery(keyword=saved.keyword, kind=saved.kind, direction=saved.direction,
                           category_id=saved.category_id, town=saved.town, ward=saved.ward,
                           weekday=WEEKDAYS.index(saved.day) if saved.day else None, **more)
    if saved.postcode:
        place = geocode(saved.postcode)
        query.near, query.near_precision = (place.latitude, place.longitude), place.precision
        query.within_km = float(saved.within_km)
    return query


@dataclass
class DigestSection:
    saved: SavedSearch
    listings: list[tuple[Listing, float | None]]
    total: int
    near_precision: str


def new_listings(saved: SavedSearch, until: datetime, *, own_member_ids: tuple[int, ...] = ()) -> DigestSection:
    """The open listings matching `saved`, posted after its digest last covered and up to `until`."""
    try:
        query = directory_query(saved, posted_after=saved.covered_until, posted_until=until,
                                not_member_ids=own_member_ids, per_page=DIGEST_LISTINGS)
    except UnknownPostcode:  # the postcode was known when saved; a table that lost it finds nothing
        return DigestSection(saved, [], 0, "district")
    page = search_directory(query)
    return DigestSection(saved, page.items, page.total, page.near_precision)


def send_digests(now: datetime | None = None) -> int:
    """Email each person the new listings of their saved searches (one email each); returns emails sent."""
    now = now or utcnow()
    sent = 0
    user_ids = db.session.scalars(select(SavedSearch.user_id).group_by(SavedSearch.user_id)
                                  .order_by(func.min(SavedSearch.id))).all()
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        searches = list_saved_searches(user)
        if user.is_active:
            own = tuple(member.id for member in members_of(user))
            sections = [section for section in (new_listings(saved, now, own_member_ids=own) for saved in searches)
                        if section.total]
            if sections:
                count = sum(section.total for section in sections)
                send_email(user.email, f"{count} new {'listing' if count == 1 else 'listings'} for your saved "
                                       f"{'search' if len(sections) == 1 else 'searches'}",
                           "saved_search_digest", user=user, sections=sections,
                           manage_url=external_url("saved_searches.index"), directory_args=directory_args,
                           distance_precision=distance_precision)
                sent += 1
        for saved in searches:
            saved.covered_until = now
        db.session.flush()
    return sent
