"""Members: registration, vetting by a coordinator, joining, and who may act for whom."""
from __future__ import annotations

import calendar
import re
import secrets
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete, func, select, update

from timebank.accounts.models import User
from timebank.audit import services as audit
from timebank.db import today, utcnow
from timebank.errors import Conflict, DomainError, NotAllowed, NotFound
from timebank.extensions import db
from timebank.members.models import (
    ASSET_KINDS,
    BOOK_AHEAD_DAYS,
    COMPLIANCE_KINDS,
    DBS_LEVELS,
    EQUIPMENT_CONDITIONS,
    LONGEST_BOOKING_HOURS,
    LONGEST_LOAN_DAYS,
    MEMBER_TYPES,
    MEMBERSHIP_ROLES,
    Asset,
    ComplianceRecord,
    Invitation,
    Member,
    Membership,
)
from timebank.notifications.email import external_url, send_email
from timebank.places import DISTRICTS, UnknownPostcode, distance_km, geocode
from timebank.security import hash_secret

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


# -- people: joining, invitations, roles --------------------------------------------------------

INVITATION_MAX_AGE = 14 * 24 * 3600  # seconds an emailed invitation link works for


def people_of(member: Member) -> list[Membership]:
    """The member's active people: admins first, then staff, by name."""
    return list(db.session.scalars(
        select(Membership).join(User).where(Membership.member_id == member.id, Membership.status == "active")
        .order_by(Membership.role, User.display_name, User.id)))


def join_requests(member: Member) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).where(Membership.member_id == member.id, Membership.status == "requested")
        .order_by(Membership.created_at)))


def pending_invitations(member: Member) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).where(Invitation.member_id == member.id, Invitation.status == "pending")
        .order_by(Invitation.created_at)))


def requests_of(user: User) -> list[Membership]:
    """The joins this user has asked for and that are waiting for an admin."""
    return list(db.session.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.status == "requested")
        .order_by(Membership.created_at)))


def members_to_join(user: User, name: str, limit: int = 20) -> list[Member]:
    """Active members whose name contains `name`, leaving out those the user is in or has asked to join."""
    words = name.strip()
    if not words:
        return []
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    already = select(Membership.member_id).where(Membership.user_id == user.id)
    return list(db.session.scalars(
        select(Member).where(Member.status == "active", Member.name.ilike(pattern, escape="\\"),
                             Member.id.not_in(already))
        .order_by(Member.name).limit(limit)))


def _lock(member: Member) -> None:
    """Serialise changes to a member's people (PostgreSQL row lock; SQLite serialises writers anyway)."""
    db.session.execute(select(Member.id).where(Member.id == member.id).with_for_update())


def _active_admins(member: Member) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.member_id == member.id, Membership.role == "admin", Membership.status == "active"))


def _is_last_admin(membership: Membership) -> bool:
    return membership.status == "active" and membership.role == "admin" and _active_admins(membership.member) <= 1


def _require_manage(actor: User, member: Member) -> None:
    if not can_manage(actor, member):
        raise NotAllowed(f"Only admins of {member.name} and coordinators can change its people")


def request_to_join(member: Member, user: User) -> Membership:
    """Ask to join an active member as staff; its admins are emailed and decide on the People page."""
    if member.status != "active":
        raise DomainError(f"{member.name} is not taking part in the exchange at the moment")
    existing = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.member_id == member.id))
    if existing is not None and existing.status == "active":
        raise Conflict(f"You are already part of {member.name}")
    if existing is not None:
        raise Conflict(f"You have already asked to join {member.name}. Its admins have been emailed.")
    membership = Membership(user_id=user.id, member_id=member.id, role="staff", status="requested")
    db.session.add(membership)
    db.session.flush()
    audit.record(user, "membership.requested", membership, f"{user.display_name} asked to join {member.name}",
                 member_id=member.id)
    _email_admins(member, f"{user.display_name} asked to join {member.name}", "join_requested",
                  requester=user, url=external_url("people.index", member_id=member.id))
    return membership


