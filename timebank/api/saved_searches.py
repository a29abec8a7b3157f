"""Saved searches: the directory's filters kept, emailed weekly with new matches; the same services as the pages."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from flask import url_for

from timebank.api.core import (LINK_HEADER, MAX_ID, Int, Page, PageArgs, StrictSchema, Text, Utc, actor, blueprint,
                               paged)
from timebank.api.document import problems
from timebank.api.listings import ListingPageSchema, _found, _with_dates, with_tags
from timebank.db import utcnow
from timebank.listings.models import DIRECTIONS, KINDS
from timebank.listings.services import search_directory
from timebank.members.access import members_of
from timebank.places import TOWNS, WARDS
from timebank.saved_searches import services
from timebank.saved_searches.models import DISTANCES, WEEKDAYS

bp = blueprint("saved_searches", "Saved searches: the directory's filters, and a weekly email of new matches",
               tag="Saved searches")


class SavedSearchSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    q = ma.fields.String(attribute="keyword", allow_none=True, required=True, metadata={"description": "Search words"})
    kind = ma.fields.String(allow_none=True, required=True, metadata={"enum": list(KINDS) + [None]})
    direction = ma.fields.String(allow_none=True, required=True, metadata={"enum": list(DIRECTIONS) + [None]})
    category_id = ma.fields.Integer(allow_none=True, required=True)
    town = ma.fields.String(allow_none=True, required=True)
    ward = ma.fields.String(allow_none=True, required=True)
    postcode = ma.fields.String(allow_none=True, required=True)
    within_km = ma.fields.Integer(allow_none=True, required=True)
    day = ma.fields.String(allow_none=True, required=True, metadata={
        "enum": list(WEEKDAYS) + [None], "description": "Only listings that can happen on this day of the week"})
    created_at = Utc(required=True)
    covered_until = Utc(required=True, metadata={
        "description": "The next weekly email lists matching listings posted after this moment"})


class NewSavedSearchSchema(StrictSchema):
    name = Text(max_length=services.MAX_NAME, allow_none=True,
                metadata={"description": "Blank: the search described in words"})
    q = Text(max_length=100, allow_none=True, metadata={"description": "Search words, as in GET /api/v1/listings"})
    kind = ma.fields.String(allow_none=True, validate=validate.OneOf(KINDS))
    direction = ma.fields.String(allow_none=True, validate=validate.OneOf(DIRECTIONS))
    category_id = Int(allow_none=True, validate=validate.Range(min=1, max=MAX_ID),
                      metadata={"description": "A parent category includes its children"})
    town = ma.fields.String(allow_none=True, validate=validate.OneOf(TOWNS))
    ward = ma.fields.String(allow_none=True, validate=validate.OneOf(WARDS))
    postcode = Text(max_length=10, allow_none=True, metadata={"description": "Nearest first, within within_km"})
    within_km = Int(allow_none=True, validate=validate.OneOf(DISTANCES),
                    metadata={"description": "With postcode: how far (5 when not given)"})
    day = ma.fields.String(allow_none=True, validate=validate.OneOf(WEEKDAYS), metadata={
        "description": "Only listings that can happen on this day of the week, as in GET /api/v1/listings"})


@bp.route("/saved-searches")
@bp.response(200, SavedSearchSchema(many=True))
@problems()
def list_saved_searches():
    """Your saved searches, oldest first"""
    return services.list_saved_searches(actor().user)


@bp.route("/saved-searches", methods=["POST"])
@bp.arguments(NewSavedSearchSchema)
@bp.response(201, SavedSearchSchema)
@problems(400, 409, 422)
def save_search(values):
    """Save a search: the next weekly email lists matching listings posted from now on"""
    values["keyword"] = values.pop("q", None)
    saved = services.save_search(actor().user, **values)
    return saved, 201, {"Location": url_for("api_saved_searches.get_saved_search", saved_search_id=saved.id)}


@bp.route("/saved-searches/<id:saved_search_id>")
@bp.response(200, SavedSearchSchema)
@problems(404)
def get_saved_search(saved_search_id: int):
    """One of your saved searches"""
    return services.load_saved_search(saved_search_id, actor().user)


@bp.route("/saved-searches/<id:saved_search_id>", methods=["DELETE"])
@bp.response(204)
@problems(404)
def delete_saved_search(saved_search_id: int):
    """Delete one of your saved searches (no more emails for it)"""
    services.delete_saved_search(services.load_saved_search(saved_search_id, actor().user))
    return ""


@bp.route("/saved-searches/<id:saved_search_id>/new-listings")
@bp.arguments(PageArgs, location="query")
@bp.response(200, ListingPageSchema, headers=LINK_HEADER)
@problems(404, 422)
def list_saved_search_new_listings(args, saved_search_id: int):
    """The open listings that match and were posted since its last weekly email (what the next one will list)"""
    saved = services.load_saved_search(saved_search_id, actor().user)
    query = services.directory_query(saved, posted_after=saved.covered_until, posted_until=utcnow(),
                                     not_member_ids=tuple(m.id for m in members_of(actor().user)),
                                     page=args["page"], per_page=args["per_page"])
    found = search_directory(query)
    _with_dates([listing for listing, _ in found.items])
    items = with_tags([_found(listing, km, query.near_precision) for listing, km in found.items])
    return paged(Page(items, found.total, found.page, found.per_page))
