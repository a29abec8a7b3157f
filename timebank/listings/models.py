"""Offers and needs of time, skills, rooms and equipment, and the category taxonomy."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, today, utcnow
from timebank.extensions import db
from timebank.places.geocode import PRECISIONS

if TYPE_CHECKING:
    from timebank.members.models import Asset, Member

DIRECTIONS = ("offer", "need")
KINDS = ("time", "skill", "room", "equipment")
UNITS = {"time": "hours", "skill": "hours", "room": "hours", "equipment": "days"}
LOCATIONS = {"at_giver": "At the giver's place", "at_receiver": "At the receiver's place", "remote": "Remote (phone or online)"}
LISTING_STATUSES = ("open", "matched", "fulfilled", "withdrawn", "expired")
URGENCIES = {1: "Low", 2: "Normal", 3: "High", 4: "Urgent"}

# Weekly availability: 7 days x 3 parts of the day, one bit each (Monday morning is bit 0).
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_PARTS = ("morning", "afternoon", "evening")
ALL_WEEK = (1 << (len(DAYS) * len(DAY_PARTS))) - 1
# Parts of one day, one bit each (morning is bit 0): a one-off date's parts.
ALL_DAY = (1 << len(DAY_PARTS)) - 1
MAX_DATES = 20
# The most hours (days, for equipment) a listing asks or offers, or one person gives in a part of an
# exchange: one bound for the forms, the API and the services.
MOST_HOURS = Decimal(10000)
LEAST_HOURS = Decimal("0.25")  # a quarter of an hour: the least any form, the API or a service takes
# How a listing says when: particular times of the week, particular dates, or any time at all
# (flexible). Read from what it holds (`Listing.availability`), so it needs no column of its own.
AVAILABILITIES = {"weekly": "On particular days of the week", "dates": "On particular dates",
                  "any_time": "Any time: we are flexible"}


class Category(db.Model):
    """A node of the taxonomy shipped in seed/categories.json (for example finance > bookkeeping)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent")

    @property
    def path(self) -> str:
        return f"{self.parent.name} > {self.name}" if self.parent else self.name


class Listing(db.Model):
    """One offer or need of one kind, with when, where, how much and what it requires."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(in_list("direction", DIRECTIONS), name="direction_known"),
        CheckConstraint(in_list("kind", KINDS), name="kind_known"),
        CheckConstraint(in_list("location", LOCATIONS), name="location_known"),
        CheckConstraint(in_list("status", LISTING_STATUSES), name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("people >= 1", name="people_positive"),
        CheckConstraint("available_until >= available_from", name="window_ordered"),
        CheckConstraint(f"weekly_pattern BETWEEN 1 AND {ALL_WEEK}", name="weekly_pattern_range"),
        CheckConstraint("travel_km >= 0", name="travel_not_negative"),
        CheckConstraint("urgency BETWEEN 1 AND 4", name="urgency_range"),
        CheckConstraint("min_capacity IS NULL OR min_capacity > 0", name="min_capacity_positive"),
        CheckConstraint("direction = 'offer' OR NOT is_gift", name="only_offers_are_gifts"),
        CheckConstraint("direction = 'offer' OR asset_id IS NULL", name="only_offers_have_assets"),
        CheckConstraint(in_list("location_precision", PRECISIONS), name="location_precision_known"),
        Index("ix_listings_search", "status", "kind", "direction", "category_id"),
        Index("ix_listings_place", "status", "latitude", "longitude"),
        Index("ix_listings_expiry", "status", "expires_on"),
        # The whole directory, newest first, and its count, read from this index alone: ORDER BY
        # created_at DESC, id DESC walks it backwards, and expires_on and member_id are here so
        # that "open, not expired, of an active member" needs no visit to the table.
        Index("ix_listings_newest", "status", "created_at", "id", "expires_on", "member_id"),
        # Offers that could serve a need (the dashboard, for every open need): thousands of
        # candidates at 100,000 listings, filtered and sorted by distance from this index alone.
        Index("ix_listings_nearby", "status", "direction", "kind", "category_id", "latitude", "longitude",
              "location", "expires_on", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    people: Mapped[int] = mapped_column(default=1)
    available_from: Mapped[date]
    available_until: Mapped[date]
    weekly_pattern: Mapped[int] = mapped_column(default=ALL_WEEK)
    location: Mapped[str] = mapped_column(String(16), default="at_giver")
    postcode: Mapped[str] = mapped_column(String(8))
    town: Mapped[str] = mapped_column(String(60))
    ward: Mapped[str | None] = mapped_column(String(60))
    latitude: Mapped[float]
    longitude: Mapped[float]
    # How precise the point is: "point" (set by its member), "postcode" or "district" (timebank.places).
    location_precision: Mapped[str] = mapped_column(String(8), default="district", server_default="district")
    travel_km: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=Decimal("5"))
    min_dbs_level: Mapped[str | None] = mapped_column(String(20))
    needs_step_free: Mapped[bool] = mapped_column(default=False)
    min_capacity: Mapped[int | None]
    needs_insurance: Mapped[bool] = mapped_column(default=False)
    urgency: Mapped[int] = mapped_column(default=2)
    is_gift: Mapped[bool] = mapped_column(default=False)
    partial_ok: Mapped[bool] = mapped_column(default=False)
    expires_on: Mapped[date]
    # The expiry date its member was warned of (a week before); a renewal moves expires_on, so
    # the new date is warned of in its turn.
    expiry_warned_for: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship(back_populates="listings")
    category: Mapped[Category] = relationship()
    asset: Mapped[Asset | None] = relationship()
    # One-off dates: when a listing has them, it is available on those days only (its window runs
    # from the first to the last, and its weekly pattern is their weekdays and parts, for the matcher).
    dates: Mapped[list[ListingDate]] = relationship(back_populates="listing", order_by="ListingDate.day",
                                                    cascade="all, delete-orphan")

    @property
    def unit(self) -> str:
        return UNITS[self.kind]

    @property
    def is_open(self) -> bool:
        """Open and not past its expiry date (whether or not the daily expiry job has run)."""
        return self.status == "open" and self.expires_on >= today()

    @property
    def availability(self) -> str:
        """"dates" (one-off dates), "any_time" (every day and time of its window) or "weekly"."""
        if self.dates:
            return "dates"
        return "any_time" if self.weekly_pattern == ALL_WEEK else "weekly"

    @property
    def is_offer(self) -> bool:
        return self.direction == "offer"

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.direction} {self.kind} {self.title!r}>"


class ListingDate(db.Model):
    """A day a listing is available on (one-off dates, not every week), and which parts of it."""

    __tablename__ = "listing_dates"
    __table_args__ = (
        UniqueConstraint("listing_id", "day"),
        CheckConstraint(f"parts BETWEEN 1 AND {ALL_DAY}", name="parts_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    day: Mapped[date]
    parts: Mapped[int] = mapped_column(default=ALL_DAY)

    listing: Mapped[Listing] = relationship(back_populates="dates")

    @property
    def part_names(self) -> list[str]:
        return [p for i, p in enumerate(DAY_PARTS) if self.parts >> i & 1]


# The full-text search schema hangs off Listing's table events; importing it here means every
# `create_all` (tests, benchmarks) builds it with the table.
from timebank.listings import search as _search  # noqa: E402,F401
# The vocabulary tables (typo-tolerant search) and the flush hook that keeps them.
from timebank.listings import words as _words  # noqa: E402,F401
