"""Rooms and equipment: your members' bookings and loans; book, borrow, cancel."""
from __future__ import annotations

import re
from datetime import time

import marshmallow as ma
from flask import url_for

from timebank.api.core import (LINK_HEADER, Bool, Day, Int, Moment, PageArgs, StrictSchema, Text, UkClock, Utc,
                               _domain_problem, actor, blueprint, page_of, page_schema, paged)
from timebank.api.document import TakenTimeSchema, problems
from timebank.api.exchanges import ReasonSchema
from timebank.bookings import availability, services, weekly
from timebank.bookings.access import load_asset, load_booking, load_loan, load_series
from timebank.bookings.models import BOOKING_STATUSES, LOAN_STATUSES, SERIES_EVERY_WEEKS, SERIES_TIMES
from timebank.members.access import load_member

bp = blueprint("bookings", "Room bookings and equipment loans", tag="Bookings")
ID = "id"


@bp.errorhandler(weekly.TimesTaken)
def _times_taken(error: weekly.TimesTaken):
    """409, naming each taken time in `taken` as well as in words."""
    return _domain_problem(error, extra={"taken": TakenTimeSchema(many=True).dump(error.taken)})


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
    checked_out_at = Utc(allow_none=True, required=True)
    condition_out = ma.fields.String(allow_none=True, required=True, metadata={"description": "As it went out"})
    pat_checked = ma.fields.Boolean(allow_none=True, required=True, metadata={
        "description": "An electrical item: whether the lender inspected and tested it as it went out"})
    returned_at = Utc(allow_none=True, required=True)
    condition_in = ma.fields.String(allow_none=True, required=True, metadata={"description": "As it came back"})


class CheckOutSchema(StrictSchema):
    condition = Text(required=True, min_length=1, max_length=500,
                     metadata={"description": "The item's condition as it goes out"})
    pat_checked = Bool(load_default=None, metadata={
        "description": "An electrical item whose PAT test is missing, overdue or failed: true if you inspected and "
                       "tested it today (that records a pass); else it is refused"})


class CheckInSchema(StrictSchema):
    condition = Text(required=True, min_length=1, max_length=500,
                     metadata={"description": "The item's condition as it comes back"})


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
def list_member_bookings(args, member_id: int):
    """Your member's room bookings: those it made, then those of its rooms (coming ones first)"""
    member = load_member(member_id, actor(), need="act")
    return paged(page_of(_with_side(services.bookings_for(member)), args))


@bp.route(f"/members/<{ID}:member_id>/loans", tags=["Loans"])
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(SidedLoan, "MemberLoan"), headers=LINK_HEADER)
@problems(404, 422)
def list_member_loans(args, member_id: int):
    """Your member's equipment loans: those it borrowed, then those of its items"""
    member = load_member(member_id, actor(), need="act")
    return paged(page_of(_with_side(services.loans_for(member)), args))


@bp.route(f"/bookings/<{ID}:booking_id>")
@bp.response(200, BookingSchema)
@problems(403, 404)
def get_booking(booking_id: int):
    """One booking your member made, or of your member's room"""
    return load_booking(booking_id, actor())


@bp.route(f"/loans/<{ID}:loan_id>", tags=["Loans"])
@bp.response(200, LoanSchema)
@problems(403, 404)
def get_loan(loan_id: int):
    """One loan your member asked for, or of your member's item"""
    return load_loan(loan_id, actor())


@bp.route("/bookings", methods=["POST"])
@bp.arguments(NewBookingSchema)
@bp.response(201, BookingSchema)
@problems(400, 404, 409, 422)
def book_room(values):
    """Book another member's room for your member (never double-booked: 409 if taken)"""
    asset = load_asset(values["asset_id"], actor())
    member = load_member(values["member_id"], actor(), need="act")
    booking = services.book_room(asset, member, values["starts_at"], values["ends_at"], actor(), note=values["note"])
    return booking, 201, {"Location": url_for("api_bookings.get_booking", booking_id=booking.id)}


