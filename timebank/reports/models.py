"""Valuation rates: what an hour, a day or a person-year is worth, with its source and licence.

A rate applies to one kind of help (time, skill, room, equipment) or to one category (and that
category's children), for the days from `valid_from` to `valid_to` (open-ended when empty). Its
band says how reports use it: low, central and high give the replacement-cost range of time;
"licensed" rates are the named slots of licensed measures (National TOMs, HACT) that stay empty
(value NULL) until a member holding the licence fills them in.

A rate is never changed in place: a new value is a new version of it, from a date. The version
before ends the day before, so a report on days before the change keeps the value it had, and
every report names the version it used. Versions of one rate share `series_id` (the first
version's id) and are numbered from 1.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db

if TYPE_CHECKING:
    from timebank.listings.models import Category

RATE_KINDS = ("time", "skill", "room", "equipment")
RATE_UNITS = {"hour": "per hour", "day": "per day", "person_year": "per person-year", "gbp": "per GBP of in-kind value"}
RATE_BANDS = {"low": "Low", "central": "Central", "high": "High", "licensed": "Licensed measure"}
MEASURE_CODES = ("NT15", "NT16", "NT17", "NT28", "NT29", "HACT")


class ValuationRate(db.Model):
    """One sourced rate (or an empty licensed slot) for one kind or category, for a span of dates."""

    __tablename__ = "valuation_rates"
    __table_args__ = (
        CheckConstraint("(kind IS NULL) != (category_id IS NULL)", name="one_scope"),
        CheckConstraint(f"kind IS NULL OR {in_list('kind', RATE_KINDS)}", name="kind_known"),
        CheckConstraint(in_list("unit", RATE_UNITS), name="unit_known"),
        CheckConstraint(in_list("band", RATE_BANDS), name="band_known"),
        CheckConstraint(f"measure_code IS NULL OR {in_list('measure_code', MEASURE_CODES)}", name="measure_known"),
        CheckConstraint("value IS NULL OR value >= 0", name="value_not_negative"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_ordered"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("(series_id IS NULL) = (version = 1)", name="first_version_starts_series"),
        UniqueConstraint("series_id", "version"),
        Index("ix_valuation_rates_band_dates", "band", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    # NULL: an empty slot (a licensed measure nobody has filled in, or a market rate not yet set).
    value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    region: Mapped[str] = mapped_column(String(80), default="UK")
    source: Mapped[str] = mapped_column(String(300), default="")
    source_url: Mapped[str | None] = mapped_column(String(500))
    licence: Mapped[str] = mapped_column(String(200), default="")
    band: Mapped[str] = mapped_column(String(16))
    measure_code: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The first version of this rate (NULL for the first version itself), and this one's number.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("valuation_rates.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    category: Mapped[Category | None] = relationship()

    @property
    def unit_label(self) -> str:
        return RATE_UNITS[self.unit]

    @property
    def band_label(self) -> str:
        return RATE_BANDS[self.band]

    @property
    def scope_label(self) -> str:
        if self.category is not None:
            return f"Category: {self.category.path}"
        return {"time": "Volunteer time", "skill": "Skills and expert advice", "room": "Rooms",
                "equipment": "Equipment"}[self.kind]

    @property
    def series(self) -> int:
        """The id shared by every version of this rate."""
        return self.series_id or self.id

    @property
    def version_label(self) -> str:
        """"version 2, from 1 April 2026": which version a report used."""
        return f"version {self.version}, from {self.valid_from.day} {self.valid_from:%B %Y}"

    @property
    def is_empty(self) -> bool:
        return self.value is None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def __repr__(self) -> str:
        return f"<ValuationRate {self.id} {self.name!r} {self.value} {self.unit} {self.valid_from}..{self.valid_to}>"


class NetworkFigureSet(db.Model):
    """The collaboration network's figures for one period (and cut), as worked out at `computed_at`.

    Working them out takes seconds in a big sector, so the sector dashboard and the network pages
    read them from here: the daily job `network-figures` works out the usual periods, any other is
    worked out on its first request, and a set older than NETWORK_FIGURES_HOURS is worked out
    again (timebank/reports/network.py: `figures_for`). Member ids and counts only: names are read
    when a page is shown.
    """

    __tablename__ = "network_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The period and the cut, as one comparable value: "2025-04-01..2025-06-30 tag 3", "..", ...
    key: Mapped[str] = mapped_column(String(80), unique=True)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("funding_tags.id", ondelete="CASCADE"), index=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
