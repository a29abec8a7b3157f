"""Synthetic members and listings for benchmarks: N members, M listings, a fixed random seed.

Rows are bulk-inserted (executemany) rather than posted one by one through the services:
at 100,000 listings the services' per-row checks would take minutes and prove nothing new.
Every row satisfies the same database constraints as a posted one.

The draws themselves (`member_fields`, `listing_fields`) are plain functions of a random
generator, so the simulation of a borough (bench/simulate.py) makes its members and listings
the same way without a database.
"""
from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from matching.marketplace import ALL_WEEK
from seed.listing_templates import EQUIPMENT_OFFERS, NEEDS, OFFERS, ROOM_OFFERS
from timebank.places.geocode import DISTRICTS, WARDS

WORDS = ("community", "garden", "youth", "food", "digital", "family", "older", "sports", "arts", "advice",
         "training", "kitchen", "transport", "repair", "music", "health", "carers", "reading", "walking", "skills")
BATCH = 5000


def member_fields(rng: random.Random, member_id: int, member_type: str | None = None) -> dict:
    """One synthetic member's name, type, place and words (a type drawn from every type unless given)."""
    from timebank.members.models import MEMBER_TYPES

    district = rng.choice(sorted(DISTRICTS))
    lat, lon, town = DISTRICTS[district]
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return {
        "id": member_id, "name": f"Synthetic {rng.choice(WORDS).title()} Group {member_id}",
        "type": member_type or rng.choice(sorted(MEMBER_TYPES)),
        "description": " ".join(rng.choices(WORDS, k=12)), "areas_served": town,
        "postcode": f"{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}",
        "town": town, "ward": rng.choice(WARDS),
        "latitude": lat + rng.uniform(-0.01, 0.01), "longitude": lon + rng.uniform(-0.015, 0.015),
    }


def listing_fields(rng: random.Random, member: dict, direction: str, text: tuple[str, str, str, str],
                   start: date, now: datetime, category_of) -> dict:
    """One synthetic listing of ``member`` from a (slug, kind, title, description) template: its window
    starts within 30 days of ``start`` and lasts 40 to 200 days, 1 to 12 hours (or days), 1 to 6
    people for time, a random weekly pattern, place, radius and urgency; a tenth of offers are gifts
    and three tenths of needs accept part of what they ask. ``category_of(slug)`` gives its category."""
    slug, kind, title, description = text
    begins = start + timedelta(days=rng.randint(-30, 30))
    ends = begins + timedelta(days=rng.randint(40, 200))
    # Real listings repeat a few dozen themes in their own words: a template, plus a
    # qualifier and a sentence from a small vocabulary, gives keyword hits of realistic spread.
    return {
        "member_id": member["id"], "direction": direction, "kind": kind,
        "title": f"{title} ({rng.choice(WORDS)})",
        "description": f"{description} {' '.join(rng.choices(WORDS, k=6)).capitalize()}.",
        "category_id": category_of(slug),
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
    }


def load_synthetic(n_members: int, n_listings: int, seed: int = 1) -> dict:
    """Add n_members active members (each with an admin user) and n_listings open listings."""
    from sqlalchemy import func, select, text

    from seed.demo import DEMO_PASSWORD
    from timebank.accounts.models import User
    from timebank.accounts.services import hash_password
    from timebank.db import today, utcnow
    from timebank.extensions import db
    from timebank.listings.models import Category, Listing
    from timebank.listings.services import load_categories
    from timebank.listings.words import rebuild_vocabulary
    from timebank.members.models import Member, Membership

    rng = random.Random(seed)
    load_categories(json.loads(Path(__file__).with_name("categories.json").read_text()))
    leaves = [c.id for c in db.session.scalars(select(Category).where(Category.parent_id.is_not(None)))]
    first = (db.session.scalar(select(func.max(Member.id))) or 0) + 1
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: scrypt per row would dominate the run
    now = utcnow()
    member_rows, user_rows = [], []
    for i in range(first, first + n_members):
        member_rows.append({**member_fields(rng, i), "status": "active", "credit_limit": Decimal(10),
                            "created_at": now})
        user_rows.append({"email": f"admin{i}@synthetic.example", "password_hash": password_hash,
                          "display_name": f"Admin {i}", "created_at": now, "email_confirmed_at": now,
                          "failed_logins": 0})
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
        listing_rows.append(listing_fields(rng, member, direction, rng.choice(texts[direction]), start, now,
                                           lambda slug: slugs.get(slug) or rng.choice(leaves)))
    _bulk(Listing, listing_rows)
    _sync_sequences()
    db.session.flush()
    rebuild_vocabulary()  # bulk inserts pass by the flush hook that learns new listings' words
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
    from sqlalchemy import insert

    from timebank.extensions import db

    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[i:i + BATCH])


def _sync_sequences() -> None:
    """After inserting explicit ids, move PostgreSQL's sequence past them."""
    from sqlalchemy import func, select

    from timebank.extensions import db
    from timebank.members.models import Member

    if db.engine.dialect.name == "postgresql":
        db.session.execute(func.setval(func.pg_get_serial_sequence("members", "id"),
                                       select(func.coalesce(func.max(Member.id), 1)).scalar_subquery()).select())


