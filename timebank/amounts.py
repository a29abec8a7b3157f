"""How amounts of help are named: one set of words for pages, emails, the API and CSV files.

- **hours each**: how long each person helped (what a part of an exchange plans, and what the
  receiver confirms); for equipment, **days**.
- **person-hours**: hours each x people, the time given. Totals of time and skills given are
  always person-hours (six volunteers for three hours: 18 person-hours).
- **time credits**: what the ledger moves, one per person-hour of time or skills confirmed; a gift,
  a room or an item moves none.
- **hours of room use** and **days of loan**: rooms and equipment, counted apart from time.

`describe(kind, hours, people)` gives the words for one part ("18 person-hours (6 people x 3
hours)"); `UNITS` the unit of each kind's totals, as reports and CSV files write it.
"""
from __future__ import annotations

from decimal import Decimal

TIME_KINDS = ("time", "skill")
UNITS = {"time": "person-hours", "skill": "person-hours", "room": "hours of room use", "equipment": "days of loan"}
# The unit of a part's own amount (per person for time and skills).
EACH = {"time": "hours each", "skill": "hours each", "room": "hours", "equipment": "days"}


def format_number(value: Decimal | float | int | None) -> str:
    """Quantities without trailing zeros: 3, 2.5, 1,250 (the pages' `number` filter)."""
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    if number == number.to_integral():
        return f"{int(number):,}"
    return f"{number:,f}"


def number(value) -> str:
    """1,234.5 not 1234.50; 3 not 3.00; nothing is 0."""
    return format_number(Decimal(str(value or 0)))


def person_hours(hours, people: int = 1) -> Decimal:
    return Decimal(str(hours or 0)) * int(people or 1)


def describe(kind: str, hours, people: int = 1) -> str:
    """The amount of one part in words: "18 person-hours (6 people x 3 hours)", "2 days of loan"."""
    if kind in TIME_KINDS:
        total = person_hours(hours, people)
        unit = "person-hour" if total == 1 else "person-hours"
        if (people or 1) > 1:
            return f"{number(total)} {unit} ({people} people x {number(hours)} hours)"
        return f"{number(total)} {unit}"
    if kind == "equipment":
        return f"{number(hours)} {'day' if Decimal(str(hours)) == 1 else 'days'} of loan"
    return f"{number(hours)} {'hour' if Decimal(str(hours)) == 1 else 'hours'} of room use"


def credits_words(value) -> str:
    """"1 time credit", "18 time credits"."""
    return f"{number(value)} time credit{'' if Decimal(str(value or 0)) == 1 else 's'}"
