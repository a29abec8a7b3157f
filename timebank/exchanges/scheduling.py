"""A default schedule for an accepted exchange, from what its listings say, or why there is none.

Coordinators approve several exchanges at once from the work queue (`timebank.exchanges.queue`);
each needs a start and an end for every leg. A leg's default comes from its offer and its need:
the first day both listings are available from tomorrow on, on a weekday and part of the day both
weekly patterns allow (a weekend only if no weekday fits), never on a bank holiday in England;
hours from the leg (days for equipment). Anything the listings do not settle (no listings, no
shared day, more than a day's work) is said in plain words, so the coordinator schedules that
exchange by hand on its approve page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays

from timebank.bookings.models import uk_today
from timebank.exchanges.models import Exchange, Leg
from timebank.listings.models import DAY_PARTS, Listing

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