def approve_join_request(membership: Membership, actor: User) -> Membership:
    member = membership.member
    _require_manage(actor, member)
    if membership.status != "requested":
        raise Conflict(f"{membership.user.display_name} is already part of {member.name}")
    membership.status = "active"
    db.session.flush()
    audit.record(actor, "membership.approved", membership,
                 f"{actor.display_name} let {membership.user.display_name} join {member.name}", member_id=member.id)
    send_email(membership.user.email, f"You have joined {member.name}", "join_approved", user=membership.user,
               member=member, url=external_url("members.dashboard"))
    return membership


def decline_join_request(membership: Membership, actor: User) -> None:
    member, person = membership.member, membership.user
    _require_manage(actor, member)
    if membership.status != "requested":
        raise Conflict(f"{person.display_name} is already part of {member.name}: remove them instead")
    audit.record(actor, "membership.declined", membership,
                 f"{actor.display_name} declined {person.display_name}'s request to join {member.name}",
                 member_id=member.id)
    db.session.delete(membership)
    db.session.flush()
    send_email(person.email, f"Your request to join {member.name}", "join_declined", user=person, member=member)


def read_invitation(secret: str) -> Invitation:
    """The pending invitation a link was made for; NotFound if unknown, expired, used or cancelled."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.secret_hash == hash_secret(secret))) \
        if secret and len(secret) <= 100 else None
    if invitation is None:
        raise NotFound("That invitation link is not valid. Check you copied all of it.")
    if invitation.status == "cancelled":
        raise NotFound("That invitation has been cancelled. Ask the organisation's admin to invite you again.")
    if invitation.status != "pending":
        raise NotFound("That invitation has already been accepted. Sign in to see your dashboard.")
    if invitation.created_at + timedelta(seconds=INVITATION_MAX_AGE) <= utcnow():
        raise NotFound("That invitation has expired. Ask the organisation's admin to invite you again.")
    return invitation


def invite_person(member: Member, actor: User, email: str, role: str = "staff") -> Invitation:
    """Email someone a link to join `member` in `role`; an earlier invitation to the same address is replaced."""
    from timebank.accounts.services import normalise_email

    _require_manage(actor, member)
    if role not in MEMBERSHIP_ROLES:
        raise DomainError("Choose admin or staff", field="role")
    email = normalise_email(email)
    existing = db.session.scalar(select(Membership).join(User).where(
        Membership.member_id == member.id, User.email == email))
    if existing is not None and existing.status == "active":
        raise Conflict(f"{email} is already part of {member.name}", field="email")
    if existing is not None:
        raise Conflict(f"{email} has already asked to join: approve their request below", field="email")
    for old in db.session.scalars(select(Invitation).where(
            Invitation.member_id == member.id, Invitation.email == email, Invitation.status == "pending")):
        old.status = "cancelled"
    secret = secrets.token_urlsafe(32)  # the link carries only this; the database only its hash
    invitation = Invitation(member_id=member.id, email=email, role=role, invited_by_id=actor.id,
                            secret_hash=hash_secret(secret))
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "invitation.sent", invitation, f"{actor.display_name} invited {email} to {member.name}",
                 member_id=member.id, role=role)
    send_email(email, f"{actor.display_name} invited you to join {member.name}", "invitation",
               invitation=invitation, member=member, inviter=actor, days=INVITATION_MAX_AGE // 86400,
               url=external_url("people.invitation", token=secret))
    return invitation


def cancel_invitation(invitation: Invitation, actor: User) -> None:
    _require_manage(actor, invitation.member)
    if invitation.status != "pending":
        raise Conflict(f"The invitation to {invitation.email} was already {invitation.status}")
    invitation.status = "cancelled"
    invitation.answered_at = utcnow()
    db.session.flush()
    audit.record(actor, "invitation.cancelled", invitation, f"{actor.display_name} cancelled the invitation to "
                 f"{invitation.email}", member_id=invitation.member_id)


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """The invitee (signed in with the invited address) joins the member in the invited role."""
    if invitation.status != "pending":
        raise Conflict("That invitation has already been used")
    if user.email != invitation.email:
        raise NotAllowed(f"This invitation was sent to {invitation.email}. Sign in with that address to accept it.")
    member = invitation.member
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.member_id == member.id))
    if membership is None:
        membership = Membership(user_id=user.id, member_id=member.id, role=invitation.role, status="active")
        db.session.add(membership)
    elif membership.status != "active":
        membership.status, membership.role = "active", invitation.role
    invitation.status = "accepted"
    invitation.answered_at = utcnow()
    db.session.flush()
    audit.record(user, "invitation.accepted", invitation, f"{user.display_name} joined {member.name}",
                 member_id=member.id, role=membership.role)
    return membership


def accept_invitation_with_new_account(invitation: Invitation, display_name: str, password: str) -> Membership:
    """Create the invitee's account (the link proved they read that mailbox) and accept."""
    from timebank.accounts.services import claim_unconfirmed, create_user, find_user

    user = find_user(invitation.email)
    if user is not None and user.email_confirmed_at is not None:
        raise Conflict(f"There is already an account for {invitation.email}: sign in to accept", field="password")
    if user is not None:
        # A sign-up nobody confirmed (perhaps someone else's, with this address): the link proves the mailbox.
        user = claim_unconfirmed(user, password, display_name)
    else:
        user = create_user(invitation.email, password, display_name, confirmed=True)
    return accept_invitation(invitation, user)


