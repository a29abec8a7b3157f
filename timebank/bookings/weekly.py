"""A room booked at the same time every week: every time checked, all of them booked or none.

`book_weekly` takes the room's lock once, checks each time asked for against the room's bookings,
and books them all in the one transaction, or refuses with `TimesTaken`, which names every time
that is taken, and saves nothing. The person may then leave those days out, explicitly
(`leave_out`: the days they were shown); a time taken since they looked is refused again, never
dropped without their say. Each time is an ordinary Booking, so the never-double-booked guarantee
(the lock, and PostgreSQL's exclusion constraint) holds for it as for any other (docs/bookings.md).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from timebank.audit.services import record
from timebank.bookings.models import SERIES_EVERY_WEEKS, SERIES_TIMES, Booking, BookingSeries, uk_now
from timebank.bookings.services import (DoubleBooking, _check_parties, _clock, _insert_all, _lock_asset,
                                        booking_clash, bookable_until, check_room_slot, day_words, describe_slot)
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.members.models import Asset, Member
from timebank.members.access import can_act_for
from timebank.notifications.links import Page
from timebank.notifications.services import notify_member


def weekly_days(first_day: date, times: int, every_weeks: int = 1) -> list[date]:
    """The days of a weekly booking: `times` days, `every_weeks` weeks apart, from `first_day`."""
    return [first_day + timedelta(weeks=every_weeks * i) for i in range(times)]


def _slot(day: date, starts: time, ends: time) -> tuple[datetime, datetime]:
    return datetime.combine(day, starts), datetime.combine(day, ends)


def weekday_words(day: date) -> str:
    """'Tuesday 3 March 2027'."""
    return f"{day:%A} {day_words(day)}"


def describe_weekly(first_day: date, starts: time, ends: time, times: int, every_weeks: int = 1) -> str:
    """'every Tuesday from 10:00 to 12:00, 8 times from 3 March 2027 to 21 April 2027'."""
    every = f"every {first_day:%A}" if every_weeks == 1 else f"every other {first_day:%A}"
    last = weekly_days(first_day, times, every_weeks)[-1]
    return (f"{every} from {starts:%H:%M} to {ends:%H:%M}, {times} times from {day_words(first_day)} "
            f"to {day_words(last)}")


def describe_series(series: BookingSeries) -> str:
    words = describe_weekly(series.first_day, series.starts_time, series.ends_time, series.times, series.every_weeks)
    left_out = series.left_out
    if left_out:
        words += f" (leaving out {_and(day_words(day) for day in left_out)})"
    return words


def _and(words: Iterable[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class TakenTime:
    """A time asked for that the room is already booked at, and the booking in the way."""

    starts_at: datetime
    ends_at: datetime
    booked_from: datetime
    booked_until: datetime

    @property
    def day(self) -> date:
        return self.starts_at.date()

    def words(self) -> str:
        """'Tuesday 17 March 2027 (booked from 09:00 to 11:00)'."""
        same_day = self.booked_from.date() == self.booked_until.date() == self.day
        booked = (f"from {_clock(self.booked_from)} to {_clock(self.booked_until)}" if same_day
                  else describe_slot(self.booked_from, self.booked_until))
        return f"{weekday_words(self.day)} (booked {booked})"


class TimesTaken(DoubleBooking):
    """Some of the times of a weekly booking are taken; `taken` names each one. Nothing was booked."""

    def __init__(self, asset: Asset, asked: int, taken: list[TakenTime]):
        self.taken = taken
        self.asked = asked
        self.free = asked - len(taken)
        at = f"all {asked}" if not self.free else f"{len(taken)} of the {asked}"
        message = (f"{asset.name} is already booked at {at} times you asked for: "
                   f"{_and(t.words() for t in taken)}. ")
        if not self.free:
            message += "Choose another time or day."
        else:
            them = "it" if len(taken) == 1 else "them"
            message += (f"Choose another time, or leave {them} out and book the other {self.free}.")
        super().__init__(message, field="leave_out")


def _taken(asset: Asset, slots: list[tuple[datetime, datetime]]) -> list[TakenTime]:
    taken = []
    for starts_at, ends_at in slots:
        clash = booking_clash(asset, starts_at, ends_at)
        if clash is not None:
            taken.append(TakenTime(starts_at, ends_at, clash.starts_at, clash.ends_at))
    return taken


def _check_times(asset: Asset, first_day: date, starts: time, ends: time, times: int, every_weeks: int) -> list[date]:
    if not isinstance(times, int) or not SERIES_TIMES[0] <= times <= SERIES_TIMES[1]:
        raise DomainError(f"Enter how many times to book, from {SERIES_TIMES[0]} to {SERIES_TIMES[1]}", field="times")
    if every_weeks not in SERIES_EVERY_WEEKS:
        raise DomainError("Choose every week or every other week", field="every_weeks")
    if ends <= starts:
        raise DomainError("The end time must be after the start time", field="ends_at")
    # The first time first: past the room's book-ahead limit (a year 9999 date included), nothing
    # further is counted, so no later date is computed from it.
    check_room_slot(asset, *_slot(first_day, starts, ends))
    days = weekly_days(first_day, times, every_weeks)
    limit = bookable_until(asset)
    if days[-1] > limit:
        fit = sum(1 for day in days if day <= limit)
        raise DomainError(f"{asset.name} can be booked up to {asset.book_ahead_days} days ahead, so only the first "
                          f"{fit} of these times can be booked now (up to {day_words(limit)}): "
                          f"choose {fit} times or fewer", field="times")
    return days


def book_weekly(asset: Asset, member: Member, first_day: date, starts: time, ends: time, times: int, actor, *,
                every_weeks: int = 1, leave_out: Iterable[date] = (), note: str = "") -> BookingSeries:
    """Book the room for `member` on `times` days, `every_weeks` apart, from `starts` to `ends` (UK clock times).

    Every time is checked under the room's lock. If any is taken (other than those in
    `leave_out`, which the person chose to leave out), TimesTaken names each one and nothing is
    booked; otherwise every time not left out is booked, in this transaction.
    """
    _check_parties(asset, member, actor, "room")
    days = _check_times(asset, first_day, starts, ends, times, every_weeks)
    leave_out = set(leave_out)
    strange = sorted(leave_out - set(days))
    if strange:
        raise DomainError(f"{weekday_words(strange[0])} is not one of the days you asked for", field="leave_out")
    slots = [_slot(day, starts, ends) for day in days if day not in leave_out]
    if not slots:
        raise DomainError("You left out every day: there is nothing left to book", field="leave_out")
    _lock_asset(asset)
    taken = _taken(asset, slots)
    if taken:
        raise TimesTaken(asset, len(slots), taken)
    series = BookingSeries(asset_id=asset.id, member_id=member.id, first_day=first_day, starts_time=starts,
                           ends_time=ends, every_weeks=every_weeks, times=times, note=note.strip(),
                           created_by_id=getattr(actor, "id", None))
    bookings = [Booking(asset_id=asset.id, member_id=member.id, series=series, starts_at=starts_at, ends_at=ends_at,
                        note=note.strip(), created_by_id=getattr(actor, "id", None), status="confirmed")
                for starts_at, ends_at in slots]
    _insert_all([series, *bookings], lambda: TimesTaken(asset, len(slots), _taken(asset, slots)))
    words = describe_series(series)
    record(actor, "booking.series_created", series, f"{member.name} booked {asset.name} {words}",
           member_id=asset.member_id, borrower_id=member.id, booking_ids=[b.id for b in bookings],
           left_out=sorted(leave_out))
    notify_member([asset.member], "bookings", f"{member.name} booked {asset.name} {words}.",
                  page=Page("bookings.member_bookings", member_id=asset.member_id))
    notify_member([member], "bookings", f"Your booking of {asset.name} ({asset.member.name}) {words} is confirmed.",
                  page=Page("bookings.member_bookings", member_id=member.id))
    return series


def coming_bookings(series: BookingSeries, now: datetime | None = None) -> list[Booking]:
    """The series' confirmed times that have not started yet."""
    now = now or uk_now()
    return [b for b in series.bookings if b.status == "confirmed" and b.starts_at > now]


