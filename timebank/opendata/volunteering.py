"""Open needs for volunteers' time as a Volunteering Data Standard feed (JSON-LD).

The standard (volunteeringdata.io: Organisation -> Activity -> Role and Session) is described in
docs/open-data.md with what we did about each of its gaps. One Organisation per published member
with open needs; one Activity per need of kind time (volunteers' time: "6 volunteers for a
litter pick"), with one Role (what a volunteer does, the commitment, who can apply, a DBS check
if the need asks for one) and one Session (where, as the town and the centre of its postcode
district, and when, as the standard's day-part concepts: MondayMorning ...). As in the
standard's own examples, only the Organisation carries a type: the others are known by the
property that links them (activity, role, session, location).
"""
from __future__ import annotations

from timebank.extensions import db
from timebank.listings.models import DAY_PARTS, DAYS
from timebank.notifications.links import link
from timebank.opendata.services import (
    ATTRIBUTION, LICENCE, district_point, public_id, published_listings, website,
)

CONTEXT = "https://api.volunteeringdata.io/context/v1"
NS = "https://ns.volunteeringdata.io/"
CONFORMS_TO = "https://standard.volunteeringdata.io/"
KINDS = ("time",)
# Member types to the standard's cause concepts is not knowable (a type says what an
# organisation is, not its cause), so no cause is claimed; see docs/open-data.md.


def _times(pattern: int) -> list[str]:
    """The listing's weekly availability as the standard's day-part concepts."""
    return [f"{NS}{day}{part.capitalize()}" for i, day in enumerate(DAYS) for j, part in enumerate(DAY_PARTS)
            if pattern >> (i * len(DAY_PARTS) + j) & 1]


def _commitment(listing) -> str:
    people = f"{listing.people} volunteer{'s' if listing.people != 1 else ''}"
    hours = f"{listing.quantity.normalize():f} hour{'s' if listing.quantity != 1 else ''} in all"
    return (f"{people}, {hours}, between {listing.available_from.day} {listing.available_from:%B %Y} "
            f"and {listing.available_until.day} {listing.available_until:%B %Y}")


def _role(listing) -> dict:
    role = {
        "id": f"urn:uuid:{public_id('role', listing.id)}",
        "title": listing.title,
        "description": listing.description or listing.title,
        "commitment": _commitment(listing),
        "applyLink": link("listings.detail", external=True, listing_id=listing.id),
        "allowsRemoteParticipation": listing.location == "remote",
        # The exchange does not record an age for a need; volunteers through member
        # organisations are adults unless a need says otherwise (docs/open-data.md).
        "minimumAge": "18",
    }
    if listing.min_dbs_level:
        role["requirement"] = [f"{NS}DBSCheck"]
    return role


def _session(listing) -> dict:
    session = {"id": f"urn:uuid:{public_id('session', listing.id)}", "time": _times(listing.weekly_pattern)}
    if listing.location != "remote":
        point = district_point(listing.postcode)
        location = {"id": f"urn:uuid:{public_id('location', listing.id)}",
                    "name": f"{listing.town}, Knowsley", "address": f"{listing.town} ({point[0]} district)" if point
                    else listing.town}
        if point:
            location["latitude"], location["longitude"] = point[1], point[2]
        session["location"] = [location]
    return session


def feed(updated) -> dict:
    """The whole feed: every published member with open needs for volunteers' time."""
    organisations: dict[int, dict] = {}
    for listing in db.session.scalars(published_listings("need", KINDS)).unique():
        member = listing.member
        organisation = organisations.get(member.id)
        if organisation is None:
            organisation = organisations[member.id] = {
                "type": "Organisation",
                "id": f"urn:uuid:{public_id('member', member.id)}",
                "name": member.name,
                "description": member.description or f"{member.type_label} in {member.town}, Knowsley",
                "activity": [],
            }
            if website(member):
                organisation["website"] = website(member)
        organisation["activity"].append({
            "id": f"urn:uuid:{public_id('activity', listing.id)}",
            "title": listing.title,
            "description": listing.description or listing.title,
            "role": [_role(listing)],
            "session": [_session(listing)],
        })
    document = {
        "@context": CONTEXT,
        "conformsTo": CONFORMS_TO,
        "license": LICENCE["spdx"],
        "publisher": ATTRIBUTION,
        "graph": list(organisations.values()),
    }
    if updated is not None:
        document["modified"] = updated.replace(microsecond=0).isoformat() + "Z"
    return document
