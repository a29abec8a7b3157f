"""A default schedule for an accepted exchange, from what its listings say, or why there is none.

Coordinators approve several exchanges at once from the work queue (`timebank.exchanges.queue`);
each needs a start and an end for every leg. A leg's default comes from its offer and its need:
the first day both listings are available from tomorrow on, on a weekday and part of the day both
weekly patterns allow (a weekend only if no weekday fits), never on a bank holiday in England;
hours from the leg (days for equipment). Anything the listings do not settle (no listings, no
shared day, more than a day's work) is said in plain words, so the coordinator schedules that
exchange by hand on its approve page.

The approve and reschedule forms (and the API) also check a chosen slot against the same shared
times (`check_slot`), show each side's availability (`shared`, `describe_pattern`) and start from
the default (`suggest`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays

from timebank.bookings.models import uk_today
from timebank.exchanges.models import Exchange, Leg
from timebank.errors import DomainError
from timebank.listings.models import ALL_WEEK, DAY_PARTS, DAYS, Listing

# When each part of the day starts, and the latest a slot may end.
PART_STARTS = {"morning": time(10), "afternoon": time(14), "evening": time(18)}
LATEST_END = time(21)
LONGEST_SLOT_HOURS = Decimal(8)
LOAN_COLLECT, LOAN_RETURN = time(10), time(16)


@dataclass(frozen=True)
class DefaultSchedule:
    """Each leg's (start, end) on the UK clock, or the reason there is no default (`why_not`)."""

    schedule: dict[int, tuple[datetime, datetime]] | None
    why_not: str | None = None


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def _parts(listing: Listing, day: date) -> set[str]:
    """The parts of `day` the listing's weekly pattern allows (Monday morning is bit 0)."""
    base = day.weekday() * len(DAY_PARTS)
    return {part for i, part in enumerate(DAY_PARTS) if listing.weekly_pattern >> (base + i) & 1}


def _days(first: date, last: date):
    """Days from first to last: weekdays first, then weekend days, each in date order."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    days = [d for d in days if not is_bank_holiday(d)]
    return [d for d in days if d.weekday() < 5] + [d for d in days if d.weekday() >= 5]


def leg_default(leg: Leg, today: date) -> tuple[datetime, datetime] | str:
    """The leg's default (start, end), or why it has none."""
    label = f"Part {leg.position + 1}"
    offer, need = leg.offer, leg.need
    if offer is None or need is None:
        return f"{label} has no offer and need to take dates from: set its dates by hand"
    first = max(offer.available_from, need.available_from, today + timedelta(days=1))
    last = min(offer.available_until, need.available_until)
    if last < first:
        return f"{label}: the offer and the need share no day from tomorrow on"
    amount = Decimal(leg.hours)
    if leg.kind == "equipment":
        days = max(1, int(amount.to_integral_value(rounding="ROUND_CEILING")))
        for day in _days(first, last):
            end_day = day + timedelta(days=days - 1)
            if end_day <= last and _parts(offer, day) & _parts(need, day):
                return datetime.combine(day, LOAN_COLLECT), datetime.combine(end_day, LOAN_RETURN)
        return f"{label}: no {days}-day loan fits the days both listings share"
    if amount > LONGEST_SLOT_HOURS:
        return f"{label} is {amount.normalize():f} hours, more than a day: set its dates by hand"
    for day in _days(first, last):
        shared = _parts(offer, day) & _parts(need, day)
        for part in DAY_PARTS:
            if part not in shared:
                continue
            start = datetime.combine(day, PART_STARTS[part])
            end = start + timedelta(hours=float(amount))
            if end <= datetime.combine(day, LATEST_END):
                return start, end
    return f"{label}: the two listings' weekly times never meet on a day they share"


def part_of_day(moment: datetime) -> str:
    return "morning" if moment.hour < 12 else "afternoon" if moment.hour < 17 else "evening"


def _bit(day: date, part: str) -> int:
    return 1 << (day.weekday() * len(DAY_PARTS) + DAY_PARTS.index(part))


def describe_pattern(pattern: int) -> str:
    """ "Monday to Friday mornings; Saturday afternoons" style, for people."""
    if pattern == ALL_WEEK:
        return "any day, any time"
    by_parts: dict[tuple[str, ...], list[str]] = {}
    for i, day in enumerate(DAYS):
        parts = tuple(p for j, p in enumerate(DAY_PARTS) if pattern >> (i * 3 + j) & 1)
        if parts:
            by_parts.setdefault(parts, []).append(day)
    if not by_parts:
        return "no time in the week"
    phrases = []
    for parts, days in by_parts.items():
        when = "all day" if len(parts) == 3 else " and ".join(f"{p}s" for p in parts)
        phrases.append(f"{', '.join(days)}: {when}")
    return "; ".join(phrases)