def cancel_series(series: BookingSeries, actor, reason: str) -> list[Booking]:
    """Cancel every time of the series still to come (the borrower or the room's owner); both sides are told."""
    asset = series.asset
    if not (can_act_for(actor, series.member) or can_act_for(actor, asset.member)):
        raise NotAllowed("Only the borrower's and the room owner's people can cancel this booking")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason, which will be sent to the other organisation", field="reason")
    coming = coming_bookings(series)
    if not coming:
        raise Conflict("Every time of this weekly booking has already happened or been cancelled")
    now = utcnow()
    for booking in coming:
        booking.status, booking.cancelled_at = "cancelled", now
        booking.cancelled_by_id, booking.cancel_reason = getattr(actor, "id", None), reason
    db.session.flush()
    days = _and(day_words(b.starts_at.date()) for b in coming)
    record(actor, "booking.series_cancelled", series, f"Weekly booking of {asset.name} cancelled for {len(coming)} "
           f"times ({days}): {reason}", member_id=asset.member_id, borrower_id=series.member_id, reason=reason,
           booking_ids=[b.id for b in coming])
    text = (f"The weekly booking of {asset.name} by {series.member.name} ({describe_series(series)}) is cancelled "
            f"for the {len(coming)} times still to come. Reason: {reason}")
    notify_member([asset.member, series.member], "bookings", text, page=Page("bookings.member_bookings", member_id=series.member_id))
    return coming
