"""Where things are: postcodes to coordinates (offline), towns and wards, distances."""
from timebank.places.geocode import (
    DISTRICTS,
    PRECISIONS,
    TOWNS,
    WARDS,
    Place,
    UnknownPostcode,
    distance_km,
    distance_precision,
    geocode,
    normalise_postcode,
)

__all__ = [
    "DISTRICTS", "PRECISIONS", "TOWNS", "WARDS", "Place", "UnknownPostcode", "distance_km", "distance_precision", "geocode", "normalise_postcode",
]
