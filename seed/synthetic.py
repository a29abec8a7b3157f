"""Synthetic members and listings for benchmarks: N members, M listings, a fixed random seed.

Rows are bulk-inserted (executemany) rather than posted one by one through the services:
at 100,000 listings the services' per-row checks would take minutes and prove nothing new.
Every row satisfies the same database constraints as a posted one.
"""
from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, text

from seed.demo import DEMO_PASSWORD
from seed.listing_templates import EQUIPMENT_OFFERS, NEEDS, OFFERS, ROOM_OFFERS
from timebank.accounts.models import User
from timebank.accounts.services import hash_password
from timebank.db import today, utcnow
from timebank.extensions import db
from timebank.listings.models import ALL_WEEK, Category, Listing
from timebank.listings.services import load_categories
from timebank.members.models import MEMBER_TYPES, Member, Membership
from timebank.places import DISTRICTS, WARDS

WORDS = ("community", "garden", "youth", "food", "digital", "family", "older", "sports", "arts", "advice",
         "training", "kitchen", "transport", "repair", "music", "health", "carers", "reading", "walking", "skills")
BATCH = 5000


def load_synthetic(n_members: int, n_listings: int, seed: int = 1) -> dict:
    """Add n_members active members (each with an admin user) and n_listings open listings."""
    rng = random.Random(seed)
    load_categories(json.loads(Path(__file__).with_name("categories.json").read_text()))
    leaves = [c.id for c in db.session.scalars(select(Category).where(Category.parent_id.is_not(None)))]
    first = (db.session.scalar(select(func.max(Member.id))) or 0) + 1
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: scrypt per row would dominate the run
    districts = sorted(DISTRICTS)
    types = sorted(MEMBER_TYPES)
    now = utcnow()
    member_rows, user_rows = [], []
    for i in range(first, first + n_members):
        district = rng.choice(districts)
        lat, lon, town = DISTRICTS[district]
        member_rows.append({
            "id": i, "name": f"Synthetic {rng.choice(WORDS).title()} Group {i}", "type": rng.choice(types),
            "description": " ".join(rng.choices(WORDS, k=12)), "areas_served": town,
            "postcode": f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "town": town, "ward": rng.choice(WARDS),
            "latitude": lat + rng.uniform(-0.01, 0.01), "longitude": lon + rng.uniform(-0.015, 0.015),
            "status": "active", "credit_limit": Decimal(10), "created_at": now,
        })
        user_rows.append({"email": f"admin{i}@synthetic.example", "password_hash": password_hash,
                          "display_name": f"Admin {i}", "created_at": now, "email_confirmed_at": now,
                          "failed_logins": 0, "session_version": 1})
    _bulk(Member, member_rows)
    _bulk(User, user_rows)
    users = dict(db.session.execute(select(User.email, User.id).where(User.email.like("admin%@synthetic.example"))).all())
    _bulk(Membership, [{"user_id": users[f"admin{m['id']}@synthetic.example"], "member_id": m["id"], "role": "admin",
                        "status": "active", "created_at": now} for m in member_rows])

    start = today()
    slugs = dict(db.session.execute(select(Category.slug, Category.id)).all())
    texts = _listing_texts()
    listing_rows = []
    for _ in range(n_listings):
        member = rng.choice(member_rows)
        direction = "need" if rng.random() < 0.5 else "offer"
        slug, kind, title, description = rng.choice(texts[direction])
        begins = start + timedelta(days=rng.randint(-30, 30))
        ends = begins + timedelta(days=rng.randint(40, 200))
        # Real listings repeat a few dozen themes in their own words: a template, plus a
        # qualifier and a sentence from a small vocabulary, gives keyword hits of realistic spread.
        listing_rows.append({
            "member_id": member["id"], "direction": direction, "kind": kind,
            "category_id": slugs.get(slug) or rng.choice(leaves),
            "title": f"{title} ({rng.choice(WORDS)})",
            "description": f"{description} {' '.join(rng.choices(WORDS, k=6)).capitalize()}.",
            "quantity": Decimal(rng.randint(1, 12)), "people": rng.randint(1, 6) if kind == "time" else 1,
            "available_from": begins, "available_until": ends, "weekly_pattern": rng.randint(1, ALL_WEEK),
            "location": rng.choice(("at_giver", "at_receiver", "remote")), "postcode": member["postcode"],
            "town": member["town"], "ward": member["ward"], "latitude": member["latitude"],
            "longitude": member["longitude"], "travel_km": Decimal(rng.choice((2, 5, 10, 20))),
            "min_dbs_level": None, "needs_step_free": False, "min_capacity": None, "needs_insurance": False,
            "urgency": rng.randint(1, 4), "is_gift": direction == "offer" and rng.random() < 0.1,
            "partial_ok": direction == "need" and rng.random() < 0.3, "expires_on": ends, "status": "open",
            "asset_id": None, "created_at": now - timedelta(minutes=rng.randint(0, 60 * 24 * 60)),
            "updated_at": now,
        })
    _bulk(Listing, listing_rows)
    _sync_sequences()
    db.session.flush()
    # Fresh planner statistics: without them both databases guess, and guess badly, at this size.
    db.session.execute(text("ANALYZE"))
    return {"members": n_members, "listings": n_listings, "seed": seed}


def _listing_texts() -> dict[str, list[tuple[str, str, str, str]]]:
    """(category slug, kind, title, description) for offers and for needs, from the demo's templates."""
    offers = [(slug, kind, title, description) for slug, kind, title, description, *_ in OFFERS]
    offers += [(slug, "room", title, description) for slug, title, description, *_ in ROOM_OFFERS]
    offers += [(slug, "equipment", title, description) for slug, title, description, *_ in EQUIPMENT_OFFERS]
    needs = [(slug, kind, title, description) for slug, kind, title, description, *_ in NEEDS]
    return {"offer": offers, "need": needs}


def _bulk(model, rows: list[dict]) -> None:
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[i:i + BATCH])


def _sync_sequences() -> None:
    """After inserting explicit ids, move PostgreSQL's sequence past them."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(func.setval(func.pg_get_serial_sequence("members", "id"),
                                       select(func.coalesce(func.max(Member.id), 1)).scalar_subquery()).select())
