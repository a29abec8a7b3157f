"""Load the demo sector through the same service functions the web pages use. Safe to run twice."""
from __future__ import annotations

import json
import random
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from seed.listing_templates import EQUIPMENT_OFFERS, NEEDS, OFFERS, ROOM_OFFERS
from seed.kinds import kind_of
from seed.organisations import BUSINESSES, KIND_OF, ORGANISATIONS
from timebank.accounts import services as accounts
from timebank.accounts.models import User
from timebank.db import today
from timebank.extensions import db
from timebank.listings import services as listings
from timebank.listings.models import Category, Listing
from timebank.members import services as members
from timebank.members.assets import add_asset
from timebank.members.compliance import add_compliance_record
from timebank.members.models import Member, Membership
from timebank.opendata.services import set_consent

DEMO_PASSWORD = "demo-password-1"
# A seed whose market shows three-way rings, gift chains and legs a coordinator would approve (tests/matcher).
DEMO_SEED = 2027
CATEGORIES = Path(__file__).with_name("categories.json")
# Two organisations stay pending so a coordinator has someone to vet.
PENDING = {"Kirkby Market Traders Association", "Huyton Dementia Cafe"}

# Three organisations whose volunteers are DBS-checked and who each need what the next has: a ring
# of three the matcher proposes on first start (tests/matcher). Each needs DBS-checked people, which
# no business in the demo has, so no business's gift can stand in for a ring member. Each leg moves
# 6 credits. They post only these listings. Rows: giver, receiver, category, kind, offer title,
# need title, description, hours, people.
RING = [
    ("Huyton Men's Shed", "Page Moss Family Centre", "painting-and-decorating", "time",
     "Shed members to paint a room", "Painters for our play room",
     "A fresh coat of paint for the room where the under-fives play, done on a weekday morning.", 3, 2),
    ("Page Moss Family Centre", "Halewood Youth Club", "befriending", "time",
     "Trained volunteer mentors", "Mentors for young people",
     "DBS-checked volunteers to mentor young people at the club's Thursday sessions.", 3, 2),
    ("Halewood Youth Club", "Huyton Men's Shed", "minibus", "time",
     "Our minibus and a trained driver", "Transport for the Shed's day trip",
     "The club's 16-seat minibus and a MiDAS-trained, DBS-checked driver for a day out.", 6, 1),
]

