"""A generated history for report tests: confirmed legs of every kind (some gifts, one disputed and
cancelled), time credits posted by the real ledger service, room bookings and equipment loans."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest


@dataclass
class History:
    members: list[int]
    legs: list[dict] = field(default_factory=list)  # what each confirmed leg counts as, worked out here
    bookings: list[dict] = field(default_factory=list)
    loans: list[dict] = field(default_factory=list)
    coordinator: str = "coord@reports.example"
    admins: dict = field(default_factory=dict)


@pytest.fixture()
def history(app, make_member, make_user, categories):
    """Returns a History; legs are confirmed on days from April 2025 (the shipped rates) and before."""
    from seed.rates import load_rates
    from timebank.accounts.models import User
    from timebank.bookings.models import Booking, Loan
    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.extensions import db
    from timebank.ledger import services as ledger
    from timebank.members.models import Asset, Member

    rng = random.Random(7)
    places = [("L36 9YS", "charity"), ("L32 1AB", "community_group"), ("L34 5QW", "cic"),
              ("L26 0TT", "business"), ("WA8 3DE", "charity")]
    h = History(members=[])
    for i, (postcode, kind) in enumerate(places):
        email = f"admin{i}@reports.example"
        member_id, _ = make_member(f"Reports Member {i}", type=kind, postcode=postcode, admin_email=email)
        h.members.append(member_id)
        h.admins[member_id] = email
    make_user(h.coordinator, coordinator=True)
    leaves = [categories[s] for s in ("bookkeeping", "bid-writing", "payroll")]
    with app.test_request_context():
        load_rates(log=lambda *_: None)
        coordinator = db.session.scalar(db.select(User).where(User.email == h.coordinator))
        members = {m: db.session.get(Member, m) for m in h.members}
        for member in members.values():
            member.credit_limit = Decimal(10000)  # the history is random: no limit should refuse it
        # Outside Knowsley: a town and a postcode district the borough does not have.
        outsider = members[h.members[4]]
        outsider.town, outsider.postcode = "St Helens", "WA9 1AA"
        room = Asset(member_id=h.members[3], kind="room", name="Board room", capacity=12)
        van = Asset(member_id=h.members[3], kind="equipment", name="Van")
        db.session.add_all([room, van])
        db.session.flush()
        start = datetime(2025, 2, 1, 10, 0)
        for n in range(40):
            giver, receiver = rng.sample(h.members, 2)
            kind = rng.choice(("time", "time", "skill", "room", "equipment"))
            hours = Decimal(rng.randint(1, 12)) / 2
            people = rng.randint(1, 4) if kind == "time" else 1
            gift = kind in ("time", "skill") and rng.random() < 0.2
            at = start + timedelta(days=rng.randint(0, 600), hours=rng.randint(0, 8))
            exchange = Exchange(shape="direct", status="scheduled", story="generated")
            exchange.parties = [Party(member_id=giver, status="accepted"), Party(member_id=receiver, status="accepted")]
            leg = Leg(position=0, giver_member_id=giver, receiver_member_id=receiver, kind=kind,
                      category_id=rng.choice(leaves), description=f"Generated {kind} {n}", hours=hours,
                      people=people, is_gift=gift, status="delivered", actual_hours=hours, actual_people=people)
            exchange.legs = [leg]
            db.session.add(exchange)
            db.session.flush()
            if n % 13 == 5:  # a disputed then cancelled leg counts for nothing
                leg.status = "cancelled"
                continue
            leg.happened_on = at.date()  # the day the help happened: what the ledger and reports date it by
            ledger.post_leg(leg, coordinator)
            leg.status, leg.confirmed_at, leg.confirmed_by_id = "confirmed", at, coordinator.id
            exchange.status, exchange.completed_at = "completed", at
            h.legs.append({"id": leg.id, "giver": giver, "receiver": receiver, "kind": kind, "day": at.date(),
                           "quantity": hours * people if kind in ("time", "skill") else hours, "gift": gift,
                           "category": leg.category_id})
        # Bookings and loans made directly (no leg); a cancelled one and one still to come count for nothing.
        for n in range(6):
            begins = datetime(2025, 5, 1, 9, 0) + timedelta(days=7 * n)
            status = "cancelled" if n == 2 else "completed"
            booking = Booking(asset_id=room.id, member_id=h.members[n % 3], starts_at=begins,
                              ends_at=begins + timedelta(hours=1 + n, minutes=30), status=status)
            db.session.add(booking)
            if status != "cancelled":
                h.bookings.append({"hours": Decimal(1 + n) + Decimal("0.5"), "day": begins.date(),
                                   "receiver": h.members[n % 3]})
        future = datetime.now() + timedelta(days=30)
        db.session.add(Booking(asset_id=room.id, member_id=h.members[0], starts_at=future,
                               ends_at=future + timedelta(hours=2), status="confirmed"))
        for n, status in enumerate(("returned", "out", "cancelled", "reserved", "returned")):
            first = date(2025, 6, 2) + timedelta(days=10 * n)
            db.session.add(Loan(asset_id=van.id, member_id=h.members[n % 3], starts_on=first,
                                due_on=first + timedelta(days=n), status=status))
            if status in ("returned", "out"):
                h.loans.append({"days": n + 1, "day": first, "receiver": h.members[n % 3]})
        db.session.commit()
    return h
