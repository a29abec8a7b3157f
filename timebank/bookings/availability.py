"""A room's or item's availability, a week at a time, for its page: which times or days are taken.

Only the times are shown, never who booked them (the same rule as the list of times already booked).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from timebank.bookings.models import LIVE_LOAN_STATUSES, Booking, Loan, uk_today
from timebank.bookings.services import bookable_until
from timebank.extensions import db
from timebank.members.models import Asset


@dataclass
class CalendarDay:
    """One day of the calendar: the clock times booked (a room) or whether it is lent (an item)."""

    day: date
    times: list[tuple[str, str]] = field(default_factory=list)
    lent: bool = False

    @property
    def free(self) -> bool:
        return not self.times and not self.lent

    @property
    def past(self) -> bool:
        """Gone by: it cannot be booked, whatever was booked on it."""
        return self.day < uk_today()


@dataclass
class Week:
    monday: date
    days: list[CalendarDay]
    previous: date | None  # the Monday before, if it is not wholly past
    next: date | None  # the Monday after, if any of it can be booked


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _clock(moment: datetime, day: date) -> str:
    """A booking's edge on `day`: its clock time, or the day's own start or end when it runs over."""
    if moment.date() < day:
        return "00:00"
    if moment.date() > day:
        return "24:00"
    return f"{moment:%H:%M}"


def week(asset: Asset, day: date | None = None) -> Week:
    """The week (Monday to Sunday) holding `day`: this week if none or past, the last bookable week at most."""
    day = min(day, bookable_until(asset)) if day and day >= uk_today() else uk_today()
    monday = monday_of(day)
    days = [CalendarDay(monday + timedelta(days=i)) for i in range(7)]
    start, end = datetime.combine(monday, time()), datetime.combine(monday + timedelta(days=7), time())
    if asset.kind == "room":
        rows = db.session.scalars(select(Booking).where(
            Booking.asset_id == asset.id, Booking.status != "cancelled", Booking.starts_at < end,
            Booking.ends_at > start).order_by(Booking.starts_at))
        for booking in rows:
            for calendar_day in days:
                midnight = datetime.combine(calendar_day.day, time())
                if booking.starts_at < midnight + timedelta(days=1) and booking.ends_at > midnight:
                    calendar_day.times.append((_clock(booking.starts_at, calendar_day.day),
                                               _clock(booking.ends_at, calendar_day.day)))
    else:
        rows = db.session.scalars(select(Loan).where(
            Loan.asset_id == asset.id, Loan.status.in_(LIVE_LOAN_STATUSES), Loan.starts_on < monday + timedelta(days=7),
            Loan.due_on >= monday))
        for loan in rows:
            for calendar_day in days:
                if loan.starts_on <= calendar_day.day <= loan.due_on:
                    calendar_day.lent = True
    previous = monday - timedelta(days=7) if monday > monday_of(uk_today()) else None
    following = monday + timedelta(days=7)
    return Week(monday, days, previous, following if following <= bookable_until(asset) else None)
