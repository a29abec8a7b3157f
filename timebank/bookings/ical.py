"""A member's bookings and loans as an iCalendar feed, and the secret link that opens it.

Calendar apps fetch the feed without signing in, so the link carries a signed token naming the
member and its feed version; "Make a new link" bumps the version and the old link stops working.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer

from timebank.bookings.models import UK, Booking, Loan
from timebank.bookings.services import calendar_rows, feed_version
from timebank.extensions import db
from timebank.members.models import Member
from timebank.notifications.links import link

_SALT = "calendar-feed"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def feed_token(member: Member) -> str:
    return _serializer().dumps([member.id, feed_version(member)])


def member_for_token(token: str) -> Member | None:
    """The member whose current link this is, or None (bad signature, old version, no such member)."""
    try:
        member_id, version = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None or version != feed_version(member):
        return None
    return member


def feed_url(member: Member) -> str:
    return link("bookings.calendar_feed", external=True, token=feed_token(member))


def _uid(kind: str, row_id: int) -> str:
    host = current_app.config.get("SERVER_NAME") or "exchange.oneknowsley"
    return f"{kind}-{row_id}@{host}"


def _place(member: Member) -> str:
    return ", ".join(part for part in (member.name, member.town, member.postcode) if part)


def _booking_event(booking: Booking, member: Member, stamp: datetime, page: str) -> Event:
    asset, owner = booking.asset, booking.asset.member
    event = Event()
    event.add("uid", _uid("booking", booking.id))
    event.add("dtstamp", stamp)
    event.add("dtstart", booking.starts_at.replace(tzinfo=UK))
    event.add("dtend", booking.ends_at.replace(tzinfo=UK))
    if booking.member_id == member.id:
        summary = f"{asset.name} at {owner.name}"
    else:
        summary = f"{asset.name} booked by {booking.member.name}"
    if booking.status == "cancelled":
        summary = f"Cancelled: {summary}"
    event.add("summary", summary)
    event.add("location", _place(owner))
    event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
    lines = [f"Room booking: {booking.member.name} uses {owner.name}'s {asset.name}."]
    if booking.note:
        lines.append(f"Note: {booking.note}")
    if booking.cancel_reason:
        lines.append(f"Cancelled: {booking.cancel_reason}")
    event.add("description", "\n".join(lines))
    event.add("url", page)
    return event


def _loan_event(loan: Loan, member: Member, stamp: datetime, page: str) -> Event:
    asset, owner = loan.asset, loan.asset.member
    event = Event()
    event.add("uid", _uid("loan", loan.id))
    event.add("dtstamp", stamp)
    # All-day events: DTEND is the day after the last day.
    event.add("dtstart", loan.starts_on)
    event.add("dtend", loan.due_on + timedelta(days=1))
    if loan.member_id == member.id:
        summary = f"On loan: {asset.name} from {owner.name}"
    else:
        summary = f"Lent: {asset.name} to {loan.member.name}"
    if loan.status == "cancelled":
        summary = f"Cancelled: {summary}"
    elif loan.is_overdue():
        summary = f"Overdue: {summary}"
    event.add("summary", summary)
    event.add("location", _place(owner))
    event.add("status", "CANCELLED" if loan.status == "cancelled" else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    lines = [f"Equipment loan: {loan.member.name} borrows {owner.name}'s {asset.name}; "
             f"back by the end of {loan.due_on.day} {loan.due_on:%B %Y}."]
    if loan.note:
        lines.append(f"Note: {loan.note}")
    if loan.cancel_reason:
        lines.append(f"Cancelled: {loan.cancel_reason}")
    event.add("description", "\n".join(lines))
    event.add("url", page)
    return event


def member_calendar(member: Member) -> bytes:
    """The member's bookings and loans, as borrower and as lender, as an .ics file."""
    calendar = Calendar()
    calendar.add("prodid", "-//One Knowsley//The social-sector exchange//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{member.name}: bookings and loans")
    calendar.add("x-wr-timezone", "Europe/London")
    stamp = datetime.now(UTC).replace(microsecond=0)
    page = link("bookings.member_bookings", external=True, member_id=member.id)
    bookings, loans = calendar_rows(member)
    for booking in bookings:
        calendar.add_component(_booking_event(booking, member, stamp, page))
    for loan in loans:
        calendar.add_component(_loan_event(loan, member, stamp, page))
    calendar.add_missing_timezones()
    return calendar.to_ical()
