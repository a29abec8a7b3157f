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
from seed.organisations import BUSINESSES, ORGANISATIONS
from timebank.accounts import services as accounts
from timebank.accounts.models import User
from timebank.db import today
from timebank.extensions import db
from timebank.listings import services as listings
from timebank.listings.models import Category, Listing
from timebank.members import services as members
from timebank.members.models import Member, Membership
from timebank.opendata.services import set_consent

DEMO_PASSWORD = "demo-password-1"
CATEGORIES = Path(__file__).with_name("categories.json")
# Two organisations stay pending so a coordinator has someone to vet.
PENDING = {"Kirkby Market Traders Association", "Huyton Dementia Cafe"}

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
    rng = random.Random(2027)  # a seed whose market shows a three-way ring and gift chains (tests/matcher)
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
    members.add_compliance_record(member, admin, kind="safeguarding", policy_held=True,
                                  expires_on=start + timedelta(days=rng.randint(-20, 330)))
    if rng.random() < 0.8:
        members.add_compliance_record(member, admin, kind="insurance", insurer="Community Mutual Insurance",
                                      cover_amount=Decimal(5_000_000),
                                      expires_on=start + timedelta(days=rng.randint(10, 360)))
    if member.type != "business" and rng.random() < 0.6:
        # DBS records are kept 6 months after the decision, so the demo's decisions are recent
        issued = start - timedelta(days=rng.randint(30, 150))
        members.add_compliance_record(member, admin, kind="dbs", dbs_level=rng.choice(["standard", "enhanced"]),
                                      holder="Volunteers", people=rng.choice([2, 4, 6, 8]),
                                      decision="No information disclosed", issued_on=issued,
                                      decided_on=issued + timedelta(days=7))


def _listings(member: Member, admin: User, categories: dict, rng: random.Random, start) -> None:
    business = member.type == "business"
    n_offers = rng.randint(3, 5) if business else rng.randint(1, 3)
    n_needs = 0 if business else rng.randint(2, 3)
    for template in rng.sample(OFFERS, n_offers):
        _post(member, admin, categories, rng, start, "offer", template, gift=business and rng.random() < 0.7)
    if rng.random() < (0.6 if business else 0.25):
        slug, title, desc, capacity, step_free, facilities, hours = rng.choice(ROOM_OFFERS)
        room = members.add_asset(member, admin, kind="room", name=title, description=desc, capacity=capacity,
                                 step_free=step_free, facilities=facilities, opening_hours=hours)
        _post(member, admin, categories, rng, start, "offer", (slug, "room", title, desc, 3, 1), asset=room,
              gift=business)
    if rng.random() < (0.5 if business else 0.25):
        slug, title, desc, electrical, condition = rng.choice(EQUIPMENT_OFFERS)
        tested = start - timedelta(days=rng.randint(10, 300)) if electrical else None
        item = members.add_asset(member, admin, kind="equipment", name=title, description=desc, condition=condition,
                                 electrical=electrical, pat_tested_on=tested, pat_result="pass" if electrical else None,
                                 pat_due_on=tested + timedelta(days=365) if tested else None,
                                 deposit=Decimal(rng.choice([0, 0, 25, 50])), insurance_required=rng.random() < 0.3)
        _post(member, admin, categories, rng, start, "offer", (slug, "equipment", title, desc, 3, 1), asset=item,
              gift=business)
    for template in rng.sample(NEEDS, n_needs):
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
