"""A small exchange to walk the routes in: members A, B and C, a pending member, their people and rows.

Every role gets a fresh world (names carry a suffix), so what one role's POST changes cannot
change what the next role sees. Passwords are hashed once: signing in is done on the session.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from werkzeug.security import generate_password_hash

from timebank.accounts.models import User
from timebank.accounts.services import make_coordinator
from timebank.accounts.sessions import start_session
from timebank.db import today, utcnow
from timebank.extensions import db
from timebank.members import services as members
from timebank.members.assets import add_asset
from timebank.members.compliance import add_compliance_record
from timebank.members.models import Invitation, Member, Membership

ROLES = ("visitor", "staff_a", "admin_a", "staff_b", "coordinator")
_HASH = generate_password_hash("not used: tests sign in on the session")


@dataclass
class World:
    suffix: str
    users: dict[str, User] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    session_ids: dict[str, str] = field(default_factory=dict)

    def user_id(self, role: str) -> str | None:
        """What Flask-Login keeps in the session for this role (None for a visitor)."""
        return self.session_ids.get(role)


def _user(world: World, key: str, coordinator: bool = False) -> User:
    user = User(email=f"{key.replace('_', '.')}.{world.suffix}@example.org", password_hash=_HASH,
                display_name=f"{key} {world.suffix}", email_confirmed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    if coordinator:
        make_coordinator(user)
    return user


def _member(world: World, name: str, admin: User, status: str = "active") -> Member:
    member = members.register_member(admin, name=f"{name} {world.suffix}", type="charity", postcode="L32 1TA",
                                     contact_email=f"contact.{name.lower().replace(' ', '.')}@example.org")
    member.status = status
    return member


def _join(member: Member, user: User, role: str = "staff", status: str = "active") -> Membership:
    membership = Membership(member_id=member.id, user_id=user.id, role=role, status=status)
    db.session.add(membership)
    db.session.flush()
    return membership


def build_world(suffix: str, category_id: int) -> World:
    """Create the rows; call inside a request context and commit after."""
    from timebank.listings.services import create_listing

    world = World(suffix)
    u = world.users
    for role in ("staff_a", "admin_a", "staff_b", "admin_b", "admin_c", "other_staff_a", "asker"):
        u[role] = _user(world, role)
    u["coordinator"] = _user(world, "coordinator", coordinator=True)
    a = _member(world, "Member A", u["admin_a"])
    b = _member(world, "Member B", u["admin_b"])
    c = _member(world, "Member C", u["admin_c"])
    # Admin of A also registered a second organisation, still waiting: only a coordinator may approve it.
    pending = _member(world, "Pending member", u["admin_a"], status="pending")
    _join(a, u["staff_a"])
    _join(b, u["staff_b"])
    other = _join(a, u["other_staff_a"])
    _join(a, u["asker"], status="requested")
    invitation = Invitation(member_id=a.id, email=f"invitee.{suffix}@example.org", role="staff",
                            invited_by_id=u["admin_a"].id)
    db.session.add(invitation)
    record = add_compliance_record(a, u["admin_a"], kind="insurance", insurer="Community Mutual",
                                           expires_on=today() + timedelta(days=200))
    room = add_asset(a, u["admin_a"], kind="room", name="Hall", capacity=40, step_free=True)
    listing = create_listing(a, u["staff_a"], direction="need", kind="skill", category_id=category_id,
                             title="Help with our accounts", description="Our treasurer is leaving.",
                             quantity=Decimal(4), available_from=today(), available_until=today() + timedelta(days=60))
    db.session.flush()
    world.ids.update(member_a=a.id, member_b=b.id, member_c=c.id, pending_member=pending.id,
                     other_staff_a=other.id, invitation_a=invitation.id, record_a=record.id, room_a=room.id,
                     listing_a=listing.id, asker=u["asker"].id)
    world.session_ids = {role: start_session(user) for role, user in u.items()}
    return world


# -- rows other parts of the exchange own: made only when a route asks for one --------------------

def _c_assets(world: World):
    c = db.session.get(Member, world.ids["member_c"])
    admin_c = world.users["admin_c"]
    if "room_c" not in world.ids:
        world.ids["room_c"] = add_asset(c, admin_c, kind="room", name="Kitchen", capacity=12).id
        world.ids["kit_c"] = add_asset(c, admin_c, kind="equipment", name="Gazebo", condition="good").id
    return c


def room_of_c(world: World) -> int:
    _c_assets(world)
    return world.ids["room_c"]


def exchange_between_a_and_c(world: World) -> int:
    """A proposed pair: C gives A two hours. A's people and coordinators are in it; B's are not."""
    if "exchange" not in world.ids:
        from timebank.exchanges.services import LegPlan, create_proposal

        exchange = create_proposal("pair", [LegPlan(giver_member_id=world.ids["member_c"],
                                                    receiver_member_id=world.ids["member_a"], kind="time",
                                                    hours=Decimal(2), description="Help at the food bank")],
                                   story="Member C helps Member A.")
        world.ids["exchange"], world.ids["leg"] = exchange.id, exchange.legs[0].id
    return world.ids["exchange"]


def leg_received_by_a(world: World) -> int:
    exchange_between_a_and_c(world)
    return world.ids["leg"]


def _once(maker):
    """A row maker that makes its row once per world, however many routes ask for it."""
    def make(world: World) -> int:
        if maker.__name__ not in world.ids:
            world.ids[maker.__name__] = maker(world)
        return world.ids[maker.__name__]

    make.__name__ = maker.__name__
    return make


@_once
def matcher_run(world: World) -> int:
    from timebank.matcher.models import MatcherRun

    run = MatcherRun(started_by_id=world.users["coordinator"].id, status="done", message="Done")
    db.session.add(run)
    db.session.flush()
    return run.id


@_once
def booking_by_a_of_cs_room(world: World) -> int:
    from timebank.bookings.services import book_room

    from timebank.members.models import Asset

    c = _c_assets(world)
    day = today() + timedelta(days=10)
    booking = book_room(db.session.get(Asset, world.ids["room_c"]), db.session.get(Member, world.ids["member_a"]),
                        datetime.combine(day, time(10)), datetime.combine(day, time(12)), world.users["staff_a"])
    assert booking.asset.member_id == c.id
    return booking.id


@_once
def series_by_a_of_cs_room(world: World) -> int:
    """A weekly booking of C's room by A: 3 Wednesdays from 3 weeks ahead, 14:00 to 16:00."""
    from timebank.bookings.weekly import book_weekly
    from timebank.members.models import Asset

    _c_assets(world)
    first = today() + timedelta(days=21)
    series = book_weekly(db.session.get(Asset, world.ids["room_c"]), db.session.get(Member, world.ids["member_a"]),
                         first + timedelta(days=(2 - first.weekday()) % 7), time(14), time(16), 3,
                         world.users["staff_a"])
    return series.id


