"""Where things are: postcodes to coordinates (offline), towns and wards, distances."""
from timebank.places.geocode import (
    DISTRICTS,
    TOWNS,
    WARDS,
    Place,
    UnknownPostcode,
    distance_km,
    geocode,
    normalise_postcode,
)

__all__ = [
    "DISTRICTS", "TOWNS", "WARDS", "Place", "UnknownPostcode", "distance_km", "geocode", "normalise_postcode",
]
