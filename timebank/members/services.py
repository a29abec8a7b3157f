"""Members: registration, profile and place, vetting by a coordinator, and what needs attention.

Who may act for a member is in access.py; its people in people.py; its compliance records in
compliance.py; its rooms and equipment in assets.py.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from timebank.accounts.access import require_coordinator
from timebank.accounts.models import User
from timebank.audit import services as audit
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.members.access import can_manage
from timebank.members.assets import asset_warning, assets_of
from timebank.members.compliance import compliance_records, compliance_warning, dbs_delete_on, describe_record
from timebank.members.models import MEMBER_TYPES, Member, Membership
from timebank.notifications.email import external_url, send_email
from timebank.places import DISTRICTS, UnknownPostcode, distance_km, geocode


CHARITY_NUMBER = re.compile(r"^(?:[0-9]{6,7}(?:-[0-9]{1,3})?|SC[0-9]{6})$")
COMPANY_NUMBER = re.compile(r"^(?:[0-9]{8}|[A-Z]{2}[0-9]{6})$")


def clean_charity_number(value: str | None) -> str | None:
    """'1234567', '1234567-1' (linked charity) or 'SC012345' (OSCR); None when blank."""
    text = re.sub(r"\s+", "", (value or "")).upper()
    if not text:
        return None
    if not CHARITY_NUMBER.match(text):
        raise DomainError("Enter a charity number of 6 or 7 digits (like 1234567 or 1234567-1), "
                          "or a Scottish number like SC012345", field="charity_number")
    return text


def clean_company_number(value: str | None) -> str | None:
    """8 digits, or 2 letters and 6 digits (SC, NI, OC, ...); None when blank."""
    text = re.sub(r"\s+", "", (value or "")).upper()
    if not text:
        return None
    if re.fullmatch(r"[0-9]{1,7}", text):
        text = text.zfill(8)  # Companies House numbers are often written without leading zeros
    if not COMPANY_NUMBER.match(text):
        raise DomainError("Enter a company number of 8 characters, like 01234567 or SC123456",
                          field="company_number")
    return text


def _place_fields(postcode: str) -> dict:
    try:
        place = geocode(postcode)
    except UnknownPostcode as error:
        raise DomainError(str(error), field="postcode") from error
    return {"postcode": place.postcode, "latitude": place.latitude, "longitude": place.longitude,
            "location_precision": place.precision, "default_town": place.town}


def _check_unique(member: Member | None, *, name: str, charity_number: str | None,
                  company_number: str | None) -> None:
    exclude = member.id if member is not None else None
    for field, column, value, message in (
        ("name", Member.name, name, "An organisation with that name is already registered"),
        ("charity_number", Member.charity_number, charity_number, "That charity number is already registered"),
        ("company_number", Member.company_number, company_number, "That company number is already registered"),
    ):
        if value is None:
            continue
        query = select(Member.id).where(column == value)
        if exclude is not None:
            query = query.where(Member.id != exclude)
        if db.session.scalar(query) is not None:
            raise Conflict(message, field=field)


def register_member(user: User, *, name: str, type: str, postcode: str, town: str | None = None,
                    ward: str | None = None, description: str | None = "", areas_served: str | None = "",
                    charity_number: str | None = None, company_number: str | None = None,
                    website: str | None = None, contact_email: str | None = None,
                    contact_phone: str | None = None) -> Member:
    """Register a new member on behalf of `user`, who becomes its admin. It waits for vetting."""
    if type not in MEMBER_TYPES:
        raise DomainError("Choose the type of organisation", field="type")
    name = name.strip()
    charity_number = clean_charity_number(charity_number)
    company_number = clean_company_number(company_number)
    place = _place_fields(postcode)
    _check_unique(None, name=name, charity_number=charity_number, company_number=company_number)
    member = Member(
        name=name, type=type, description=(description or "").strip(), areas_served=(areas_served or "").strip(),
        charity_number=charity_number, company_number=company_number, website=website or None,
        contact_email=contact_email or user.email, contact_phone=contact_phone or None,
        postcode=place["postcode"], latitude=place["latitude"], longitude=place["longitude"],
        location_precision=place["location_precision"],
        town=town or place["default_town"], ward=ward or None, status="pending",
    )
    db.session.add(member)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, member_id=member.id, role="admin", status="active"))
    db.session.flush()
    return member


_OPTIONAL_TEXT = ("ward", "website", "contact_email", "contact_phone")


def update_member(member: Member, **fields) -> Member:
    """Change a member's profile; registration numbers and postcode are re-checked."""
    if "charity_number" in fields:
        fields["charity_number"] = clean_charity_number(fields["charity_number"])
    if "company_number" in fields:
        fields["company_number"] = clean_company_number(fields["company_number"])
    if "type" in fields and fields["type"] not in MEMBER_TYPES:
        raise DomainError("Choose the type of organisation", field="type")
    if "postcode" in fields:
        place = _place_fields(fields.pop("postcode"))
        fields.setdefault("town", place["default_town"])
        if place["postcode"] != member.postcode or member.location_precision != "point":  # a new postcode: a new place
            member.postcode, member.latitude, member.longitude = place["postcode"], place["latitude"], place["longitude"]
            member.location_precision = place["location_precision"]
    _check_unique(member, name=fields.get("name", member.name).strip(),
                  charity_number=fields.get("charity_number", member.charity_number),
                  company_number=fields.get("company_number", member.company_number))
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if key in ("description", "areas_served"):
            value = value or ""
        elif key in _OPTIONAL_TEXT:
            value = value or None
        setattr(member, key, value)
    db.session.flush()
    return member