def change_role(membership: Membership, actor: User, role: str) -> Membership:
    member = membership.member
    _require_manage(actor, member)
    if role not in MEMBERSHIP_ROLES:
        raise DomainError("Choose admin or staff", field="role")
    if membership.status != "active":
        raise Conflict(f"{membership.user.display_name} has not joined {member.name} yet")
    _lock(member)
    if role == membership.role:
        return membership
    if role == "staff" and _is_last_admin(membership):
        raise DomainError(f"{membership.user.display_name} is the only admin of {member.name}. "
                          "Make someone else an admin first.", field="role")
    before = membership.role
    membership.role = role
    db.session.flush()
    audit.record(actor, "membership.role_changed", membership,
                 f"{actor.display_name} made {membership.user.display_name} {role} of {member.name}",
                 member_id=member.id, before=before, after=role)
    return membership


def remove_person(membership: Membership, actor: User) -> None:
    """An admin or coordinator takes someone out of a member (never its last admin)."""
    member, person = membership.member, membership.user
    _require_manage(actor, member)
    _lock(member)
    if _is_last_admin(membership):
        raise DomainError(f"{person.display_name} is the only admin of {member.name}, so cannot be removed. "
                          "Make someone else an admin first.")
    audit.record(actor, "membership.removed", membership,
                 f"{actor.display_name} removed {person.display_name} from {member.name}", member_id=member.id)
    db.session.delete(membership)
    db.session.flush()


def leave_member(membership: Membership, user: User) -> None:
    """A person leaves a member (or withdraws their request to join)."""
    member = membership.member
    if membership.user_id != user.id:
        raise NotAllowed("You can only leave for yourself")
    _lock(member)
    if _is_last_admin(membership):
        raise DomainError(f"You are the only admin of {member.name}. Make someone else an admin before you leave.")
    audit.record(user, "membership.left", membership, f"{user.display_name} left {member.name}", member_id=member.id)
    db.session.delete(membership)
    db.session.flush()


# -- compliance records -----------------------------------------------------------------------

DBS_KEEP_MONTHS = 6  # the privacy notice: DBS records are kept no longer than 6 months after the decision
WARN_DAYS = 30  # records and PAT tests due within this many days get a warning tag
CERTIFICATE_NUMBER = re.compile(r"^[0-9]{12}$")
COMPLIANCE_FIELDS = {
    "safeguarding": ("policy_held", "expires_on"),
    "insurance": ("insurer", "cover_amount", "issued_on", "expires_on"),
    "dbs": ("holder", "dbs_level", "people", "certificate_number", "issued_on", "decision", "decided_on"),
}
MAX_PEOPLE = 999
COMPLIANCE_LABELS = {"safeguarding": "Safeguarding policy", "insurance": "Public liability insurance",
                     "dbs": "DBS check"}


