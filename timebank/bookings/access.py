"""The loaders of rooms and items, bookings, weekly bookings and loans, for the web pages and the API alike.

Each takes the acting user (the web passes `current_user`, the API `actor()`) and raises NotFound
or NotAllowed, which each edge answers in its own way: the 404 or 403 page (timebank/main/errors.py),
or a problem (timebank/api/core.py).
"""
from __future__ import annotations

from timebank.accounts.models import User
from timebank.bookings.models import Booking, BookingSeries, Loan
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.members.access import can_act_for
from timebank.members.models import Asset

LOAN_NEEDS = ("either", "lender")


def load_asset(asset_id: int, user: User) -> Asset:
    """A room or item anyone may see (its owner is active; a pending owner's only for its own people)."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or (asset.member.status != "active" and not can_act_for(user, asset.member)):
        raise NotFound(f"There is no room or item {asset_id}", field="asset_id")
    return asset


def _for_either_side(model, noun: str, owner: str, row_id: int, user: User):
    """Row `row_id` of `model` (a booking, weekly booking or loan) for its borrower's or its owner's
    people, and coordinators."""
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(f"There is no {noun} {row_id}")
    if not (can_act_for(user, row.member) or can_act_for(user, row.asset.member)):
        raise NotAllowed(f"Only the borrower's and the {owner}'s people can see or cancel this {noun}")
    return row


def load_booking(booking_id: int, user: User) -> Booking:
    return _for_either_side(Booking, "booking", "room owner", booking_id, user)


def load_series(series_id: int, user: User) -> BookingSeries:
    return _for_either_side(BookingSeries, "weekly booking", "room owner", series_id, user)


def load_loan(loan_id: int, user: User, *, need: str = "either") -> Loan:
    """A loan; need="either" (the borrower's or the lender's people) or "lender" (only the item's owner
    hands it over and takes it back). Coordinators are both."""
    if need not in LOAN_NEEDS:
        raise ValueError(need)
    loan = _for_either_side(Loan, "loan", "lender", loan_id, user)
    if need == "lender" and not can_act_for(user, loan.asset.member):
        raise NotAllowed(f"Only {loan.asset.member.name} can hand over {loan.asset.name} and take it back")
    return loan