# A place set by hand must be near the districts the exchange covers: within this of a district's centre.
PLACE_REACH_KM = 15


def set_place(member: Member, actor: User, *, latitude: float, longitude: float) -> Member:
    """The member's exact place (from a map), used for distances instead of its postcode's point.

    Its open listings at its own postcode move there too; later ones start there.
    """
    if not can_manage(actor, member):
        raise NotAllowed("Only the organisation's admins can set its place")
    if not -90 <= latitude <= 90:
        raise DomainError("Enter a latitude between -90 and 90, like 53.4142", field="latitude")
    if not -180 <= longitude <= 180:
        raise DomainError("Enter a longitude between -180 and 180, like -2.8431", field="longitude")
    nearest = min(distance_km((latitude, longitude), (lat, lon)) for lat, lon, _ in DISTRICTS.values())
    if nearest > PLACE_REACH_KM:
        raise DomainError(f"That place is {nearest:,.0f} km from Knowsley: check the numbers (latitude first, "
                          f"then longitude, with its minus sign)", field="latitude")
    _move(member, latitude, longitude, "point")
    audit.record(actor, "member.place_set", member, f"{member.name}'s place set on the map", member_id=member.id)
    return member


def clear_place(member: Member, actor: User) -> Member:
    """Back to the member's postcode's point."""
    if not can_manage(actor, member):
        raise NotAllowed("Only the organisation's admins can set its place")
    place = geocode(member.postcode)
    _move(member, place.latitude, place.longitude, place.precision)
    audit.record(actor, "member.place_cleared", member, f"{member.name}'s place is its postcode's again",
                 member_id=member.id)
    return member


def _move(member: Member, latitude: float, longitude: float, precision: str) -> None:
    from timebank.listings.models import Listing

    db.session.execute(update(Listing).where(
        Listing.member_id == member.id, Listing.status == "open", Listing.postcode == member.postcode,
    ).values(latitude=latitude, longitude=longitude, location_precision=precision))
    member.latitude, member.longitude, member.location_precision = latitude, longitude, precision
    db.session.flush()


def approve_member(member: Member, coordinator: User, *, credit_limit: Decimal | None = None) -> Member:
    require_coordinator(coordinator, "do that")
    if member.status == "active":
        raise Conflict(f"{member.name} is already approved")
    member.status = "active"
    member.status_reason = None
    member.decided_at = utcnow()
    member.decided_by_id = coordinator.id
    if credit_limit is not None:
        member.credit_limit = credit_limit
    db.session.flush()
    email_admins(member, "Your organisation has been approved", "member_approved",
                  url=external_url("members.dashboard"))
    return member


def reject_member(member: Member, coordinator: User, reason: str) -> Member:
    require_coordinator(coordinator, "do that")
    if not reason or not reason.strip():
        raise DomainError("Enter the reason, which will be emailed to the organisation", field="reason")
    if member.status != "pending":
        raise Conflict(f"{member.name} is not waiting for a decision")
    member.status = "rejected"
    member.status_reason = reason.strip()
    member.decided_at = utcnow()
    member.decided_by_id = coordinator.id
    db.session.flush()
    email_admins(member, "Your registration was not approved", "member_rejected", reason=member.status_reason)
    return member



def email_admins(member: Member, subject: str, template: str, **context) -> None:
    for membership in member.memberships:
        if membership.role == "admin" and membership.status == "active" and membership.user.is_active:
            send_email(membership.user.email, subject, template, member=member, user=membership.user, **context)


def warnings_for(member: Member, on: date | None = None) -> list[dict]:
    """Everything of the member's that has lapsed or is about to: for its dashboard."""
    found = []
    for records in compliance_records(member).values():
        for record in records:
            warning = compliance_warning(record, on)
            if warning:
                found.append({"status": warning[0], "words": warning[1], "what": describe_record(record),
                              "date": dbs_delete_on(record) if record.kind == "dbs" else record.expires_on,
                              "href": ("compliance.index", {"member_id": member.id})})
    for asset in assets_of(member):
        warning = asset_warning(asset, on)
        if warning:
            found.append({"status": warning[0], "words": warning[1], "what": asset.name, "date": asset.pat_due_on,
                          "href": ("assets.index", {"member_id": member.id})})
    return found
