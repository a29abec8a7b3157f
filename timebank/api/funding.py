"""Programmes, funds and grants: read the list, and read or set the tags of a listing or an exchange."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from timebank.api.core import (LINK_HEADER, Int, PageArgs, StrictSchema, actor, blueprint, define_tag, page_of,
                               page_schema, paged)
from timebank.api.document import problems
from timebank.errors import DomainError
from timebank.exchanges.access import load_exchange
from timebank.listings.access import load_listing
from timebank.funding import services
from timebank.funding.models import FUNDING_KINDS, FundingTag
from timebank.members.access import members_of

bp = blueprint("funding", "Programmes, funds and grants: the list, and the tags on listings and exchanges",
               tag=define_tag("Funding tags", "Programmes, funds and grants: the list, and the tags on listings and "
                                              "exchanges that reports are cut by"))
ID = "id"


class TagRefSchema(ma.Schema):
    """A programme, fund or grant, as a listing or an exchange names it."""

    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, metadata={"description": "Short and stable, like NLCF-FOOD-26"})
    name = ma.fields.String(required=True)


class FundingTagSchema(TagRefSchema):
    kind = ma.fields.String(required=True, metadata={"enum": list(FUNDING_KINDS)})
    funder = ma.fields.String(required=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(allow_none=True, required=True)
    open_to_all = ma.fields.Boolean(required=True, metadata={"description": "Every member may tag with it"})
    usable = ma.fields.Boolean(required=True, metadata={
        "description": "You may tag with it: a member you act for is part of it, it is open to every member, "
                       "or you are a coordinator"})


class TagsSchema(StrictSchema):
    tag_ids = ma.fields.List(Int(), required=True, validate=validate.Length(max=100), metadata={
        "description": "Exactly the tags it should carry, of those you may use; the others' stay as they are"})


def _usable_ids() -> set[int]:
    return {tag.id for tag in services.usable_tags(actor(), members_of(actor().user))}


def _tag(tag: FundingTag, usable: set[int]) -> dict:
    return {"id": tag.id, "code": tag.code, "name": tag.name, "kind": tag.kind, "funder": tag.funder,
            "starts_on": tag.starts_on, "ends_on": tag.ends_on, "open_to_all": tag.open_to_all,
            "usable": tag.id in usable}


@bp.route("/funding-tags")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(FundingTagSchema, "FundingTag"), headers=LINK_HEADER)
@problems(422)
def list_funding_tags(args):
    """Every programme, fund and grant that listings and exchanges can be tagged with, newest first"""
    usable = _usable_ids()
    return paged(page_of([_tag(tag, usable) for tag in services.all_tags()], args))


@bp.route(f"/funding-tags/<{ID}:tag_id>")
@bp.response(200, FundingTagSchema)
@problems(404)
def get_funding_tag(tag_id: int):
    """One programme, fund or grant"""
    return _tag(services.load_tag(tag_id, actor()), _usable_ids())


def _as_tag_ids(error: DomainError) -> DomainError:
    """The service names the web form's field (tags); this body's field is tag_ids."""
    return type(error)(error.message, field="tag_ids" if error.field == "tags" else error.field)


@bp.route(f"/listings/<{ID}:listing_id>/tags")
@bp.response(200, TagRefSchema(many=True))
@problems(404)
def get_listing_tags(listing_id: int):
    """The programmes, funds and grants a listing is tagged with (the help that answers it counts under them)"""
    listing = load_listing(listing_id, actor(), need="act")
    return services.listing_tags([listing.id]).get(listing.id, [])


@bp.route(f"/listings/<{ID}:listing_id>/tags", methods=["PUT"])
@bp.arguments(TagsSchema)
@bp.response(200, TagRefSchema(many=True))
@problems(400, 404, 409, 422)
def set_listing_tags(body, listing_id: int):
    """Tag one of your listings with the programmes, funds and grants your member is part of (If-Match: the ETag
    of GET /listings/{listing_id}/tags)"""
    listing = load_listing(listing_id, actor(), need="act")
    try:
        services.set_listing_tags(listing, actor(), body["tag_ids"])
    except DomainError as error:
        raise _as_tag_ids(error) from error
    return services.listing_tags([listing.id]).get(listing.id, [])


@bp.route(f"/exchanges/<{ID}:exchange_id>/tags")
@bp.response(200, TagRefSchema(many=True))
@problems(404)
def get_exchange_tags(exchange_id: int):
    """The programmes, funds and grants an exchange is tagged with (all of its help counts under them)"""
    exchange = load_exchange(exchange_id, actor())
    return services.exchange_tags([exchange.id]).get(exchange.id, [])


@bp.route(f"/exchanges/<{ID}:exchange_id>/tags", methods=["PUT"])
@bp.arguments(TagsSchema)
@bp.response(200, TagRefSchema(many=True))
@problems(400, 404, 409, 422)
def set_exchange_tags(body, exchange_id: int):
    """Tag an exchange you are in with the programmes, funds and grants your member is part of (If-Match: the ETag
    of GET /exchanges/{exchange_id}/tags)"""
    exchange = load_exchange(exchange_id, actor())
    try:
        services.set_exchange_tags(exchange, actor(), body["tag_ids"])
    except DomainError as error:
        raise _as_tag_ids(error) from error
    return services.exchange_tags([exchange.id]).get(exchange.id, [])

