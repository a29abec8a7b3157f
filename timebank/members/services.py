"""Members: registration, vetting by a coordinator, joining, and who may act for whom."""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from timebank.accounts.models import User
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.members.models import MEMBER_TYPES, Member, Membership
from timebank.notifications.email import external_url, send_email
from timebank.places import UnknownPostcode, geocode

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
            "default_town": place.town}


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
        member.postcode, member.latitude, member.longitude = place["postcode"], place["latitude"], place["longitude"]
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


def approve_member(member: Member, coordinator: User, *, credit_limit: Decimal | None = None) -> Member:
    _require_coordinator(coordinator)
    if member.status == "active":
        raise Conflict(f"{member.name} is already approved")
    member.status = "active"
    member.status_reason = None
    member.decided_at = utcnow()
    member.decided_by_id = coordinator.id
    if credit_limit is not None:
        member.credit_limit = credit_limit
    db.session.flush()
    _email_admins(member, "Your organisation has been approved", "member_approved",
                  url=external_url("members.dashboard"))
    return member


def reject_member(member: Member, coordinator: User, reason: str) -> Member:
    _require_coordinator(coordinator)
    if not reason or not reason.strip():
        raise DomainError("Enter the reason, which will be emailed to the organisation", field="reason")
    if member.status != "pending":
        raise Conflict(f"{member.name} is not waiting for a decision")
    member.status = "rejected"
    member.status_reason = reason.strip()
    member.decided_at = utcnow()
    member.decided_by_id = coordinator.id
    db.session.flush()
    _email_admins(member, "Your registration was not approved", "member_rejected", reason=member.status_reason)
    return member


def _require_coordinator(user: User) -> None:
    if not user.is_coordinator:
        raise NotAllowed("Only a coordinator can do that")


def _email_admins(member: Member, subject: str, template: str, **context) -> None:
    for membership in member.memberships:
        if membership.role == "admin" and membership.status == "active" and membership.user.is_active:
            send_email(membership.user.email, subject, template, member=member, user=membership.user, **context)


# -- who may act for whom ------------------------------------------------------------------

def membership_of(user: User, member: Member) -> Membership | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.member_id == member.id, Membership.status == "active"))


def can_act_for(user: User, member: Member) -> bool:
    """Staff and admins of the member, and coordinators, may change its data and listings."""
    return user.is_authenticated and (user.is_coordinator or membership_of(user, member) is not None)


def can_manage(user: User, member: Member) -> bool:
    """Admins of the member, and coordinators, may change its profile and people."""
    if not user.is_authenticated:
        return False
    if user.is_coordinator:
        return True
    membership = membership_of(user, member)
    return membership is not None and membership.role == "admin"


def members_of(user: User) -> list[Member]:
    """The members this user acts for, by name."""
    return list(db.session.scalars(
        select(Member).join(Membership).where(Membership.user_id == user.id, Membership.status == "active")
        .order_by(Member.name)))


def can_see_contact(user: User, member: Member) -> bool:
    """Contact details: coordinators, the member's own people, and members it is exchanging with."""
    if not user.is_authenticated:
        return False
    if user.is_coordinator or membership_of(user, member) is not None:
        return True
    return any(partner.id == member.id for own in members_of(user) for partner in exchange_partners(own))


def exchange_partners(member: Member) -> list[Member]:
    """Members this one is in a live exchange with (filled in by the exchanges module)."""
    from timebank.members import partners

    return partners.live_partners(member)


# -- assets and compliance -------------------------------------------------------------------

def add_asset(member: Member, actor: User, **fields) -> "Asset":
    """Record a room or an item of equipment the member can book out or lend."""
    from timebank.members.models import ASSET_KINDS, Asset

    if not can_act_for(actor, member):
        raise NotAllowed("You can only add assets to your own organisation")
    if fields.get("kind") not in ASSET_KINDS:
        raise DomainError("Choose room or equipment", field="kind")
    if fields["kind"] == "room" and not fields.get("capacity"):
        raise DomainError("Enter how many people the room holds", field="capacity")
    if fields.get("electrical") and fields.get("pat_result") == "fail":
        raise DomainError("An item that failed its PAT test cannot be lent until it passes", field="pat_result")
    asset = Asset(member_id=member.id, **fields)
    db.session.add(asset)
    db.session.flush()
    return asset


def add_compliance_record(member: Member, actor: User, **fields) -> "ComplianceRecord":
    """Record a safeguarding policy, an insurance policy, or a volunteer's DBS check."""
    from timebank.members.models import COMPLIANCE_KINDS, DBS_LEVELS, ComplianceRecord

    if not can_act_for(actor, member):
        raise NotAllowed("You can only add records to your own organisation")
    kind = fields.get("kind")
    if kind not in COMPLIANCE_KINDS:
        raise DomainError("Choose the kind of record", field="kind")
    if kind == "insurance" and not (fields.get("insurer") and fields.get("expires_on")):
        raise DomainError("Enter the insurer and the date the cover ends", field="insurer")
    if kind == "dbs":
        if fields.get("dbs_level") not in DBS_LEVELS:
            raise DomainError("Choose the level of the DBS check", field="dbs_level")
        if not fields.get("issued_on"):
            raise DomainError("Enter the date the certificate was issued", field="issued_on")
    record = ComplianceRecord(member_id=member.id, **fields)
    db.session.add(record)
    db.session.flush()
    return record
