"""Approved member organisations and what they offer, as an Open Referral UK API (HSDS 3.0 UK
profile): the read endpoints a council's service finder calls.

A service is a published member's open offer (time, skills, a room, equipment): its title,
description, page on the exchange, status "active" and its organisation. An organisation is a
published member. Identifiers are UUIDs derived from our ids (`services.public_id`).
"""
from __future__ import annotations

import math

from sqlalchemy import func, select

from timebank.extensions import db
from timebank.listings.models import KINDS, Listing
from timebank.members.models import Member
from timebank.notifications.links import link
from timebank.opendata.services import public_id, published_listings, published_members, website

VERSION = "HSDS-UK-3.0"
PROFILE = "https://openreferraluk.org/"
OPENAPI_URL = "https://openreferraluk.org/specifications/3.0/openapi.json"
PER_PAGE = 50
MAX_PER_PAGE = 200


def _time(value) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def organization(member: Member, *, full: bool = False, services: list[Listing] | None = None) -> dict:
    data = {
        "id": str(public_id("member", member.id)),
        "name": member.name,
        "description": member.description or f"{member.type_label} in {member.town}, Knowsley",
        "uri": link("members.profile", external=True, member_id=member.id),
    }
    if website(member):
        data["website"] = website(member)
    if full:
        data["services"] = [service(s, embed=False) for s in services or []]
    return data


def service(listing: Listing, *, embed: bool = True) -> dict:
    data = {
        "id": str(public_id("listing", listing.id)),
        "organization_id": str(public_id("member", listing.member_id)),
        "name": listing.title,
        "description": listing.description or f"{listing.category.name}, offered by {listing.member.name}",
        "url": link("listings.detail", external=True, listing_id=listing.id),
        "status": "active",
        "last_modified": _time(listing.updated_at),
    }
    if embed:
        data["organization"] = organization(listing.member)
    return data


def page_of(items: list[dict], total: int, page: int, per_page: int) -> dict:
    pages = max(1, math.ceil(total / per_page))
    return {"total_items": total, "total_pages": pages, "page_number": page, "size": len(items),
            "first_page": page == 1, "last_page": page >= pages, "empty": not items, "contents": items}


def _offers():
    return published_listings("offer", KINDS)


def services_page(page: int, per_page: int, organization_id: str | None = None) -> dict:
    query = _offers()
    if organization_id is not None:
        member_id = member_for(organization_id)
        query = query.where(Listing.member_id == (member_id if member_id is not None else -1))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return page_of([service(s) for s in rows], total, page, per_page)


def organizations_page(page: int, per_page: int) -> dict:
    query = published_members()
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return page_of([organization(m) for m in rows], total, page, per_page)


def _published_ids(kind: str, query) -> dict[str, int]:
    return {str(public_id(kind, i)): i for i in db.session.scalars(query)}


def member_for(organization_id: str) -> int | None:
    """Our member id for an ORUK organisation id, if that member is published."""
    ids = select(Member.id).where(Member.id.in_(published_members().with_only_columns(Member.id).scalar_subquery()))
    return _published_ids("member", ids).get(organization_id)


def find_service(service_id: str) -> dict | None:
    ids = _offers().with_only_columns(Listing.id)
    listing_id = _published_ids("listing", ids).get(service_id)
    if listing_id is None:
        return None
    listing = db.session.scalars(_offers().where(Listing.id == listing_id)).unique().one()
    return service(listing)


def find_organization(organization_id: str) -> dict | None:
    member_id = member_for(organization_id)
    if member_id is None:
        return None
    member = db.session.get(Member, member_id)
    offers = db.session.scalars(_offers().where(Listing.member_id == member_id)).unique().all()
    return organization(member, full=True, services=offers)
