"""Programmes, funds and grants: the coordinators' list, who may use each, and what is tagged with it.

A funding tag names one programme, fund or grant (its funder, its dates and a short code). The
coordinators keep the list and say which members are part of each one (or that every member may
use it). Members tag their own listings, and the exchanges they are in, with the tags they are
part of; coordinators with any. A report cut by a tag counts the help of exchanges carrying it and
the help that answered a listing carrying it (timebank/reports/figures.py: `activity_rows`).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db

if TYPE_CHECKING:
    from timebank.members.models import Member

FUNDING_KINDS = {"programme": "Programme", "fund": "Fund", "grant": "Grant"}
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,19}$"


class FundingTag(db.Model):
    """One programme, fund or grant that help can be reported against."""

    __tablename__ = "funding_tags"
    __table_args__ = (
        CheckConstraint(in_list("kind", FUNDING_KINDS), name="kind_known"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short and stable, for CSV columns and the API: "NLCF-FOOD-26". Stored in capitals.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    funder: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    # Every member may tag with it (a sector-wide programme), not only the members listed.
    open_to_all: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    members: Mapped[list[FundingTagMember]] = relationship(back_populates="tag", cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        return FUNDING_KINDS[self.kind]

    @property
    def label(self) -> str:
        """"NLCF-FOOD-26: Food resilience (grant)", as options and tables show it."""
        return f"{self.code}: {self.name} ({self.kind_label.lower()})"

    @property
    def dates_label(self) -> str:
        start = f"{self.starts_on.day} {self.starts_on:%B %Y}"
        return f"{start} to {self.ends_on.day} {self.ends_on:%B %Y}" if self.ends_on else f"from {start}"


class FundingTagMember(db.Model):
    """A member that is part of a programme, fund or grant, and so may tag with it."""

    __tablename__ = "funding_tag_members"
    __table_args__ = (UniqueConstraint("tag_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("funding_tags.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    tag: Mapped[FundingTag] = relationship(back_populates="members")
    member: Mapped[Member] = relationship()


class ListingTag(db.Model):
    """A listing tagged with a programme, fund or grant: the help that answers it counts under it."""

    __tablename__ = "listing_funding_tags"
    __table_args__ = (UniqueConstraint("listing_id", "tag_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("funding_tags.id", ondelete="RESTRICT"), index=True)
    tagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    tagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    tag: Mapped[FundingTag] = relationship()


class ExchangeTag(db.Model):
    """An exchange tagged with a programme, fund or grant: all of its help counts under it."""

    __tablename__ = "exchange_funding_tags"
    __table_args__ = (UniqueConstraint("exchange_id", "tag_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("funding_tags.id", ondelete="RESTRICT"), index=True)
    tagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    tagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    tag: Mapped[FundingTag] = relationship()
