"""Offline geocoding: each full postcode from OS Code-Point Open, else its district's centre.

`data/postcodes.csv` holds every postcode of the districts the exchange covers (OS Code-Point
Open, Open Government Licence: data/SOURCE.md), each good to about 100 m. A postcode that is not
there (a new one, a typo of a real district, or just the district, "L36") is placed at its
district's centre from the table below (good to about 2 km). Every place says which it is
(`precision`), and so does every distance shown (`distance_precision`). A member may also set its
exact place (members.services.set_place): that is precision "point".
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


# How precise a place is, finest first, with how far out it may be (for the words beside a distance).
PRECISIONS = {
    "point": "an exact place set by its member",
    "postcode": "a full postcode's point (OS Code-Point Open), good to about 100 m",
    "district": "the centre of a postcode district, good to about 2 km",
}


@dataclass(frozen=True)
class Place:
    postcode: str
    district: str
    latitude: float
    longitude: float
    town: str
    precision: str = "district"


def normalise_postcode(raw: str) -> str:
    """Upper-case a UK postcode and put one space before the inward code ('l36 9ys' -> 'L36 9YS')."""
    text = re.sub(r"\s+", "", (raw or "").upper())
    full = _FULL.match(text)
    if full:
        return f"{full.group(1)} {full.group(2)}"
    if _OUTWARD.match(text):
        return text
    raise UnknownPostcode("Enter a real postcode, like L36 9YS")


POSTCODES_FILE = Path(__file__).with_name("data") / "postcodes.csv"


@cache
def postcode_points() -> dict[str, tuple[float, float]]:
    """Every postcode in data/postcodes.csv, with its (latitude, longitude); read once per process."""
    with POSTCODES_FILE.open(newline="") as source:
        return {row["postcode"]: (float(row["latitude"]), float(row["longitude"])) for row in csv.DictReader(source)}


def geocode(raw: str) -> Place:
    """Turn a postcode into a Place, offline: the postcode's own point, else its district's centre."""
    postcode = normalise_postcode(raw)
    district = postcode.split(" ")[0]
    if district not in DISTRICTS:
        covered = ", ".join(sorted(DISTRICTS))
        raise UnknownPostcode(f"Enter a postcode in or near Knowsley (districts {covered})")
    lat, lon, town = DISTRICTS[district]
    point = postcode_points().get(postcode)
    if point is not None:
        return Place(postcode=postcode, district=district, latitude=point[0], longitude=point[1], town=town,
                     precision="postcode")
    return Place(postcode=postcode, district=district, latitude=lat, longitude=lon, town=town, precision="district")


def distance_precision(*precisions: str | None) -> str:
    """How precise a distance between places of these precisions is: that of the coarser end."""
    order = list(PRECISIONS)
    return max((p or "district" for p in precisions), key=order.index)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance along the Earth's surface, in kilometres (geopy's geodesic)."""
    return geodesic(a, b).km
