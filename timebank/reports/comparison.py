"""Period on period: each report's headline figures for its dates and for the period before
(quarter on quarter, month on month, or the same number of days) or the same dates a year
earlier, with the change shown as a number and a percentage."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from timebank.reports.figures import TIME_KINDS, Period

COMPARE_CHOICES = {"previous": "the period before", "year": "the same dates a year earlier"}


def _months_between(start: date, end: date) -> int | None:
    """How many whole calendar months `start`..`end` covers, or None if it is not whole months."""
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _shift_months(day: date, months: int, *, last: bool = False) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    size = calendar.monthrange(year, month)[1]
    return date(year, month, size if last else min(day.day, size))


def previous_period(period: Period, how: str) -> Period:
    """The period to compare `period` with. `period` must have both dates.

    "previous": whole calendar months (a month, a quarter, a year) step back by as many months,
    so a quarter is compared with the quarter before; other dates step back by their length in days.
    "year": the same dates a year earlier (29 February becomes 28 February).
    """
    start, end = period.start, period.end
    if start is None or end is None:
        raise ValueError("both dates are needed to compare")
    # `replace` keeps the rest of the report's scope (the programme, fund or grant it is cut by).
    if how == "year":
        return replace(period, start=_shift_months(start, -12),
                       end=_shift_months(end, -12, last=_months_between(start, end) is not None))
    months = _months_between(start, end)
    if months is not None:
        return replace(period, start=_shift_months(start, -months), end=_shift_months(end, -months, last=True))
    length = (end - start).days + 1
    return replace(period, start=start - timedelta(days=length), end=start - timedelta(days=1))


@dataclass
class Change:
    label: str
    now: Decimal
    before: Decimal
    unit: str = ""
    money: bool = False

    @property
    def difference(self) -> Decimal:
        return self.now - self.before

    @property
    def percent(self) -> Decimal | None:
        if not self.before:
            return None
        return (100 * self.difference / self.before).quantize(Decimal("1"))

    @property
    def described(self) -> str:
        """The change in words that do not rely on colour or an arrow: "up 12.50 (25%)"."""
        if not self.difference:
            return "no change"
        amount = abs(self.difference)
        shown = f"£{amount:,.2f}" if self.money else f"{amount.normalize():,f}" if amount == amount.to_integral() \
            else f"{amount:,.2f}"
        words = f"{'up' if self.difference > 0 else 'down'} {shown}"
        if self.percent is None:
            return f"{words} (none before)"
        return f"{words} ({abs(self.percent)}%)"


@dataclass
class Comparison:
    previous: Period
    how: str
    changes: list[Change]

    @property
    def title(self) -> str:
        return f"Compared with {COMPARE_CHOICES[self.how]}: {self.previous.label}"


def _changes(now: list[tuple], before: list[tuple]) -> list[Change]:
    return [Change(label, Decimal(a), Decimal(b), unit, money)
            for (label, a, unit, money), (_, b, _, _) in zip(now, before)]


def social_value_headlines(report) -> list[tuple]:
    return [
        ("Employee volunteering", report.given.quantity["time"], "person-hours", False),
        ("Expert advice", report.given.quantity["skill"], "person-hours", False),
        ("Organisations supported", report.organisations_supported, "", False),
        ("Records of help given", len(report.lines), "", False),
        ("Value of time and skills (central)", report.given.band_total("central"), "", True),
    ]


def impact_headlines(statement) -> list[tuple]:
    return [
        ("Person-hours of time and skills given", statement.given.quantity_total(TIME_KINDS), "person-hours", False),
        ("Person-hours of time and skills received", statement.received.quantity_total(TIME_KINDS), "person-hours",
         False),
        ("Partners", len(statement.partners), "", False),
        ("Value given (central)", statement.given.band_total("central"), "", True),
        ("Value received (central)", statement.received.band_total("central"), "", True),
    ]


def dashboard_headlines(board) -> list[tuple]:
    return [
        ("Person-hours of time and skills given", board.hours, "person-hours", False),
        ("Needs met", board.needs_met, "", False),
        ("Members who took part", board.active_members, "", False),
        ("Exchanges completed", board.exchanges_completed, "", False),
        ("Value of time and skills (central)", board.value.band_total("central"), "", True),
    ]


def compare(period: Period, how: str | None, report, build, headlines) -> Comparison | None:
    """`report`'s headlines beside those of `build(previous period)`; None when not asked."""
    if not how or period.start is None or period.end is None:
        return None
    before = previous_period(period, how)
    return Comparison(before, how, _changes(headlines(report), headlines(build(before))))
