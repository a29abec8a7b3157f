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
from types import SimpleNamespace

import holidays

from timebank.accounts.access import require_coordinator
from timebank.bookings.models import uk_today
from timebank.exchanges.models import Exchange, Leg
from timebank.errors import DomainError
from timebank.listings.models import ALL_DAY, ALL_WEEK, DAY_PARTS, DAYS, Listing

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


def _part_bits(listing: Listing, day: date) -> int:
    """The parts of `day` the listing allows, as bits (morning is bit 0): its one-off date's parts
    when it has one-off dates, else its weekly pattern's for that weekday."""
    if listing.dates:
        return next((d.parts for d in listing.dates if d.day == day), 0)
    return listing.weekly_pattern >> (day.weekday() * len(DAY_PARTS)) & ALL_DAY


def _parts(listing: Listing, day: date) -> set[str]:
    """The parts of `day` the listing allows (its one-off dates, or its weekly pattern)."""
    bits = _part_bits(listing, day)
    return {part for i, part in enumerate(DAY_PARTS) if bits >> i & 1}


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


def suggest_for_listing(listing: Listing, now: datetime, hours: Decimal | None = None) -> tuple[datetime, datetime] | None:
    """The first slot from tomorrow in the times one listing gives (what a direct ask's form
    offers first): the start of its first part of the day, for `hours` (at most a day's slot)."""
    amount = min(Decimal(hours or listing.quantity or 2), LONGEST_SLOT_HOURS)
    for day in _days(max(listing.available_from, now.date() + timedelta(days=1)), listing.available_until):
        for part in DAY_PARTS:
            if part in _parts(listing, day):
                start = datetime.combine(day, PART_STARTS[part])
                end = min(start + timedelta(hours=float(amount)), datetime.combine(day, LATEST_END))
                if end > start:
                    return start, end
    return None


def part_of_day(moment: datetime) -> str:
    return "morning" if moment.hour < 12 else "afternoon" if moment.hour < 17 else "evening"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _days_phrase(days: list[int]) -> str:
    """Runs of three or more days as "Monday to Friday", the rest named: "Tuesday and Thursday"."""
    runs, start = [], 0
    for i in range(1, len(days) + 1):
        if i == len(days) or days[i] != days[i - 1] + 1:
            run = days[start:i]
            runs.extend([f"{DAYS[run[0]]} to {DAYS[run[-1]]}"] if len(run) >= 3 else [DAYS[d] for d in run])
            start = i
    return _and(runs)


def describe_pattern(pattern: int) -> str:
    """The weekly pattern as people say it: "every Tuesday morning", "Monday to Friday mornings;
    every Saturday, all day"."""
    if pattern == ALL_WEEK:
        return "any day, any time"
    by_parts: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(DAYS)):
        parts = tuple(p for j, p in enumerate(DAY_PARTS) if pattern >> (i * 3 + j) & 1)
        if parts:
            by_parts.setdefault(parts, []).append(i)
    if not by_parts:
        return "no time in the week"
    phrases = []
    for parts, days in by_parts.items():
        if len(days) == 1:
            when = ", all day" if len(parts) == 3 else " " + _and(list(parts))
            phrases.append(f"every {DAYS[days[0]]}{when}")
        else:
            when = ", all day" if len(parts) == 3 else " " + _and([f"{p}s" for p in parts])
            phrases.append(f"{_days_phrase(days)}{when}")
    return "; ".join(phrases)


def describe_dates(dates: dict[date, int]) -> str:
    """One-off dates as people say them: "Saturday 14 March 2027 (morning) and Sunday 15 March 2027"."""
    if not dates:
        return "no date"
    words = []
    for day, bits in sorted(dates.items()):
        parts = [p for i, p in enumerate(DAY_PARTS) if bits >> i & 1]
        words.append(f"{day:%A} {day.day} {day:%B %Y}" + ("" if bits == ALL_DAY else f" ({_and(parts)})"))
    return _and(words)


def describe_when(listing: Listing) -> str:
    """When a listing's help can happen, in a sentence: its one-off dates, or its weekly times and dates."""
    if listing.dates:
        return "On " + describe_dates({d.day: d.parts for d in listing.dates})
    from timebank.bookings.services import day_words

    pattern = describe_pattern(listing.weekly_pattern)
    return (f"{pattern[0].upper()}{pattern[1:]}, from {day_words(listing.available_from)} "
            f"to {day_words(listing.available_until)}")