@bp.route("/loans", methods=["POST"], tags=["Loans"])
@bp.arguments(NewLoanSchema)
@bp.response(201, LoanSchema)
@problems(400, 404, 409, 422)
def borrow_item(values):
    """Ask to borrow another member's item for your member, for whole days (409 if taken)"""
    asset = load_asset(values["asset_id"], actor())
    member = load_member(values["member_id"], actor(), need="act")
    loan = services.request_loan(asset, member, values["starts_on"], values["due_on"], actor(), note=values["note"])
    return loan, 201, {"Location": url_for("api_bookings.get_loan", loan_id=loan.id)}


@bp.route(f"/bookings/<{ID}:booking_id>/cancel", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, BookingSchema)
@problems(400, 404, 409, 422)
def cancel_booking(values, booking_id: int):
    """Cancel a booking (the borrower or the room's owner); the other side is told why"""
    booking = load_booking(booking_id, actor())
    services.cancel_booking(booking, actor(), values["reason"])
    return booking


@bp.route(f"/loans/<{ID}:loan_id>/cancel", methods=["POST"], tags=["Loans"])
@bp.arguments(ReasonSchema)
@bp.response(200, LoanSchema)
@problems(400, 404, 409, 422)
def cancel_loan(values, loan_id: int):
    """Cancel a reserved loan (the borrower or the lender); the other side is told why"""
    loan = load_loan(loan_id, actor())
    services.cancel_loan(loan, actor(), values["reason"])
    return loan


# -- weekly bookings ------------------------------------------------------------------------------

CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]"