def load_history(n_exchanges: int, n_postings: int, seed: int = 1, days: int = 720) -> dict:
    """Add n_exchanges completed exchanges among the active members, with their confirmed legs
    and exactly n_postings ledger postings (two per credit-moving leg), bulk-inserted.

    Legs are time (45%), skills (35%), rooms (12%) and equipment (8%), confirmed on a day in the
    last `days`; a tenth of time and skill legs are gifts. Once the postings reach n_postings the
    remaining time and skill legs are gifts, so the counts are exact. Used by bench/reports.py.
    """
    from sqlalchemy import func, select, text

    from timebank.db import utcnow
    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.extensions import db
    from timebank.ledger.models import Account, LedgerEntry, Posting
    from timebank.listings.models import Category
    from timebank.members.models import Member

    if n_postings % 2:
        raise ValueError("postings come in pairs: n_postings must be even")
    rng = random.Random(seed)
    members = list(db.session.scalars(select(Member.id).where(Member.status == "active").order_by(Member.id)))
    if len(members) < 2:
        raise ValueError("load members first (load_synthetic)")
    leaves = [c.id for c in db.session.scalars(select(Category).where(Category.parent_id.is_not(None)))]

    def next_id(model) -> int:
        return (db.session.scalar(select(func.max(model.id))) or 0) + 1

    have = set(db.session.scalars(select(Account.member_id).where(Account.member_id.is_not(None))))
    account_id = next_id(Account)
    new_accounts = []
    for member_id in members:
        if member_id not in have:
            new_accounts.append({"id": account_id, "kind": "member", "member_id": member_id, "created_at": utcnow()})
            account_id += 1
    _bulk(Account, new_accounts)
    accounts = dict(db.session.execute(select(Account.member_id, Account.id).where(Account.member_id.is_not(None))).all())

    exchange_id, leg_id, entry_id, posting_id = next_id(Exchange), next_id(Leg), next_id(LedgerEntry), next_id(Posting)
    exchanges, parties, legs, entries, postings = [], [], [], [], []
    now = utcnow()
    credit_legs_left = n_postings // 2
    for _ in range(n_exchanges):
        at = now - timedelta(days=rng.uniform(1, days))
        giver, receiver = rng.sample(members, 2)
        n_legs = 1 if rng.random() < 0.6 else 2
        pair = [(giver, receiver), (receiver, giver)][:n_legs]
        exchanges.append({"id": exchange_id, "shape": "pair" if n_legs == 2 else "direct", "status": "completed",
                          "story": "Synthetic exchange", "score": Decimal(0), "created_at": at - timedelta(days=14),
                          "decided_at": at - timedelta(days=10), "completed_at": at, "version": 1})
        parties += [{"exchange_id": exchange_id, "member_id": m, "status": "accepted", "responded_at": at}
                    for m in (giver, receiver)]
        for position, (g, r) in enumerate(pair):
            roll = rng.random()
            kind = "time" if roll < 0.45 else "skill" if roll < 0.80 else "room" if roll < 0.92 else "equipment"
            hours = Decimal(rng.randint(1, 16)) / 2 if kind != "equipment" else Decimal(rng.randint(1, 7))
            people = rng.randint(1, 6) if kind == "time" else 1
            gift = kind in ("time", "skill") and (rng.random() < 0.1 or credit_legs_left == 0)
            confirmed = at - timedelta(minutes=rng.randint(0, 600))
            legs.append({"id": leg_id, "exchange_id": exchange_id, "position": position, "giver_member_id": g,
                         "receiver_member_id": r, "kind": kind, "category_id": rng.choice(leaves),
                         "description": f"Synthetic {kind}", "hours": hours, "people": people, "is_gift": gift,
                         "score": Decimal(0), "reason": "", "status": "confirmed", "scheduled_start": confirmed,
                         "scheduled_end": confirmed, "actual_hours": hours, "actual_people": people,
                         "delivered_at": confirmed, "confirmed_at": confirmed, "version": 1})
            if kind in ("time", "skill") and not gift:
                credits = hours * people
                entries.append({"id": entry_id, "kind": "leg", "leg_id": leg_id, "description": f"Synthetic {kind}",
                                "created_at": confirmed})
                postings.append({"id": posting_id, "entry_id": entry_id, "account_id": accounts[g], "amount": credits})
                postings.append({"id": posting_id + 1, "entry_id": entry_id, "account_id": accounts[r],
                                 "amount": -credits})
                entry_id += 1
                posting_id += 2
                credit_legs_left -= 1
            leg_id += 1
        exchange_id += 1
    if credit_legs_left:
        raise ValueError(f"{n_exchanges} exchanges hold too few time and skill legs for {n_postings} postings")
    for model, rows in ((Exchange, exchanges), (Party, parties), (Leg, legs), (LedgerEntry, entries),
                        (Posting, postings)):
        _bulk(model, rows)
    if db.engine.dialect.name == "postgresql":
        for table in ("ledger_accounts", "exchanges", "legs", "ledger_entries", "ledger_postings"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    db.session.flush()
    db.session.execute(text("ANALYZE"))
    return {"exchanges": len(exchanges), "legs": len(legs), "postings": len(postings), "seed": seed}