@dataclass(frozen=True)
class Availability:
    """What the offer and the need of a leg share (either may be missing for recorded help)."""

    starts_on: date | None
    ends_on: date | None
    pattern: int

    @property
    def empty(self) -> bool:
        return (self.starts_on is not None and self.ends_on is not None and self.ends_on < self.starts_on) \
            or self.pattern == 0

    def describe(self) -> str:
        if self.starts_on and self.ends_on:
            from timebank.bookings.services import day_words

            window = f"{day_words(self.starts_on)} to {day_words(self.ends_on)}"
        else:
            window = "any dates"
        return f"{window}; {describe_pattern(self.pattern)}"


def shared(leg) -> Availability:
    listings = [x for x in (leg.offer, leg.need) if x is not None]
    starts = [x.available_from for x in listings]
    ends = [x.available_until for x in listings]
    pattern = ALL_WEEK
    for listing in listings:
        pattern &= listing.weekly_pattern
    return Availability(max(starts) if starts else None, min(ends) if ends else None, pattern)


def suggest(leg: Leg, now: datetime) -> tuple[datetime, datetime] | None:
    """The leg's default slot (`leg_default`) for the approve form, or None when it has none."""
    found = leg_default(leg, now.date())
    return None if isinstance(found, str) else found


def default_schedule(exchange: Exchange, today: date | None = None) -> DefaultSchedule:
    """Every leg's default slot, or the first reason one leg has none."""
    today = today or uk_today()
    if exchange.status != "accepted":
        return DefaultSchedule(None, f"It is {exchange.status}: only an exchange every member accepted is approved")
    schedule = {}
    for leg in exchange.legs:
        found = leg_default(leg, today)
        if isinstance(found, str):
            return DefaultSchedule(None, found)
        schedule[leg.id] = found
    return DefaultSchedule(schedule)


def approve_with_defaults(coordinator, exchange_ids: list[int]) -> list[Exchange]:
    """Approve each exchange with its default schedule: all of them, or (with the reasons) none.

    The caller commits, or rolls back on the DomainError; an exchange that cannot be approved this
    way is approved on its own page, with dates set by hand.
    """
    from timebank.errors import DomainError, NotAllowed
    from timebank.exchanges import services
    from timebank.exchanges.queue import exchange_title
    from timebank.extensions import db

    if not coordinator.is_coordinator:
        raise NotAllowed("Only a coordinator can approve exchanges")
    if not exchange_ids:
        raise DomainError("Choose at least one exchange to approve", field="exchange_ids")
    today = uk_today()
    chosen, problems = [], []
    for exchange_id in dict.fromkeys(exchange_ids):
        exchange = db.session.get(Exchange, exchange_id)
        if exchange is None:
            problems.append(f"There is no exchange {exchange_id}")
            continue
        default = default_schedule(exchange, today)
        if default.schedule is None:
            problems.append(f"{exchange_title(exchange)}: {default.why_not}")
        else:
            chosen.append((exchange, default.schedule))
    if problems:
        raise DomainError("Nothing was approved. " + " ".join(f"{p}." for p in problems), field="exchange_ids")
    for exchange, schedule in chosen:
        try:
            services.approve(exchange, coordinator, schedule)
        except DomainError as error:
            raise type(error)(f"Nothing was approved. {exchange_title(exchange)}: {error.message}",
                              field="exchange_ids") from error
    return [exchange for exchange, _ in chosen]


def check_slot(leg, start: datetime, end: datetime, now: datetime, *, override: bool) -> None:
    """DomainError (beside the leg's start or end) unless the slot is in the future, ends after it
    starts and, unless `override`, lies in the window and weekly times its listings share."""
    part = f"Part {leg.position + 1}"
    if end <= start:
        raise DomainError(f"{part}: the end must be after the start", field=f"end_{leg.id}")
    if start < now:
        raise DomainError(f"{part}: the start is in the past; choose a time from now on", field=f"start_{leg.id}")
    if override:
        return
    available = shared(leg)
    who = f"{leg.giver.name} and {leg.receiver.name}"
    if available.empty:
        raise DomainError(f"{part}: {who} share no time in their listings; give a reason to schedule it anyway",
                          field=f"start_{leg.id}")
    if (available.starts_on and start.date() < available.starts_on) or \
            (available.ends_on and end.date() > available.ends_on):
        raise DomainError(f"{part}: {who} are both available {available.describe()}. Choose times within that, "
                          "or give a reason to schedule outside it", field=f"start_{leg.id}")
    if not available.pattern & _bit(start.date(), part_of_day(start)):
        raise DomainError(f"{part}: {start:%A} {part_of_day(start)} is not a time {who} both gave "
                          f"({describe_pattern(available.pattern)}). Choose another, or give a reason",
                          field=f"start_{leg.id}")
