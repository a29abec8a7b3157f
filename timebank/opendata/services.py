"""What the exchange publishes as open data, and the members' consent to it.

Only members that agreed (`Member.open_data_consent`, set by one of their admins on
/members/<id>/open-data) are published, and only while they are active. What is published is the
organisation (name, type, description, website, town) and its listings; never a person, an email
address, a phone number or a full postcode: places are given as the town and the centre of the
postcode district (L36, L32, ...), which is what the directory already shows.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.db import utcnow
from timebank.errors import NotAllowed
from timebank.extensions import db
from timebank.listings.models import Category, Listing
from timebank.listings.services import is_open
from timebank.members.access import can_manage
from timebank.members.models import Member
from timebank.places import DISTRICTS

# Stable identifiers for published things: the same member or listing always has the same UUID
# (ORUK requires UUIDs), and nothing else can be worked out from it.
NAMESPACE = uuid.UUID("1f0b7c52-5d4e-4f0e-9b1a-6b2f1c3e8a10")
LICENCE = {"name": "Creative Commons Attribution 4.0 International (CC BY 4.0)", "spdx": "CC-BY-4.0",
           "url": "https://creativecommons.org/licenses/by/4.0/"}
ATTRIBUTION = "Knowsley Social Sector Exchange (One Knowsley)"


def public_id(kind: str, number: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{number}")


def set_consent(member: Member, actor: User, agree: bool) -> Member:
    """A member's admin (or a coordinator) says whether the member is published."""
    if not can_manage(actor, member):
        raise NotAllowed("Only the member's admins can choose what it publishes")
    if member.open_data_consent != agree:
        member.open_data_consent = agree
        member.open_data_consent_at = utcnow()
        db.session.flush()
        record(actor, "member.open_data", member,
               f"{'Agreed to publish' if agree else 'Stopped publishing'} {member.name} as open data", agree=agree)
    return member


def published_members():
    """Active members that agreed to be published, by name."""
    return select(Member).where(Member.status == "active", Member.open_data_consent.is_(True)).order_by(Member.name)


def published_listings(direction: str, kinds: tuple[str, ...]):
    """Open listings of published members."""
    return (select(Listing).join(Member, Member.id == Listing.member_id)
            .where(Member.status == "active", Member.open_data_consent.is_(True), is_open(),
                   Listing.direction == direction, Listing.kind.in_(kinds))
            .options(joinedload(Listing.member), joinedload(Listing.category).joinedload(Category.parent))
            .order_by(Listing.member_id, Listing.id))


def website(member: Member) -> str | None:
    """The member's website, if it is a web address (the profile form takes any text)."""
    url = (member.website or "").strip()
    return url if url.startswith(("https://", "http://")) and " " not in url else None


def district_point(postcode: str | None) -> tuple[str, float, float] | None:
    """The postcode district and its centre (never the full postcode)."""
    district = (postcode or "").split(" ")[0].upper()
    place = DISTRICTS.get(district)
    return (district, place[0], place[1]) if place else None


@dataclass
class FeedInfo:
    updated: datetime | None
    members: int
    items: int


def feed_info(direction: str, kinds: tuple[str, ...]) -> FeedInfo:
    """When a feed last changed (its newest listing change, or consent given or withdrawn), and its size."""
    listings = published_listings(direction, kinds).subquery()
    items, newest = db.session.execute(select(func.count(), func.max(listings.c.updated_at))).one()
    members, consent = db.session.execute(
        select(func.count(), func.max(Member.open_data_consent_at)).where(
            Member.status == "active", Member.open_data_consent.is_(True))).one()
    withdrawn = db.session.scalar(select(func.max(Member.open_data_consent_at)))
    times = [t for t in (newest, consent, withdrawn) if t is not None]
    return FeedInfo(max(times) if times else None, members or 0, items or 0)