def certificate_need() -> str:
    """Why this exchange keeps DBS certificate numbers (DBS_CERTIFICATE_NEED); empty: it keeps none."""
    return (current_app.config.get("DBS_CERTIFICATE_NEED") or "").strip()


def masked_certificate(number: str | None) -> str:
    """A stored certificate number as shown anywhere: only its last four digits."""
    return f"\u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 {number[-4:]}" if number else ""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter (31 Aug + 6 -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def dbs_delete_on(record: ComplianceRecord) -> date | None:
    """When a DBS record must be gone: 6 months after the decision (or after issue, if no decision yet)."""
    start = record.decided_on or record.issued_on
    return add_months(start, DBS_KEEP_MONTHS) if record.kind == "dbs" and start else None


def _clean_compliance(kind: str, fields: dict) -> dict:
    """Only the fields that belong to `kind`, checked; raises DomainError beside the field at fault."""
    if kind not in COMPLIANCE_KINDS:
        raise DomainError("Choose the kind of record", field="kind")
    values = {name: fields.get(name) for name in COMPLIANCE_FIELDS[kind]}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip() or None
    now = today()
    if kind == "safeguarding":
        if values["policy_held"] is None:
            raise DomainError("Say whether you have a safeguarding policy", field="policy_held")
        if values["policy_held"] and not values["expires_on"]:
            raise DomainError("Enter the date the policy is next due for review", field="expires_on")
    elif kind == "insurance":
        if not values["insurer"]:
            raise DomainError("Enter the name of the insurer", field="insurer")
        if not values["expires_on"]:
            raise DomainError("Enter the date the cover ends", field="expires_on")
        if values["cover_amount"] is not None and values["cover_amount"] <= 0:
            raise DomainError("Enter the amount of cover in pounds, like 5000000", field="cover_amount")
        if values["issued_on"] and values["issued_on"] >= values["expires_on"]:
            raise DomainError("The cover must end after it starts", field="expires_on")
    else:
        if values["dbs_level"] not in DBS_LEVELS:
            raise DomainError("Choose the level of the DBS check", field="dbs_level")
        if not values["holder"]:
            raise DomainError("Enter whose checks these are: a role or initials", field="holder")
        if values["people"] is None or not 1 <= values["people"] <= MAX_PEOPLE:
            raise DomainError(f"Enter how many people these checks cover, from 1 to {MAX_PEOPLE}", field="people")
        number = re.sub(r"\s+", "", values["certificate_number"] or "")
        if number and not certificate_need():
            raise DomainError("We do not keep DBS certificate numbers: leave it blank", field="certificate_number")
        if number and not CERTIFICATE_NUMBER.match(number):
            raise DomainError("Enter the 12-digit certificate number, like 001234567890", field="certificate_number")
        values["certificate_number"] = number or None
        if not values["issued_on"]:
            raise DomainError("Enter the date the certificate was issued", field="issued_on")
        if values["issued_on"] > now:
            raise DomainError("The issue date must be today or in the past", field="issued_on")
        if values["decided_on"] is not None:
            if not values["decision"]:
                raise DomainError("Enter the decision you made", field="decision")
            if values["decided_on"] > now:
                raise DomainError("The decision date must be today or in the past", field="decided_on")
            if values["decided_on"] < values["issued_on"]:
                raise DomainError("The decision must be on or after the date the certificate was issued",
                                  field="decided_on")
        elif values["decision"]:
            raise DomainError("Enter the date of the decision", field="decided_on")
        start = values["decided_on"] or values["issued_on"]
        if add_months(start, DBS_KEEP_MONTHS) <= now:
            raise DomainError(f"We keep DBS records for {DBS_KEEP_MONTHS} months after the decision, so a "
                              "decision this old cannot be recorded", field="decided_on" if values["decided_on"]
                              else "issued_on")
    return values


def add_compliance_record(member: Member, actor: User, **fields) -> ComplianceRecord:
    """Record a safeguarding policy, an insurance policy, or a volunteer's DBS check."""
    if not can_act_for(actor, member):
        raise NotAllowed("You can only add records to your own organisation")
    kind = fields.get("kind")
    record = ComplianceRecord(member_id=member.id, kind=kind, **_clean_compliance(kind, fields))
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "compliance.added", record, f"{actor.display_name} added a {COMPLIANCE_LABELS[kind]} "
                 f"record to {member.name}", member_id=member.id)
    return record