@dataclass(frozen=True)
class Availability:
    """What the offer and the need of a leg share (either may be missing for recorded help);
    `dates` are the one-off dates they share, when either listing gives one-off dates."""

    starts_on: date | None
    ends_on: date | None
    pattern: int
    dates: dict[date, int] | None = None

    @property
    def empty(self) -> bool:
        if self.dates is not None:
            return not self.dates
        return (self.starts_on is not None and self.ends_on is not None and self.ends_on < self.starts_on) \
            or self.pattern == 0

    def describe(self) -> str:
        if self.dates is not None:
            return f"on {describe_dates(self.dates)}"
        if self.starts_on and self.ends_on:
            from timebank.bookings.services import day_words

            window = f"{day_words(self.starts_on)} to {day_words(self.ends_on)}"
        else:
            window = "any dates"
        return f"{window}; {describe_pattern(self.pattern)}"


def availability_of(listing: Listing) -> Availability:
    """What one listing gives, as an Availability."""
    return shared(SimpleNamespace(offer=listing, need=None))


def shared(leg) -> Availability:
    listings = [x for x in (leg.offer, leg.need) if x is not None]
    starts = [x.available_from for x in listings]
    ends = [x.available_until for x in listings]
    pattern = ALL_WEEK
    for listing in listings:
        pattern &= listing.weekly_pattern
    dated = [x for x in listings if x.dates]
    dates = None
    if dated:
        days = set.intersection(*({d.day for d in x.dates} for x in dated))
        dates = {}
        for day in sorted(days):
            bits = ALL_DAY
            for listing in listings:
                bits &= _part_bits(listing, day) if listing.available_from <= day <= listing.available_until else 0
            if bits:
                dates[day] = bits
    return Availability(max(starts) if starts else None, min(ends) if ends else None, pattern, dates)


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
    from timebank.errors import DomainError
    from timebank.exchanges import services
    from timebank.exchanges.queue import exchange_title
    from timebank.extensions import db

    require_coordinator(coordinator, "approve exchanges")
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


def check_slot(leg, start: datetime, end: datetime, now: datetime, *, override: bool,
               fields: tuple[str, str] | None = None, for_members: bool = False) -> None:
    """DomainError (beside the leg's start or end: `fields`, by default start_<leg id> and
    end_<leg id>) unless the slot is in the future, ends after it starts and, unless `override`,
    lies in the window and the weekly times or one-off dates its listings share.

    `for_members`: the words for members agreeing dates themselves (a direct exchange), who
    cannot give a coordinator's reason to go outside them."""
    part = "" if for_members else f"Part {leg.position + 1}: "
    start_field, end_field = fields or (f"start_{leg.id}", f"end_{leg.id}")
    if end <= start:
        raise DomainError(f"{part}the end must be after the start" if part else "The end must be after the start",
                          field=end_field)
    if start < now:
        raise DomainError(f"{part}the start is in the past; choose a time from now on" if part
                          else "The start is in the past; choose a time from now on", field=start_field)
    if override:
        return
    available = shared(leg)
    who = f"{leg.giver.name} and {leg.receiver.name}"
    if available.empty:
        raise DomainError(f"{part}{who} share no time in their listings" +
                          ("" if for_members else "; give a reason to schedule it anyway"), field=start_field)
    if (available.starts_on and start.date() < available.starts_on) or \
            (available.ends_on and end.date() > available.ends_on):
        raise DomainError(f"{part}{who} are both available {available.describe()}. Choose times within that" +
                          ("" if for_members else ", or give a reason to schedule outside it"), field=start_field)
    when = part_of_day(start)
    if any(when not in _parts(listing, start.date()) for listing in (leg.offer, leg.need) if listing is not None):
        given = describe_dates(available.dates) if available.dates is not None else describe_pattern(available.pattern)
        raise DomainError(f"{part}{start:%A} {when} is not a time {who} both gave ({given}). Choose another" +
                          ("" if for_members else ", or give a reason"), field=start_field)
