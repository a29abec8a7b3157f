"""Fixtures for bookings and loans: a hall and a projector owned by one member, borrowers, dates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from timebank.bookings.models import uk_today


@dataclass
class Place:
    owner_id: int
    owner_user_id: int
    borrower_id: int
    borrower_user_id: int
    other_id: int
    other_user_id: int
    hall_id: int
    projector_id: int
    trolley_id: int


@pytest.fixture()
def make_asset(app):
    """make_asset(member_id, kind="room", **fields) -> asset id (a row, not through the asset pages)."""
    from timebank.extensions import db
    from timebank.members.models import Asset

    def make(member_id: int, kind: str = "room", **fields) -> int:
        # Bookable two years ahead, so that next_year()'s days (up to 17 months away) are in reach.
        defaults = {"room": dict(name="Community hall", capacity=60, step_free=True, opening_hours="Mon to Fri 9am to 9pm",
                                 book_ahead_days=730),
                    "equipment": dict(name="Projector", condition="good", book_ahead_days=730)}[kind]
        defaults.update(fields)
        with app.app_context():
            asset = Asset(member_id=member_id, kind=kind, **defaults)
            db.session.add(asset)
            db.session.commit()
            return asset.id

    return make


@pytest.fixture()
def place(make_member, make_asset) -> Place:
    owner_id, owner_user = make_member("Kirkby Community Centre", admin_email="hall@example.org")
    borrower_id, borrower_user = make_member("Halewood Youth Club", admin_email="youth@example.org")
    other_id, other_user = make_member("Prescot Seniors", admin_email="seniors@example.org")
    hall = make_asset(owner_id, "room")
    today = uk_today()
    projector = make_asset(owner_id, "equipment", name="Projector", electrical=True, pat_result="pass",
                           pat_tested_on=today - timedelta(days=400), pat_due_on=today - timedelta(days=35),
                           deposit=Decimal("20"))
    trolley = make_asset(owner_id, "equipment", name="Folding tables trolley", condition="fair")
    return Place(owner_id, owner_user, borrower_id, borrower_user, other_id, other_user, hall, projector, trolley)


def next_year(month: int = 3, day: int = 3) -> date:
    return date(uk_today().year + 1, month, day)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)


@pytest.fixture()
def svc(app):
    """Call services inside a request context; returns a helper with rows loaded by id."""
    from timebank.accounts.models import User
    from timebank.bookings.models import Booking, Loan
    from timebank.extensions import db
    from timebank.members.models import Asset, Member

    class Helper:
        def user(self, user_id):
            return db.session.get(User, user_id)

        def member(self, member_id):
            return db.session.get(Member, member_id)

        def asset(self, asset_id):
            return db.session.get(Asset, asset_id)

        def booking(self, booking_id):
            return db.session.get(Booking, booking_id)

        def loan(self, loan_id):
            return db.session.get(Loan, loan_id)

    with app.test_request_context():
        yield Helper()
        db.session.rollback()