def update_compliance_record(record: ComplianceRecord, actor: User, **fields) -> ComplianceRecord:
    if not can_act_for(actor, record.member):
        raise NotAllowed("You can only change your own organisation's records")
    values = _clean_compliance(record.kind, fields)
    if record.kind == "dbs" and values["certificate_number"] is None and certificate_need():
        values["certificate_number"] = record.certificate_number  # shown masked, so a blank box keeps it
    for name, value in values.items():
        setattr(record, name, value)
    db.session.flush()
    audit.record(actor, "compliance.changed", record, f"{actor.display_name} changed a "
                 f"{COMPLIANCE_LABELS[record.kind]} record of {record.member.name}", member_id=record.member_id)
    return record


def delete_compliance_record(record: ComplianceRecord, actor: User) -> None:
    if not can_act_for(actor, record.member):
        raise NotAllowed("You can only delete your own organisation's records")
    audit.record(actor, "compliance.deleted", record, f"{actor.display_name} deleted a "
                 f"{COMPLIANCE_LABELS[record.kind]} record of {record.member.name}", member_id=record.member_id)
    db.session.delete(record)
    db.session.flush()


def compliance_records(member: Member) -> dict[str, list[ComplianceRecord]]:
    """The member's records by kind, soonest to lapse first."""
    grouped: dict[str, list[ComplianceRecord]] = {kind: [] for kind in COMPLIANCE_KINDS}
    for record in db.session.scalars(select(ComplianceRecord).where(ComplianceRecord.member_id == member.id)
                                     .order_by(ComplianceRecord.expires_on, ComplianceRecord.id)):
        grouped[record.kind].append(record)
    return grouped


def compliance_warning(record: ComplianceRecord, on: date | None = None) -> tuple[str, str] | None:
    """(status, words) when the record lapses within WARN_DAYS or has lapsed: ("due" | "expired", ...)."""
    on = on or today()
    if record.kind == "safeguarding" and not record.policy_held:
        return "expired", "No safeguarding policy"
    lapse = dbs_delete_on(record) if record.kind == "dbs" else record.expires_on
    if lapse is None:
        return None
    words = {"safeguarding": ("Review overdue", "Review due soon"), "insurance": ("Expired", "Expires soon"),
             "dbs": ("Past its deletion date", "Deleted soon")}[record.kind]
    if lapse < on:
        return "expired", words[0]
    if lapse <= on + timedelta(days=WARN_DAYS):
        return "due", words[1]
    return None


DBS_LEVEL_NAMES = {"basic": "basic", "standard": "standard", "enhanced": "enhanced",
                   "enhanced_barred": "enhanced with barred list"}


def dbs_people(member_id: int, level: str, on: date) -> int:
    """How many of a member's people hold DBS checks at `level` or above, valid on `on`.

    The matcher counts the same way (matching.marketplace: MemberInput.dbs_people_on), so a need for
    six DBS-checked volunteers is met only where the records cover six.
    """
    wanted = DBS_LEVELS[level]
    return sum(record.people or 1 for record in db.session.scalars(select(ComplianceRecord).where(
        ComplianceRecord.member_id == member_id, ComplianceRecord.kind == "dbs"))
        if DBS_LEVELS[record.dbs_level] >= wanted and (record.expires_on is None or record.expires_on >= on))