DEMO_LOGINS = [
    ("coordinator", "coordinator@oneknowsley.example", "Coordinator at One Knowsley"),
    ("member admin", "admin@kirkby-community-food-bank.example", "Admin of Kirkby Community Food Bank"),
    ("member staff", "staff@kirkby-community-food-bank.example", "Staff of Kirkby Community Food Bank"),
    ("business admin", "admin@merseyside-accountancy-partners-ltd.example", "Admin of Merseyside Accountancy Partners Ltd"),
]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _user(email: str, name: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        user = accounts.create_user(email, DEMO_PASSWORD, name, confirmed=True)
    return user


def load_demo(log=print) -> dict:
    """Create the demo sector unless it is already there; returns counts of what exists afterwards."""
    added = listings.load_categories(json.loads(CATEGORIES.read_text()))
    coordinator = _user(DEMO_LOGINS[0][1], "Sam Coordinator")
    accounts.make_coordinator(coordinator)
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    rng = random.Random(DEMO_SEED)
    start = today()

    rows = [(name, typ, pc, town, ward, reg, desc) for name, typ, pc, town, ward, reg, desc in ORGANISATIONS]
    rows += [(name, "business", pc, town, ward, reg, desc) for name, pc, town, ward, reg, desc in BUSINESSES]
    new_members = 0
    for name, typ, postcode, town, ward, reg, description in rows:
        if db.session.scalar(select(Member.id).where(Member.name == name)):
            continue
        new_members += 1
        admin = _user(f"admin@{slugify(name)}.example", f"{name.split()[0]} Admin")
        numbers = {}
        if reg and typ in ("business", "cic"):
            numbers["company_number"] = reg
        elif reg:
            numbers["charity_number"] = reg
        member = members.register_member(
            admin, name=name, type=typ, postcode=postcode, town=town, ward=ward, description=description,
            areas_served="Knowsley" if typ in ("business", "public_body") else town,
            contact_phone=f"0151 {rng.randint(200, 599)} {rng.randint(1000, 9999)}", **numbers)
        if name in PENDING:
            continue
        members.approve_member(member, coordinator, credit_limit=Decimal(20 if typ == "business" else 10))
        if typ != "public_body":  # the demo's public bodies have not agreed to be in the open data
            set_consent(member, admin, True)
        _compliance(member, admin, rng)
        if any(name in (giver, receiver) for giver, receiver, *_ in RING):
            _ring_listings(member, admin, categories, start)
        else:
            _listings(member, admin, categories, rng, start)
    staff = _user(DEMO_LOGINS[2][1], "Jo Staff")
    food_bank = db.session.scalar(select(Member).where(Member.name == ORGANISATIONS[0][0]))
    if not db.session.scalar(select(Membership.id).where(Membership.user_id == staff.id)):
        db.session.add(Membership(user_id=staff.id, member_id=food_bank.id, role="staff", status="active"))
    # Someone waiting for the food bank's admins, so its People page shows a request to join.
    joiner = _user("volunteer@kirkby-community-food-bank.example", "Alex Volunteer")
    if not db.session.scalar(select(Membership.id).where(Membership.user_id == joiner.id)):
        db.session.add(Membership(user_id=joiner.id, member_id=food_bank.id, role="staff", status="requested"))
    db.session.flush()
    from seed.history import load_history
    from seed.rates import load_rates

    load_rates(log)
    load_history(coordinator, log)
    counts = {
        "categories_added": added,
        "members_added": new_members,
        "members": db.session.scalar(select(func.count()).select_from(Member)),
        "open_listings": db.session.scalar(select(func.count()).select_from(Listing).where(Listing.status == "open")),
    }
    log(f"Demo data: {counts}")
    return counts


def _compliance(member: Member, admin: User, rng: random.Random) -> None:
    start = today()
    add_compliance_record(member, admin, kind="safeguarding", policy_held=True,
                                  expires_on=start + timedelta(days=rng.randint(-20, 330)))
    if rng.random() < 0.8:
        add_compliance_record(member, admin, kind="insurance", insurer="Community Mutual Insurance",
                                      cover_amount=Decimal(5_000_000),
                                      expires_on=start + timedelta(days=rng.randint(10, 360)))
    if member.type != "business" and rng.random() < 0.6:
        # DBS records are kept 6 months after the decision, so the demo's decisions are recent
        issued = start - timedelta(days=rng.randint(30, 150))
        add_compliance_record(member, admin, kind="dbs", dbs_level=rng.choice(["standard", "enhanced"]),
                                      holder="Volunteers", people=rng.choice([2, 4, 6, 8]),
                                      decision="No information disclosed", issued_on=issued,
                                      decided_on=issued + timedelta(days=7))


def _ring_listings(member: Member, admin: User, categories: dict, start) -> None:
    """This member's part of the demo's ring: enhanced DBS checks for its volunteers, its offer and need."""
    issued = start - timedelta(days=60)
    add_compliance_record(member, admin, kind="dbs", dbs_level="enhanced", holder="Volunteers", people=4,
                                  decision="No information disclosed", issued_on=issued,
                                  decided_on=issued + timedelta(days=7))
    for giver, receiver, slug, kind, offer_title, need_title, description, hours, people in RING:
        window = dict(kind=kind, category_id=categories[slug].id, description=description, quantity=Decimal(hours),
                      people=people, available_from=start + timedelta(days=3),
                      available_until=start + timedelta(days=90), expires_on=start + timedelta(days=90),
                      location="at_receiver", travel_km=Decimal(15), urgency=3)
        if member.name == giver:
            listings.create_listing(member, admin, direction="offer", title=offer_title, **window)
        if member.name == receiver:
            listings.create_listing(member, admin, direction="need", title=need_title, min_dbs_level="enhanced",
                                    **window)


def _listings(member: Member, admin: User, categories: dict, rng: random.Random, start) -> None:
    """Post what an organisation of its kind (seed/kinds.py) would offer and need."""
    kind = kind_of(KIND_OF[member.name])
    business = member.type == "business"
    offers = [t for t in OFFERS if t[0] in kind.offers]
    n_offers = min(rng.randint(2, 4), len(offers))
    needs = [t for t in NEEDS if t[0] in kind.needs and not kind.gives(t[0])]
    n_needs = 0 if business else min(rng.randint(3, 4), len(needs))
    for template in rng.sample(offers, n_offers):
        _post(member, admin, categories, rng, start, "offer", template, gift=business and rng.random() < 0.5)
    rooms = [t for t in ROOM_OFFERS if t[0] in kind.rooms]
    if rooms and rng.random() < (0.7 if business else 0.5):
        slug, title, desc, capacity, step_free, facilities, hours = rng.choice(rooms)
        room = add_asset(member, admin, kind="room", name=title, description=desc, capacity=capacity,
                                 step_free=step_free, facilities=facilities, opening_hours=hours)
        _post(member, admin, categories, rng, start, "offer", (slug, "room", title, desc, 3, 1), asset=room,
              gift=business)
    equipment = [t for t in EQUIPMENT_OFFERS if t[0] in kind.equipment]
    if equipment and rng.random() < (0.6 if business else 0.4):
        slug, title, desc, electrical, condition = rng.choice(equipment)
        tested = start - timedelta(days=rng.randint(10, 300)) if electrical else None
        item = add_asset(member, admin, kind="equipment", name=title, description=desc, condition=condition,
                                 electrical=electrical, pat_tested_on=tested, pat_result="pass" if electrical else None,
                                 pat_due_on=tested + timedelta(days=365) if tested else None,
                                 deposit=Decimal(rng.choice([0, 0, 25, 50])), insurance_required=rng.random() < 0.3)
        _post(member, admin, categories, rng, start, "offer", (slug, "equipment", title, desc, 3, 1), asset=item,
              gift=business)
    for template in rng.sample(needs, n_needs):
        _post(member, admin, categories, rng, start, "need", template)


def _post(member, admin, categories, rng, start, direction, template, *, asset=None, gift=False) -> Listing:
    slug, kind, title, description, quantity, people = template
    begins = start + timedelta(days=rng.randint(0, 20))
    ends = begins + timedelta(days=rng.randint(45, 150))
    fields = dict(
        direction=direction, kind=kind, category_id=categories[slug].id, title=title, description=description,
        quantity=Decimal(quantity), people=people, available_from=begins, available_until=ends,
        location="remote" if kind == "skill" and rng.random() < 0.3 else ("at_receiver" if kind == "time" else "at_giver"),
        travel_km=Decimal(rng.choice([3, 5, 8, 10, 15])), urgency=rng.choice([1, 2, 2, 2, 3, 4]),
        is_gift=gift and direction == "offer", partial_ok=direction == "need" and rng.random() < 0.3,
        expires_on=ends, asset_id=asset.id if asset else None,
    )
    if direction == "need" and kind == "time" and rng.random() < 0.3:
        fields["min_dbs_level"] = "basic"
    if direction == "need" and kind == "room":
        fields["min_capacity"] = rng.choice([6, 10, 30])
        fields["needs_step_free"] = rng.random() < 0.5
    return listings.create_listing(member, admin, **fields)
