"""Members (organisations and businesses), the people in them, their compliance and assets."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db
from timebank.places.geocode import PRECISIONS

if TYPE_CHECKING:
    from timebank.accounts.models import User
    from timebank.listings.models import Listing

MEMBER_TYPES = {
    "charity": "Registered charity",
    "cio": "Charitable incorporated organisation (CIO)",
    "community_group": "Community group",
    "cic": "CIC or social enterprise",
    "faith_group": "Faith group",
    "public_body": "School or public body",
    "business": "Business",
}
MEMBER_STATUSES = ("pending", "active", "suspended", "rejected")
MEMBERSHIP_ROLES = ("admin", "staff")
MEMBERSHIP_STATUSES = ("active", "requested")
INVITATION_STATUSES = ("pending", "accepted", "cancelled")
COMPLIANCE_KINDS = ("safeguarding", "insurance", "dbs")
DBS_LEVELS = {"basic": 1, "standard": 2, "enhanced": 3, "enhanced_barred": 4}
ASSET_KINDS = ("room", "equipment")
EQUIPMENT_CONDITIONS = ("new", "good", "fair", "worn")
# How far ahead and how long an owner lets its room or item be booked: (default, most an owner may set).
BOOK_AHEAD_DAYS = (365, 730)
LONGEST_BOOKING_HOURS = (12, 14 * 24)
LONGEST_LOAN_DAYS = (14, 90)


class Member(db.Model):
    """An organisation or business that takes part in the exchange."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(in_list("type", MEMBER_TYPES), name="type_known"),
        CheckConstraint(in_list("status", MEMBER_STATUSES), name="status_known"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
        CheckConstraint(in_list("location_precision", PRECISIONS), name="location_precision_known"),
        Index("ix_members_status_town", "status", "town"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    areas_served: Mapped[str] = mapped_column(String(400), default="")
    charity_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    company_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    website: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    postcode: Mapped[str] = mapped_column(String(8))
    town: Mapped[str] = mapped_column(String(60))
    ward: Mapped[str | None] = mapped_column(String(60))
    latitude: Mapped[float]
    longitude: Mapped[float]
    # "postcode" or "district" from its postcode, or "point" once it sets its place (members.services.set_place).
    location_precision: Mapped[str] = mapped_column(String(8), default="district", server_default="district")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # How far below zero the member's time-credit balance may go (a positive number of hours).
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("10"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The member agreed to publish its organisation, what it offers and its open needs for
    # volunteers' time in the exchange's open data feeds (timebank/opendata/); off until it says so.
    open_data_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    open_data_consent_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="member", cascade="all, delete-orphan")
    compliance_records: Mapped[list[ComplianceRecord]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )
    assets: Mapped[list[Asset]] = relationship(back_populates="member", cascade="all, delete-orphan")
    invitations: Mapped[list[Invitation]] = relationship(back_populates="member", cascade="all, delete-orphan")
    listings: Mapped[list[Listing]] = relationship(back_populates="member")

    @property
    def type_label(self) -> str:
        return MEMBER_TYPES[self.type]

    @property
    def is_business(self) -> bool:
        return self.type == "business"

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.name!r}>"


class Membership(db.Model):
    """A person's place in a member: an admin manages it, staff act for it."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "member_id"),
        CheckConstraint(in_list("role", MEMBERSHIP_ROLES), name="role_known"),
        CheckConstraint(in_list("status", MEMBERSHIP_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="staff")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """An admin's emailed invitation to join a member; the invitee may not have an account yet."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(in_list("role", MEMBERSHIP_ROLES), name="role_known"),
        CheckConstraint(in_list("status", INVITATION_STATUSES), name="status_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16), default="staff")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    # SHA-256 of the emailed link's random secret (the link carries nothing readable).
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    member: Mapped[Member] = relationship(back_populates="invitations")
    invited_by: Mapped[User | None] = relationship()


class ComplianceRecord(db.Model):
    """Safeguarding policy, public liability insurance, or the DBS checks of some volunteers (never an image)."""

    __tablename__ = "compliance_records"
    __table_args__ = (
        CheckConstraint(in_list("kind", COMPLIANCE_KINDS), name="kind_known"),
        CheckConstraint(f"dbs_level IS NULL OR {in_list('dbs_level', DBS_LEVELS)}", name="dbs_level_known"),
        CheckConstraint("kind != 'dbs' OR (dbs_level IS NOT NULL AND issued_on IS NOT NULL)", name="dbs_complete"),
        CheckConstraint("kind != 'insurance' OR (insurer IS NOT NULL AND expires_on IS NOT NULL)", name="insurance_complete"),
        CheckConstraint("(kind = 'dbs') = (people IS NOT NULL)", name="dbs_counts_people"),
        CheckConstraint("people IS NULL OR people BETWEEN 1 AND 999", name="people_range"),
        CheckConstraint("certificate_number IS NULL OR kind = 'dbs'", name="certificate_only_for_dbs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Safeguarding: policy held and its review date (stored in expires_on).
    policy_held: Mapped[bool | None]
    # Insurance.
    insurer: Mapped[str | None] = mapped_column(String(120))
    cover_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # DBS: the level, how many people the checks cover, and whose they are as a role or initials
    # ("Youth workers", "J.S. and A.B."), never full names; the oldest certificate's issue date
    # and the member's decision. No certificate number unless the operator documents a need for
    # one (DBS_CERTIFICATE_NEED): docs/privacy.md.
    dbs_level: Mapped[str | None] = mapped_column(String(20))
    people: Mapped[int | None]
    certificate_number: Mapped[str | None] = mapped_column(String(12))
    holder: Mapped[str | None] = mapped_column(String(120))
    decision: Mapped[str | None] = mapped_column(String(120))
    # DBS: the day the decision was made; the record is deleted 6 months after it (privacy notice).
    decided_on: Mapped[date | None]
    issued_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(back_populates="compliance_records")


class Asset(db.Model):
    """A room a member can book out, or an item of equipment it can lend."""

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(in_list("kind", ASSET_KINDS), name="kind_known"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("kind != 'room' OR capacity IS NOT NULL", name="room_has_capacity"),
        CheckConstraint(f"condition IS NULL OR {in_list('condition', EQUIPMENT_CONDITIONS)}", name="condition_known"),
        CheckConstraint("pat_result IS NULL OR pat_result IN ('pass', 'fail')", name="pat_result_known"),
        CheckConstraint("deposit IS NULL OR deposit >= 0", name="deposit_not_negative"),
        CheckConstraint(f"book_ahead_days BETWEEN 1 AND {BOOK_AHEAD_DAYS[1]}", name="book_ahead_days_bounded"),
        CheckConstraint(f"longest_booking_hours BETWEEN 1 AND {LONGEST_BOOKING_HOURS[1]}",
                        name="longest_booking_hours_bounded"),
        CheckConstraint(f"longest_loan_days BETWEEN 1 AND {LONGEST_LOAN_DAYS[1]}", name="longest_loan_days_bounded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    # Rooms.
    capacity: Mapped[int | None]
    step_free: Mapped[bool] = mapped_column(default=False)
    facilities: Mapped[str] = mapped_column(String(400), default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="")
    # Equipment.
    condition: Mapped[str | None] = mapped_column(String(16))
    electrical: Mapped[bool] = mapped_column(default=False)
    pat_tested_on: Mapped[date | None]
    pat_result: Mapped[str | None] = mapped_column(String(8))
    pat_due_on: Mapped[date | None]
    deposit: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    insurance_required: Mapped[bool] = mapped_column(default=False)
    # The owner's bounds: how many days ahead it can be booked, and for how long (rooms in hours,
    # equipment in days). Every booking and loan keeps to them, however it is made.
    book_ahead_days: Mapped[int] = mapped_column(default=BOOK_AHEAD_DAYS[0], server_default=str(BOOK_AHEAD_DAYS[0]))
    longest_booking_hours: Mapped[int] = mapped_column(default=LONGEST_BOOKING_HOURS[0],
                                                       server_default=str(LONGEST_BOOKING_HOURS[0]))
    longest_loan_days: Mapped[int] = mapped_column(default=LONGEST_LOAN_DAYS[0], server_default=str(LONGEST_LOAN_DAYS[0]))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(back_populates="assets")