def check_dbs_cover(member: Member, level: str, people: int, on: date) -> str:
    """What was checked, in words; raises DomainError when the member's checks cover too few people."""
    covered = dbs_people(member.id, level, on)
    owner = f"{member.name}'" if member.name.endswith("s") else f"{member.name}'s"
    words = (f"{owner} DBS checks at {DBS_LEVEL_NAMES[level]} level or above cover {covered} "
             f"{'person' if covered == 1 else 'people'} on {on.day} {on:%B %Y}; {people} "
             f"{'is' if people == 1 else 'are'} needed")
    if covered < people:
        raise DomainError(words + ". Ask them to record their volunteers' checks, or send fewer people.")
    return words


def insured_on(member: Member, on: date) -> bool:
    """Whether the member has public liability insurance recorded that is valid on `on` (as the matcher reads it)."""
    return db.session.scalar(select(ComplianceRecord.id).where(
        ComplianceRecord.member_id == member.id, ComplianceRecord.kind == "insurance",
        ComplianceRecord.expires_on >= on).limit(1)) is not None


def purge_dbs_records(on: date | None = None) -> int:
    """Delete every DBS record kept for 6 months after its decision (or its issue, with no decision)."""
    on = on or today()
    expired = [record.id for record in db.session.scalars(select(ComplianceRecord).where(
        ComplianceRecord.kind == "dbs")) if dbs_delete_on(record) <= on]
    if expired:
        db.session.execute(delete(ComplianceRecord).where(ComplianceRecord.id.in_(expired)))
    return len(expired)


# -- assets: rooms and equipment --------------------------------------------------------------

ASSET_FIELDS = {
    "room": ("name", "description", "capacity", "step_free", "facilities", "opening_hours", "book_ahead_days",
             "longest_booking_hours"),
    "equipment": ("name", "description", "condition", "electrical", "pat_tested_on", "pat_result", "pat_due_on",
                  "deposit", "insurance_required", "book_ahead_days", "longest_loan_days"),
}


def _bound(values: dict, name: str, limits: tuple[int, int], words: str) -> None:
    """An owner's bound: left out it is the default; otherwise a whole number from 1 to the most allowed."""
    value = values.get(name)
    if value is None:
        values[name] = limits[0]
    elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits[1]:
        raise DomainError(f"Enter {words} between 1 and {limits[1]:,}", field=name)


def _clean_asset(kind: str, fields: dict) -> dict:
    if kind not in ASSET_KINDS:
        raise DomainError("Choose room or equipment", field="kind")
    values = {name: fields.get(name) for name in ASSET_FIELDS[kind]}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    if not values["name"]:
        raise DomainError("Enter a name for it", field="name")
    values["description"] = values["description"] or ""
    _bound(values, "book_ahead_days", BOOK_AHEAD_DAYS, "how many days ahead it can be booked,")
    if kind == "room":
        _bound(values, "longest_booking_hours", LONGEST_BOOKING_HOURS, "the longest booking in hours,")
    else:
        _bound(values, "longest_loan_days", LONGEST_LOAN_DAYS, "the longest loan in days,")
    if kind == "room":
        if not values["capacity"] or values["capacity"] < 1:
            raise DomainError("Enter how many people the room holds", field="capacity")
        values["step_free"] = bool(values["step_free"])
        values["facilities"] = values["facilities"] or ""
        values["opening_hours"] = values["opening_hours"] or ""
        return values
    if values["condition"] not in EQUIPMENT_CONDITIONS:
        raise DomainError("Choose the condition it is in", field="condition")
    if values["deposit"] is not None and values["deposit"] < 0:
        raise DomainError("Enter a deposit of £0 or more", field="deposit")
    values["electrical"] = bool(values["electrical"])
    values["insurance_required"] = bool(values["insurance_required"])
    if not values["electrical"]:
        values.update(pat_tested_on=None, pat_result=None, pat_due_on=None)
        return values
    values["pat_result"] = values["pat_result"] or None
    if values["pat_result"] not in (None, "pass", "fail"):
        raise DomainError("Choose pass or fail", field="pat_result")
    tested, due = values["pat_tested_on"], values["pat_due_on"]
    if (tested is None) != (values["pat_result"] is None):
        raise DomainError("Enter both the date of the last PAT test and its result, or neither",
                          field="pat_tested_on" if tested is None else "pat_result")
    if tested is not None and tested > today():
        raise DomainError("The PAT test date must be today or in the past", field="pat_tested_on")
    if tested is not None and due is None:
        raise DomainError("Enter when the next PAT test is due", field="pat_due_on")
    if tested is not None and due <= tested:
        raise DomainError("The next test must be due after the last one", field="pat_due_on")
    return values