@_once
def loan_to_a_of_cs_gazebo(world: World) -> int:
    from timebank.bookings.services import request_loan
    from timebank.members.models import Asset

    _c_assets(world)
    loan = request_loan(db.session.get(Asset, world.ids["kit_c"]), db.session.get(Member, world.ids["member_a"]),
                        today() + timedelta(days=3), today() + timedelta(days=5), world.users["staff_a"])
    return loan.id


@_once
def valuation_rate(world: World) -> int:
    """A rate row made directly: rates are sector-wide, and the worlds share a database."""
    from timebank.reports.models import ValuationRate

    rate = ValuationRate(name=f"Test rate {world.suffix}", kind="time", unit="hour", band="central",
                         value=Decimal("12.60"), valid_from=today(), source="Test", licence="Test")
    db.session.add(rate)
    db.session.flush()
    return rate.id


def allowed_origin(world: World) -> int:
    """A website allowed to call the API from a browser; a new one each time (each role removes its own)."""
    from timebank.api.models import AllowedOrigin

    row = AllowedOrigin(origin=f"https://tools-{world.suffix}-{secrets.token_hex(4)}.example.org", note="Test")
    db.session.add(row)
    db.session.flush()
    return row.id


@_once
def funding_tag(world: World) -> int:
    """A grant that member A is part of (tags are sector-wide: made directly, with the world's suffix)."""
    from timebank.funding.models import FundingTag, FundingTagMember

    tag = FundingTag(code=f"T-{world.suffix}".upper()[:20], name=f"Test grant {world.suffix}", kind="grant",
                     funder="Test funder", starts_on=today())
    db.session.add(tag)
    db.session.flush()
    db.session.add(FundingTagMember(tag_id=tag.id, member_id=world.ids["member_a"]))
    db.session.flush()
    return tag.id


@_once
def completed_exchange_a_c(world: World) -> int:
    """A completed pair: A gave C two hours, confirmed (case studies are written about these)."""
    from timebank.exchanges.models import Exchange, Leg, Party

    exchange = Exchange(shape="direct", status="completed", story="Member A helped Member C.", completed_at=utcnow())
    exchange.parties = [Party(member_id=world.ids["member_a"], status="accepted"),
                        Party(member_id=world.ids["member_c"], status="accepted")]
    exchange.legs = [Leg(position=0, giver_member_id=world.ids["member_a"], receiver_member_id=world.ids["member_c"],
                         kind="time", hours=Decimal(2), description="Help at the lunch club", status="confirmed",
                         confirmed_at=utcnow())]
    db.session.add(exchange)
    db.session.flush()
    return exchange.id


@_once
def case_study_by_a(world: World) -> int:
    """A's quote about the help it gave C, waiting for C's answer."""
    from timebank.case_studies.models import CaseStudy
    from timebank.exchanges.models import Exchange

    exchange = db.session.get(Exchange, completed_exchange_a_c(world))
    case = CaseStudy(leg_id=exchange.legs[0].id, author_member_id=world.ids["member_a"], kind="quote",
                     text="A great lunch club", written_by_id=world.users["admin_a"].id)
    db.session.add(case)
    db.session.flush()
    return case.id
