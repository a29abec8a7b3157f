"""Rooms and equipment: your members' bookings and loans; book, borrow, cancel."""
from __future__ import annotations

import marshmallow as ma

from timebank.api.core import (LINK_HEADER, Day, Int, Moment, PageArgs, StrictSchema, Text, UkClock, Utc, actor,
                               blueprint, page_schema, paged, problems)
from timebank.api.exchanges import ReasonSchema, page_of
from timebank.api.members import load_member
from timebank.bookings import services
from timebank.bookings.models import BOOKING_STATUSES, LOAN_STATUSES, Booking, Loan
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.members.models import Asset
from timebank.members.services import can_act_for

bp = blueprint("bookings", "Room bookings and equipment loans")
ID = "id"


def load_asset(asset_id: int) -> Asset:
    """A room or item anyone may see (its owner is active), or 404."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or (asset.member.status != "active" and not can_act_for(actor(), asset.member)):
        raise NotFound(f"There is no room or item {asset_id}", field="asset_id")
    return asset


def load_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"There is no booking {booking_id}")
    if not (can_act_for(actor(), booking.member) or can_act_for(actor(), booking.asset.member)):
        raise NotAllowed("Only the borrower's and the room owner's people can see or cancel this booking")
    return booking


def load_loan(loan_id: int) -> Loan:
    loan = db.session.get(Loan, loan_id)
    if loan is None:
        raise NotFound(f"There is no loan {loan_id}")
    if not (can_act_for(actor(), loan.member) or can_act_for(actor(), loan.asset.member)):
        raise NotAllowed("Only the borrower's and the lender's people can see or cancel this loan")
    return loan


class _Common(ma.Schema):
    id = ma.fields.Integer(required=True)
    asset_id = ma.fields.Integer(required=True)
    asset_name = ma.fields.Function(lambda row: row.asset.name, required=True, metadata={"type": "string"})
    lender_member_id = ma.fields.Function(lambda row: row.asset.member_id, required=True, metadata={"type": "integer"})
    member_id = ma.fields.Integer(required=True, metadata={"description": "The borrower"})
    leg_id = ma.fields.Integer(allow_none=True, required=True)
    note = ma.fields.String(required=True)
    cancel_reason = ma.fields.String(allow_none=True, required=True)
    created_at = Utc(required=True)


class BookingSchema(_Common):
    starts_at = UkClock(required=True, metadata={"description": "UK clock time"})
    ends_at = UkClock(required=True, metadata={"description": "UK clock time"})
    status = ma.fields.String(required=True, metadata={"enum": list(BOOKING_STATUSES)})


class LoanSchema(_Common):
    starts_on = ma.fields.Date(required=True)
    due_on = ma.fields.Date(required=True, metadata={"description": "The last day, included"})
    status = ma.fields.String(required=True, metadata={"enum": list(LOAN_STATUSES)})


def _sided(schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    return type(name, (schema,), {"side": ma.fields.String(required=True, metadata={
        "enum": ["borrower", "lender"], "description": "borrower: your member uses it; lender: it is your member's"})})


SidedBooking = _sided(BookingSchema, "MemberBooking")
SidedLoan = _sided(LoanSchema, "MemberLoan")


class NewBookingSchema(StrictSchema):
    asset_id = Int(required=True, metadata={"description": "The room"})
    member_id = Int(required=True, metadata={"description": "Your member, which books it"})
    starts_at = Moment(required=True, metadata={"description": "UK clock time if no offset is given"})
    ends_at = Moment(required=True)
    note = Text(load_default="", max_length=500)


class NewLoanSchema(StrictSchema):
    asset_id = Int(required=True, metadata={"description": "The item of equipment"})
    member_id = Int(required=True, metadata={"description": "Your member, which borrows it"})
    starts_on = Day(required=True)
    due_on = Day(required=True, metadata={"description": "The last day, included"})
    note = Text(load_default="", max_length=500)


def _with_side(rows: dict) -> list:
    found = []
    for side in ("borrower", "lender"):
        for row in rows[side]:
            row.side = side
            found.append(row)
    return found


@bp.route(f"/members/<{ID}:member_id>/bookings")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(SidedBooking, "MemberBooking"), headers=LINK_HEADER)
@problems(404, 422)
def member_bookings(args, member_id: int):
    """Your member's room bookings: those it made, then those of its rooms (coming ones first)"""
    member = load_member(member_id, need="act")
    return paged(page_of(_with_side(services.bookings_for(member)), args))


@bp.route(f"/members/<{ID}:member_id>/loans")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(SidedLoan, "MemberLoan"), headers=LINK_HEADER)
@problems(404, 422)
def member_loans(args, member_id: int):
    """Your member's equipment loans: those it borrowed, then those of its items"""
    member = load_member(member_id, need="act")
    return paged(page_of(_with_side(services.loans_for(member)), args))


@bp.route("/bookings", methods=["POST"])
@bp.arguments(NewBookingSchema)
@bp.response(201, BookingSchema)
@problems(400, 404, 409, 422)
def book(values):
    """Book another member's room for your member (never double-booked: 409 if taken)"""
    asset = load_asset(values["asset_id"])
    member = load_member(values["member_id"], need="act")
    booking = services.book_room(asset, member, values["starts_at"], values["ends_at"], actor(), note=values["note"])
    db.session.commit()
    return booking


@bp.route("/loans", methods=["POST"])
@bp.arguments(NewLoanSchema)
@bp.response(201, LoanSchema)
@problems(400, 404, 409, 422)
def borrow(values):
    """Ask to borrow another member's item for your member, for whole days (409 if taken)"""
    asset = load_asset(values["asset_id"])
    member = load_member(values["member_id"], need="act")
    loan = services.request_loan(asset, member, values["starts_on"], values["due_on"], actor(), note=values["note"])
    db.session.commit()
    return loan


@bp.route(f"/bookings/<{ID}:booking_id>/cancel", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, BookingSchema)
@problems(400, 404, 409, 422)
def cancel_booking(values, booking_id: int):
    """Cancel a booking (the borrower or the room's owner); the other side is told why"""
    booking = load_booking(booking_id)
    services.cancel_booking(booking, actor(), values["reason"])
    db.session.commit()
    return booking


@bp.route(f"/loans/<{ID}:loan_id>/cancel", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, LoanSchema)
@problems(400, 404, 409, 422)
def cancel_loan(values, loan_id: int):
    """Cancel a reserved loan (the borrower or the lender); the other side is told why"""
    loan = load_loan(loan_id)
    services.cancel_loan(loan, actor(), values["reason"])
    db.session.commit()
    return loan
