"""Room bookings (time slots) and equipment loans (whole days), and each member's calendar feed.

Times of a booking are UK wall-clock times (Europe/London), as people type and read them, so
"10:00 to 12:00 on 3 March" means the same in summer and in winter. Loans run from `starts_on` to
`due_on`, both days included.

No two live bookings of one room overlap, and no two live loans of one item share a day. The
services check that under a lock on the asset row; on PostgreSQL an exclusion constraint holds the
rule as well, whoever writes the rows (see docs/bookings.md).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, literal_column
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db

if TYPE_CHECKING:
    from timebank.accounts.models import User
    from timebank.exchanges.models import Leg
    from timebank.members.models import Asset, Member

BOOKING_STATUSES = ("confirmed", "cancelled", "completed")
LOAN_STATUSES = ("reserved", "out", "returned", "cancelled")
# Loans that hold the item: a returned or cancelled loan frees its days.
LIVE_LOAN_STATUSES = ("reserved", "out")
# A weekly booking is asked for 2 to 52 times (a year of weeks), every week or every other week.
SERIES_TIMES = (2, 52)
SERIES_EVERY_WEEKS = (1, 2)
UK = ZoneInfo("Europe/London")


def uk_now() -> datetime:
    """Now on a Knowsley clock, naive (as booking times are stored)."""
    return datetime.now(UK).replace(tzinfo=None)


def uk_today() -> date:
    return uk_now().date()


def _exclusion(*elements, where: str, name: str) -> ExcludeConstraint:
    """A PostgreSQL exclusion constraint (other databases skip it: the service's lock serialises).

    `int4range(asset_id, asset_id, '[]')` stands in for `asset_id WITH =`, which would need the
    btree_gist extension; range types have GiST support built in.
    """
    return ExcludeConstraint(*((literal_column(sql), op) for sql, op in elements), using="gist",
                             where=literal_column(where), name=name).ddl_if(dialect="postgresql")


class Booking(db.Model):
    """A member's booking of another member's room for a time slot."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(in_list("status", BOOKING_STATUSES), name="status_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_bookings_asset_starts", "asset_id", "starts_at"),
        _exclusion(("int4range(asset_id, asset_id, '[]')", "&&"), ("tsrange(starts_at, ends_at, '[)')", "&&"),
                   where="status <> 'cancelled'", name="ex_bookings_no_overlap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"))
    # The borrower: the member using the room.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("legs.id", ondelete="SET NULL"), index=True)
    # One time of a weekly booking, if it is one.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id", ondelete="RESTRICT"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]

    asset: Mapped[Asset] = relationship()
    member: Mapped[Member] = relationship()
    leg: Mapped[Leg | None] = relationship()
    series: Mapped[BookingSeries | None] = relationship(back_populates="bookings")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def lender(self) -> Member:
        return self.asset.member

    def __repr__(self) -> str:
        return f"<Booking {self.id} asset={self.asset_id} {self.starts_at}-{self.ends_at} {self.status}>"


class BookingSeries(db.Model):
    """A room booked at the same time every week (or every other week), a number of times.

    Each time is a Booking of its own (`series_id`), checked and held like any other; the series
    keeps what was asked for, so a time left out because it was taken is still known: it is a day
    of `days()` with no booking.
    """

    __tablename__ = "booking_series"
    __table_args__ = (
        CheckConstraint("ends_time > starts_time", name="ends_after_start"),
        CheckConstraint(f"times BETWEEN {SERIES_TIMES[0]} AND {SERIES_TIMES[1]}", name="times_bounded"),
        CheckConstraint(f"every_weeks IN {SERIES_EVERY_WEEKS}", name="every_weeks_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    first_day: Mapped[date]
    starts_time: Mapped[time]
    ends_time: Mapped[time]
    every_weeks: Mapped[int] = mapped_column(default=1)
    times: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship()
    member: Mapped[Member] = relationship()
    bookings: Mapped[list[Booking]] = relationship(back_populates="series", order_by="Booking.starts_at")

    def days(self) -> list[date]:
        """Every day asked for, booked or left out."""
        return [self.first_day + timedelta(weeks=self.every_weeks * i) for i in range(self.times)]

    @property
    def left_out(self) -> list[date]:
        """The days asked for that were left out because they were taken."""
        booked = {booking.starts_at.date() for booking in self.bookings}
        return [day for day in self.days() if day not in booked]

    def __repr__(self) -> str:
        return f"<BookingSeries {self.id} asset={self.asset_id} from {self.first_day} x{self.times}>"


class Loan(db.Model):
    """A member's loan of another member's item of equipment, for whole days."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(in_list("status", LOAN_STATUSES), name="status_known"),
        CheckConstraint("due_on >= starts_on", name="due_not_before_start"),
        Index("ix_loans_asset_starts", "asset_id", "starts_on"),
        Index("ix_loans_status_due", "status", "due_on"),
        _exclusion(("int4range(asset_id, asset_id, '[]')", "&&"), ("daterange(starts_on, due_on, '[]')", "&&"),
                   where="status IN ('reserved', 'out')", name="ex_loans_no_overlap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"))
    # The borrower: the member taking the item away.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("legs.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[date]
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="reserved")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_out_at: Mapped[datetime | None]
    checked_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    condition_out: Mapped[str | None] = mapped_column(Text)
    # For electrical items: the lender confirmed a visual inspection or test on the day it went out.
    pat_checked: Mapped[bool | None]
    returned_at: Mapped[datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    condition_in: Mapped[str | None] = mapped_column(Text)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Overdue reminders go at most once a day.
    reminded_on: Mapped[date | None]

    asset: Mapped[Asset] = relationship()
    member: Mapped[Member] = relationship()
    leg: Mapped[Leg | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def lender(self) -> Member:
        return self.asset.member

    def is_overdue(self, on: date | None = None) -> bool:
        return self.status == "out" and self.due_on < (on or uk_today())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def days(self) -> int:
        return (self.due_on - self.starts_on).days + 1

    def __repr__(self) -> str:
        return f"<Loan {self.id} asset={self.asset_id} {self.starts_on}..{self.due_on} {self.status}>"


class CalendarFeed(db.Model):
    """A member's calendar feed: its secret link carries `version`, so making a new link ends the old one."""

    __tablename__ = "calendar_feeds"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    reset_at: Mapped[datetime | None]
    reset_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