class ClockTime(ma.fields.String):
    """A UK clock time like 10:00 or 14:30 (24-hour)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": f"^{CLOCK}$", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(CLOCK, text):
            raise ma.ValidationError("Give a time like 10:00 or 14:30")
        return time.fromisoformat(text)


class NewSeriesSchema(StrictSchema):
    asset_id = Int(required=True, metadata={"description": "The room"})
    member_id = Int(required=True, metadata={"description": "Your member, which books it"})
    first_day = Day(required=True, metadata={"description": "The first day; the others fall on the same weekday"})
    starts_at = ClockTime(required=True, metadata={"description": "UK clock time, like 10:00"})
    ends_at = ClockTime(required=True, metadata={"description": "UK clock time, like 12:00, the same day"})
    times = Int(required=True, validate=ma.validate.Range(min=SERIES_TIMES[0], max=SERIES_TIMES[1]),
                metadata={"description": "How many times, counting the first"})
    every_weeks = Int(load_default=1, validate=ma.validate.OneOf(SERIES_EVERY_WEEKS),
                      metadata={"description": "1: every week; 2: every other week"})
    leave_out = ma.fields.List(Day(), load_default=list, validate=ma.validate.Length(max=SERIES_TIMES[1]), metadata={
        "description": "Days of the series to leave out, chosen after a 409 named them as taken. Only these are "
                       "left out: a time taken since is refused again"})
    note = Text(load_default="", max_length=500)


def _clock_words(value: time) -> str:
    return f"{value:%H:%M}"


class BookingSeriesSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    asset_id = ma.fields.Integer(required=True)
    asset_name = ma.fields.Function(lambda row: row.asset.name, required=True, metadata={"type": "string"})
    lender_member_id = ma.fields.Function(lambda row: row.asset.member_id, required=True, metadata={"type": "integer"})
    member_id = ma.fields.Integer(required=True, metadata={"description": "The borrower"})
    first_day = ma.fields.Date(required=True)
    starts_at = ma.fields.Function(lambda row: _clock_words(row.starts_time), required=True,
                                   metadata={"type": "string", "description": "UK clock time"})
    ends_at = ma.fields.Function(lambda row: _clock_words(row.ends_time), required=True, metadata={"type": "string"})
    every_weeks = ma.fields.Integer(required=True)
    times = ma.fields.Integer(required=True)
    note = ma.fields.String(required=True)
    description = ma.fields.Function(weekly.describe_series, required=True, metadata={"type": "string"})
    left_out = ma.fields.List(ma.fields.Date(), required=True,
                              metadata={"description": "Days asked for that were left out, by the person's choice"})
    bookings = ma.fields.List(ma.fields.Nested(BookingSchema), required=True,
                              metadata={"description": "Each time booked, with its own status"})
    created_at = Utc(required=True)


class WeekArgs(ma.Schema):
    week = Day(load_default=None, metadata={
        "description": "Any day of the week to show (Monday to Sunday); this week if none or past"})


class CalendarDaySchema(ma.Schema):
    day = ma.fields.Date(required=True)
    free = ma.fields.Boolean(required=True)
    booked = ma.fields.Function(lambda d: [{"starts_at": start, "ends_at": end} for start, end in d.times],
                                required=True, metadata={"type": "array", "items": {
                                    "type": "object", "properties": {"starts_at": {"type": "string"},
                                                                     "ends_at": {"type": "string"}}},
                                    "description": "A room: the clock times booked that day (24:00 runs past midnight)"})
    lent = ma.fields.Boolean(required=True, metadata={"description": "An item: lent out that day"})


class WeekSchema(ma.Schema):
    monday = ma.fields.Date(required=True)
    previous = ma.fields.Date(allow_none=True, required=True, metadata={"description": "null: this week is the first"})
    next = ma.fields.Date(allow_none=True, required=True,
                          metadata={"description": "null: the owner takes no bookings beyond this week"})
    days = ma.fields.List(ma.fields.Nested(CalendarDaySchema), required=True)


@bp.route(f"/assets/<{ID}:asset_id>/calendar")
@bp.arguments(WeekArgs, location="query")
@bp.response(200, WeekSchema)
@problems(404, 422)
def get_asset_calendar(args, asset_id: int):
    """A room's or item's week, Monday to Sunday: the times booked or the days lent (never who by)"""
    return availability.week(load_asset(asset_id, actor()), args["week"])


@bp.route("/booking-series", methods=["POST"])
@bp.arguments(NewSeriesSchema)
@bp.response(201, BookingSeriesSchema)
@problems(400, 404, 409, 422)
def book_room_weekly(values):
    """Book a room every week or every other week; each time is checked, and all are booked or none.

    If any time is taken, the answer is 409 and `taken` names each one; nothing is booked. Send the
    same request again with those days in `leave_out` to book the others.
    """
    asset = load_asset(values["asset_id"], actor())
    member = load_member(values["member_id"], actor(), need="act")
    series = weekly.book_weekly(asset, member, values["first_day"], values["starts_at"], values["ends_at"],
                                values["times"], actor(), every_weeks=values["every_weeks"],
                                leave_out=values["leave_out"], note=values["note"])
    return series, 201, {"Location": url_for("api_bookings.get_booking_series", series_id=series.id)}


@bp.route(f"/booking-series/<{ID}:series_id>")
@bp.response(200, BookingSeriesSchema)
@problems(404)
def get_booking_series(series_id: int):
    """A weekly booking and each of its times (the borrower's and the room owner's people)"""
    return load_series(series_id, actor())


@bp.route(f"/booking-series/<{ID}:series_id>/cancel", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, BookingSeriesSchema)
@problems(400, 404, 409, 422)
def cancel_booking_series(values, series_id: int):
    """Cancel every time of a weekly booking still to come (the borrower or the room's owner); both are told why"""
    series = load_series(series_id, actor())
    weekly.cancel_series(series, actor(), values["reason"])
    return series


@bp.route(f"/loans/<{ID}:loan_id>/check-out", methods=["POST"], tags=["Loans"])
@bp.arguments(CheckOutSchema)
@bp.response(200, LoanSchema)
@problems(400, 404, 409, 422)
def check_out_loan(values, loan_id: int):
    """The lender hands the item over on or after the loan's first day, noting its condition"""
    loan = load_loan(loan_id, actor())
    return services.check_out(loan, actor(), condition=values["condition"], pat_checked=values["pat_checked"])


@bp.route(f"/loans/<{ID}:loan_id>/check-in", methods=["POST"], tags=["Loans"])
@bp.arguments(CheckInSchema)
@bp.response(200, LoanSchema)
@problems(400, 404, 409, 422)
def check_in_loan(values, loan_id: int):
    """The lender takes the item back, noting its condition"""
    loan = load_loan(loan_id, actor())
    return services.check_in(loan, actor(), condition=values["condition"])
