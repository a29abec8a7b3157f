"""Jinja filters and globals shared by every page."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from timebank import amounts
from timebank.amounts import format_number


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def format_clock(value: datetime) -> str:
    """A time of day, one way everywhere (pages, messages, emails): 24 hours, like 09:30 or 20:58,
    as the time boxes people type into show it."""
    return f"{value:%H:%M}"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y} at {format_clock(value)}"


def format_km(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f} km"


# Beside each distance: how far it can be trusted, from the coarser of its two places (timebank.places).
DISTANCE_PRECISION = {
    "point": "between exact places",
    "postcode": "between postcodes, to about 100 m",
    "district": "between postcode districts' centres, could be 2 km out",
}


def format_distance(km: float | None, precision: str | None = "district") -> str:
    """'1.4 km away (between postcodes, to about 100 m)': the distance and how precise it is."""
    if km is None:
        return ""
    precision = precision if precision in DISTANCE_PRECISION else "district"
    if precision == "district" and km < 0.05:
        return "in the same postcode district (its exact place is not known)"
    near = "under 1 km" if km < 1 and precision != "point" else format_km(km)
    return f"{near} away ({DISTANCE_PRECISION[precision]})"


def register(app: Flask) -> None:
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_km, "km")
    app.add_template_filter(format_distance, "distance")
    # One set of words for amounts of help (timebank/amounts.py), on every page and in emails.
    app.add_template_global(amounts.describe, "describe_amount")
    app.jinja_env.globals["AMOUNT_UNITS"] = amounts.UNITS
