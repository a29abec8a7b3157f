"""Offline geocoding from the postcode-district table, with a hook for a finer geocoder.

Knowsley's postcode districts (from the borough's published facts) give a point good to about
a kilometre, which is enough to match help within a travel radius. A deployment with network
access may install a finer geocoder with `set_refiner` (for example one that looks up full
postcodes); tests and the demo never need it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from geopy.distance import geodesic

# district: (lat, lon, default town)
DISTRICTS: dict[str, tuple[float, float, str]] = {
    "L36": (53.414, -2.842, "Huyton"),
    "L14": (53.419, -2.883, "Page Moss"),
    "L16": (53.397, -2.898, "Huyton"),
    "L28": (53.435, -2.864, "Stockbridge Village"),
    "L32": (53.478, -2.888, "Kirkby"),
    "L33": (53.487, -2.860, "Kirkby"),
    "L10": (53.476, -2.929, "Kirkby"),
    "L34": (53.446, -2.826, "Prescot"),
    "L35": (53.403, -2.780, "Whiston"),
    "L26": (53.367, -2.835, "Halewood"),
    "L25": (53.378, -2.862, "Halewood"),
    "WA8": (53.391, -2.761, "Cronton"),
}

TOWNS = (
    "Huyton", "Kirkby", "Prescot", "Whiston", "Halewood", "Stockbridge Village", "Knowsley Village",
    "Cronton", "Page Moss", "Tower Hill", "Northwood", "Westvale", "Southdene",
)

WARDS = (
    "Cherryfield", "Halewood North", "Halewood South", "Northwood", "Page Moss", "Prescot North",
    "Prescot South", "Roby", "Shevington", "St Gabriels", "St Michaels", "Stockbridge", "Swanside",
    "Whiston & Cronton", "Whitefield",
)

_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_OUTWARD = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)$")


class UnknownPostcode(ValueError):
    """The postcode is malformed, or outside the districts the exchange covers."""


@dataclass(frozen=True)
class Place:
    postcode: str
    district: str
    latitude: float
    longitude: float
    town: str


def normalise_postcode(raw: str) -> str:
    """Upper-case a UK postcode and put one space before the inward code ('l36 9ys' -> 'L36 9YS')."""
    text = re.sub(r"\s+", "", (raw or "").upper())
    full = _FULL.match(text)
    if full:
        return f"{full.group(1)} {full.group(2)}"
    if _OUTWARD.match(text):
        return text
    raise UnknownPostcode("Enter a real postcode, like L36 9YS")


_refiner: Callable[[str], tuple[float, float] | None] | None = None


def set_refiner(refiner: Callable[[str], tuple[float, float] | None] | None) -> None:
    """Install a finer geocoder for full postcodes; it returns (lat, lon) or None to fall back."""
    global _refiner
    _refiner = refiner


def geocode(raw: str) -> Place:
    """Turn a postcode into a Place, offline, from its district's centroid."""
    postcode = normalise_postcode(raw)
    district = postcode.split(" ")[0]
    if district not in DISTRICTS:
        covered = ", ".join(sorted(DISTRICTS))
        raise UnknownPostcode(f"Enter a postcode in or near Knowsley (districts {covered})")
    lat, lon, town = DISTRICTS[district]
    if _refiner is not None and " " in postcode:
        refined = _refiner(postcode)
        if refined is not None:
            lat, lon = refined
    return Place(postcode=postcode, district=district, latitude=lat, longitude=lon, town=town)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance along the Earth's surface, in kilometres (geopy's geodesic)."""
    return geodesic(a, b).km