def add_asset(member: Member, actor: User, **fields) -> Asset:
    """Record a room or an item of equipment the member can book out or lend."""
    if not can_act_for(actor, member):
        raise NotAllowed("You can only add assets to your own organisation")
    kind = fields.get("kind")
    asset = Asset(member_id=member.id, kind=kind, **_clean_asset(kind, fields))
    db.session.add(asset)
    db.session.flush()
    audit.record(actor, "asset.added", asset, f"{actor.display_name} added {asset.name} to {member.name}",
                 member_id=member.id)
    return asset


def update_asset(asset: Asset, actor: User, **fields) -> Asset:
    if not can_act_for(actor, asset.member):
        raise NotAllowed("You can only change your own organisation's assets")
    for name in ("book_ahead_days", "longest_booking_hours", "longest_loan_days"):
        if fields.get(name) is None:
            fields[name] = getattr(asset, name)  # a bound left out or blank stays as it is
    for name, value in _clean_asset(asset.kind, fields).items():
        setattr(asset, name, value)
    db.session.flush()
    audit.record(actor, "asset.changed", asset, f"{actor.display_name} changed {asset.name}",
                 member_id=asset.member_id)
    return asset


def remove_asset(asset: Asset, actor: User) -> None:
    """Remove a room or item; refused while an open offer still points at it."""
    from timebank.listings.models import Listing

    if not can_act_for(actor, asset.member):
        raise NotAllowed("You can only remove your own organisation's assets")
    offer = db.session.scalar(select(Listing).where(Listing.asset_id == asset.id, Listing.status.in_(("open", "matched")))
                              .order_by(Listing.id).limit(1))
    if offer is not None:
        raise Conflict(f"Your offer \u201c{offer.title}\u201d is for this {asset.kind}. Withdraw it first.")
    audit.record(actor, "asset.removed", asset, f"{actor.display_name} removed {asset.name}",
                 member_id=asset.member_id)
    db.session.delete(asset)
    db.session.flush()


def assets_of(member: Member) -> list[Asset]:
    return list(db.session.scalars(select(Asset).where(Asset.member_id == member.id)
                                   .order_by(Asset.kind.desc(), Asset.name)))


def asset_warning(asset: Asset, on: date | None = None) -> tuple[str, str] | None:
    """(status, words) for an electrical item whose PAT test failed, is overdue, due soon, or missing."""
    if asset.kind != "equipment" or not asset.electrical:
        return None
    on = on or today()
    if asset.pat_result == "fail":
        return "expired", "Failed PAT test"
    if asset.pat_tested_on is None or asset.pat_due_on is None:
        return "expired", "No PAT test recorded"
    if asset.pat_due_on < on:
        return "expired", "PAT test overdue"
    if asset.pat_due_on <= on + timedelta(days=WARN_DAYS):
        return "due", "PAT test due soon"
    return None


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


def describe_record(record: ComplianceRecord) -> str:
    if record.kind == "dbs":
        people = record.people or 1
        return f"DBS checks: {record.holder or 'volunteers'} ({people} {'person' if people == 1 else 'people'})"
    if record.kind == "insurance":
        return f"Public liability insurance: {record.insurer}"
    return "Safeguarding policy"
