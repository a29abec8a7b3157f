"""Book rooms and lend equipment: never twice at once, every change audited and notified.

The exchanges module calls `book_room` and `request_loan` when a coordinator approves an exchange
with room or equipment legs; members call them from an asset's page. Both take a lock on the asset
row before checking for overlaps, so two requests for one room are served one after the other and
the second sees the first (docs/bookings.md).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError

from timebank.audit.services import record
from timebank.bookings.models import LIVE_LOAN_STATUSES, Booking, CalendarFeed, Loan, uk_now, uk_today
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.main.filters import format_clock
from timebank.members.models import Asset, Member
from timebank.members.access import can_act_for
from timebank.notifications.links import Page
from timebank.notifications.services import notify_member

# How long a PAT test done at check-out counts for (a common interval for portable equipment lent out).
PAT_INTERVAL = timedelta(days=365)


class DoubleBooking(Conflict):
    """The room or item is already booked or lent for (part of) that time."""

    kind = "double-booking"


# -- words --------------------------------------------------------------------------------------

def day_words(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


_clock = format_clock  # one way to say a time of day, site-wide


def describe_slot(starts_at: datetime, ends_at: datetime) -> str:
    """'from 10:00 to 12:00 on 3 March 2027' (or across two days)."""
    if starts_at.date() == ends_at.date():
        return f"from {_clock(starts_at)} to {_clock(ends_at)} on {day_words(starts_at)}"
    return f"from {_clock(starts_at)} on {day_words(starts_at)} to {_clock(ends_at)} on {day_words(ends_at)}"


def describe_days(starts_on: date, due_on: date) -> str:
    if starts_on == due_on:
        return f"on {day_words(starts_on)}"
    return f"from {day_words(starts_on)} to {day_words(due_on)}"


# -- locking --------------------------------------------------------------------------------

def _lock_asset(asset: Asset) -> None:
    """Serialise writers of one asset's calendar until this transaction ends.

    PostgreSQL: a row lock on the asset (SELECT ... FOR UPDATE); a second request for the same asset
    waits here until the first commits, then sees its booking. SQLite allows one writer at a time,
    but a transaction only takes the write lock at its first write: a write that changes nothing
    takes it now, before the overlap check, so that check and the insert cannot interleave.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE assets SET id = id WHERE id = :id"), {"id": asset.id})
    else:
        db.session.execute(select(Asset.id).where(Asset.id == asset.id).with_for_update())


def _insert(row, clash) -> None:
    """Add and flush `row`; if PostgreSQL's exclusion constraint refuses it, raise DoubleBooking."""
    _insert_all([row], clash)


def _insert_all(rows: list, clash) -> None:
    """Add and flush `rows`, all or none; if PostgreSQL's exclusion constraint refuses one, raise `clash()`.

    Under the lock that is rare (another writer that bypassed the services). A savepoint keeps the
    transaction usable so that `clash()` can name the booking in the way, and takes back every
    row of the batch. SQLite has no such constraint, and pysqlite's SAVEPOINT would commit early,
    so there the rows are simply flushed.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.add_all(rows)
        db.session.flush()
        return
    savepoint = db.session.begin_nested()
    db.session.add_all(rows)
    try:
        savepoint.commit()
    except IntegrityError as error:
        savepoint.rollback()
        if "no_overlap" not in str(error.orig):
            raise
        raise clash() from error


# -- rooms ----------------------------------------------------------------------------------

def booking_clash(asset: Asset, starts_at: datetime, ends_at: datetime, *, ignore_id: int | None = None) -> Booking | None:
    """The first live booking of the room that overlaps [starts_at, ends_at)."""
    query = select(Booking).where(
        Booking.asset_id == asset.id, Booking.status != "cancelled",
        Booking.starts_at < ends_at, Booking.ends_at > starts_at)
    if ignore_id is not None:
        query = query.where(Booking.id != ignore_id)
    return db.session.scalars(query.order_by(Booking.starts_at).limit(1)).first()


def _double_booking(asset: Asset, clash: Booking) -> DoubleBooking:
    return DoubleBooking(f"{asset.name} is already booked {describe_slot(clash.starts_at, clash.ends_at)}.",
                         field="starts_at")


def _check_parties(asset: Asset, member: Member, actor, kind: str) -> None:
    if asset.kind != kind:
        raise DomainError(f"{asset.name} is not {'a room' if kind == 'room' else 'equipment'}", field="asset_id")
    # The borrower's people book; the owner's people may also record a booking for a borrower (a phone request).
    if not (can_act_for(actor, member) or can_act_for(actor, asset.member)):
        raise NotAllowed(f"You cannot book for {member.name}")
    if member.id == asset.member_id:
        raise DomainError(f"{asset.name} belongs to {member.name}: there is nothing to book", field="member_id")
    if member.status != "active":
        raise DomainError(f"{member.name} is not an approved member yet, so it cannot book", field="member_id")
    if asset.member.status != "active":
        raise DomainError(f"{asset.member.name} is not taking bookings at the moment", field="asset_id")


def bookable_until(asset: Asset) -> date:
    """The last day the owner lets anyone book or borrow it from (its book-ahead bound)."""
    return uk_today() + timedelta(days=asset.book_ahead_days)


def check_room_slot(asset: Asset, starts_at: datetime, ends_at: datetime, *, past_allowed: bool = False) -> None:
    """A slot the room's owner allows: after its start, in the future, within how far ahead and how long."""
    if ends_at <= starts_at:
        raise DomainError("The end time must be after the start time", field="ends_at")
    if not past_allowed and starts_at < uk_now():
        raise DomainError("The start must be in the future", field="starts_at")
    if starts_at.date() > bookable_until(asset):
        raise DomainError(f"{asset.name} can be booked up to {asset.book_ahead_days} days ahead: "
                          f"choose a start on or before {day_words(bookable_until(asset))}", field="starts_at")
    if ends_at - starts_at > timedelta(hours=asset.longest_booking_hours):
        raise DomainError(f"{asset.name} can be booked for {asset.longest_booking_hours} hours at most", field="ends_at")


def book_room(asset: Asset, member: Member, starts_at: datetime, ends_at: datetime, actor, *,
              leg=None, note: str = "") -> Booking:
    """Book `asset` (a room) for `member` from `starts_at` to `ends_at` (UK clock times); DoubleBooking if taken."""
    _check_parties(asset, member, actor, "room")
    check_room_slot(asset, starts_at, ends_at, past_allowed=leg is not None)
    _lock_asset(asset)
    clash = booking_clash(asset, starts_at, ends_at)
    if clash is not None:
        raise _double_booking(asset, clash)
    booking = Booking(asset_id=asset.id, member_id=member.id, leg_id=getattr(leg, "id", None),
                      starts_at=starts_at, ends_at=ends_at, note=note.strip(), created_by_id=getattr(actor, "id", None),
                      status="confirmed")
    _insert(booking, lambda: _double_booking(asset, booking_clash(asset, starts_at, ends_at)
                                             or Booking(starts_at=starts_at, ends_at=ends_at)))
    slot = describe_slot(starts_at, ends_at)
    record(actor, "booking.created", booking, f"{member.name} booked {asset.name} {slot}",
           member_id=asset.member_id, borrower_id=member.id, leg_id=booking.leg_id)
    notify_member([asset.member], "bookings", f"{member.name} booked {asset.name} {slot}.",
                  page=Page("bookings.member_bookings", member_id=asset.member_id))
    notify_member([member], "bookings", f"Your booking of {asset.name} ({asset.member.name}) {slot} is confirmed.",
                  page=Page("bookings.member_bookings", member_id=member.id))
    return booking


def cancel_booking(booking: Booking, actor, reason: str) -> Booking:
    """Cancel a booking (the borrower or the room's owner); the other side is told why."""
    if not (can_act_for(actor, booking.member) or can_act_for(actor, booking.asset.member)):
        raise NotAllowed("You cannot cancel this booking")
    if booking.status != "confirmed":
        raise Conflict(f"This booking is already {booking.status}")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason, which will be sent to the other organisation", field="reason")
    booking.status = "cancelled"
    booking.cancelled_at = utcnow()
    booking.cancelled_by_id = getattr(actor, "id", None)
    booking.cancel_reason = reason
    db.session.flush()
    slot = describe_slot(booking.starts_at, booking.ends_at)
    asset = booking.asset
    record(actor, "booking.cancelled", booking, f"Booking of {asset.name} {slot} cancelled: {reason}",
           member_id=asset.member_id, borrower_id=booking.member_id, reason=reason)
    text = f"The booking of {asset.name} by {booking.member.name} {slot} is cancelled. Reason: {reason}"
    notify_member([asset.member, booking.member], "bookings", text, page=Page("bookings.member_bookings", member_id=booking.member_id))
    return booking


def complete_past_bookings(now: datetime | None = None) -> int:
    """Mark confirmed bookings that have ended as completed (run daily with the reminders)."""
    now = now or uk_now()
    bookings = db.session.scalars(select(Booking).where(Booking.status == "confirmed", Booking.ends_at <= now)).all()
    for booking in bookings:
        booking.status = "completed"
        booking.completed_at = utcnow()
        record(None, "booking.completed", booking, f"Booking of {booking.asset.name} "
               f"{describe_slot(booking.starts_at, booking.ends_at)} took place", member_id=booking.asset.member_id)
    db.session.flush()
    return len(bookings)


# -- equipment --------------------------------------------------------------------------------

def loan_clash(asset: Asset, starts_on: date, due_on: date, *, ignore_id: int | None = None) -> Loan | None:
    """The first live loan of the item that shares a day with [starts_on, due_on]."""
    query = select(Loan).where(
        Loan.asset_id == asset.id, Loan.status.in_(LIVE_LOAN_STATUSES),
        Loan.starts_on <= due_on, Loan.due_on >= starts_on)
    if ignore_id is not None:
        query = query.where(Loan.id != ignore_id)
    return db.session.scalars(query.order_by(Loan.starts_on).limit(1)).first()


def _double_loan(asset: Asset, clash: Loan) -> DoubleBooking:
    return DoubleBooking(f"{asset.name} is already booked {describe_days(clash.starts_on, clash.due_on)}.",
                         field="starts_on")


def request_loan(asset: Asset, member: Member, starts_on: date, due_on: date, actor, *,
                 leg=None, note: str = "") -> Loan:
    """Reserve `asset` (equipment) for `member` from `starts_on` to `due_on`, both days included."""
    _check_parties(asset, member, actor, "equipment")
    if due_on < starts_on:
        raise DomainError("The return date must be the same as or after the first day", field="due_on")
    if leg is None and starts_on < uk_today():
        raise DomainError("The first day must be today or in the future", field="starts_on")
    if starts_on > bookable_until(asset):
        raise DomainError(f"{asset.name} can be reserved up to {asset.book_ahead_days} days ahead: choose a first "
                          f"day on or before {day_words(bookable_until(asset))}", field="starts_on")
    if (due_on - starts_on).days + 1 > asset.longest_loan_days:
        raise DomainError(f"{asset.name} can be borrowed for {asset.longest_loan_days} days at most", field="due_on")
    if asset.electrical and asset.pat_result == "fail":
        raise DomainError(f"{asset.name} failed its electrical safety (PAT) test and cannot be lent until it passes",
                          field="asset_id")
    _lock_asset(asset)
    clash = loan_clash(asset, starts_on, due_on)
    if clash is not None:
        raise _double_loan(asset, clash)
    loan = Loan(asset_id=asset.id, member_id=member.id, leg_id=getattr(leg, "id", None), starts_on=starts_on,
                due_on=due_on, note=note.strip(), created_by_id=getattr(actor, "id", None), status="reserved")
    _insert(loan, lambda: _double_loan(asset, loan_clash(asset, starts_on, due_on)
                                       or Loan(starts_on=starts_on, due_on=due_on)))
    days = describe_days(starts_on, due_on)
    record(actor, "loan.reserved", loan, f"{member.name} reserved {asset.name} {days}",
           member_id=asset.member_id, borrower_id=member.id, leg_id=loan.leg_id)
    notify_member([asset.member], "bookings", f"{member.name} reserved {asset.name} {days}.",
                  page=Page("bookings.member_bookings", member_id=asset.member_id))
    notify_member([member], "bookings", f"Your loan of {asset.name} ({asset.member.name}) {days} is reserved.",
                  page=Page("bookings.member_bookings", member_id=member.id))
    return loan


def cancel_loan(loan: Loan, actor, reason: str) -> Loan:
    """Cancel a reserved loan (the borrower or the lender); an item already out is returned instead."""
    if not (can_act_for(actor, loan.member) or can_act_for(actor, loan.asset.member)):
        raise NotAllowed("You cannot cancel this loan")
    if loan.status == "out":
        raise Conflict("This item is out on loan: record its return instead")
    if loan.status != "reserved":
        raise Conflict(f"This loan is already {loan.status}")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason, which will be sent to the other organisation", field="reason")
    loan.status = "cancelled"
    loan.cancelled_at = utcnow()
    loan.cancelled_by_id = getattr(actor, "id", None)
    loan.cancel_reason = reason
    db.session.flush()
    asset = loan.asset
    days = describe_days(loan.starts_on, loan.due_on)
    record(actor, "loan.cancelled", loan, f"Loan of {asset.name} {days} cancelled: {reason}",
           member_id=asset.member_id, borrower_id=loan.member_id, reason=reason)
    text = f"The loan of {asset.name} to {loan.member.name} {days} is cancelled. Reason: {reason}"
    notify_member([asset.member, loan.member], "bookings", text, page=Page("bookings.member_bookings", member_id=loan.member_id))
    return loan


def pat_problem(asset: Asset, on: date | None = None) -> str | None:
    """Why an electrical item needs a PAT check before it goes out, or None."""
    if not asset.electrical:
        return None
    on = on or uk_today()
    if asset.pat_result == "fail":
        return f"{asset.name} failed its last PAT test"
    if asset.pat_tested_on is None or asset.pat_result is None:
        return f"{asset.name} has no PAT test on record"
    if asset.pat_due_on is not None and asset.pat_due_on < on:
        return f"{asset.name}'s PAT test was due on {day_words(asset.pat_due_on)}"
    return None


def check_out(loan: Loan, actor, *, condition: str, pat_checked: bool | None) -> Loan:
    """The lender hands the item over, noting its condition.

    An electrical item whose PAT test is missing, overdue or failed goes out only if the lender
    confirms (`pat_checked=True`) that they inspected and tested it today; that records a pass.
    """
    asset = loan.asset
    if not can_act_for(actor, asset.member):
        raise NotAllowed(f"Only {asset.member.name} can hand over {asset.name}")
    if loan.status != "reserved":
        raise Conflict(f"This loan is {loan.status}, so it cannot be checked out")
    condition = (condition or "").strip()
    if not condition:
        raise DomainError("Describe the item's condition as it goes out", field="condition")
    on = uk_today()
    if loan.starts_on > on:
        raise DomainError(f"This loan starts on {day_words(loan.starts_on)}: hand it over then", field="condition")
    still_out = db.session.scalars(select(Loan).where(
        Loan.asset_id == asset.id, Loan.status == "out", Loan.id != loan.id).limit(1)).first()
    if still_out is not None:
        raise Conflict(f"{asset.name} is still out with {still_out.member.name}: record its return first")
    problem = pat_problem(asset, on)
    if problem and not pat_checked:
        raise DomainError(f"{problem}. Confirm you have inspected and tested it today before it goes out",
                          field="pat_checked")
    if asset.electrical and pat_checked:
        asset.pat_tested_on = on
        asset.pat_result = "pass"
        asset.pat_due_on = on + PAT_INTERVAL
    loan.status = "out"
    loan.checked_out_at = utcnow()
    loan.checked_out_by_id = getattr(actor, "id", None)
    loan.condition_out = condition
    loan.pat_checked = bool(pat_checked) if asset.electrical else None
    db.session.flush()
    record(actor, "loan.checked_out", loan, f"{asset.name} went out to {loan.member.name}, due back {day_words(loan.due_on)}",
           member_id=asset.member_id, borrower_id=loan.member_id, condition=condition, pat_checked=loan.pat_checked)
    notify_member([loan.member], "bookings",
                  f"{asset.name} is out on loan to you until {day_words(loan.due_on)}. Condition: {condition}",
                  page=Page("bookings.member_bookings", member_id=loan.member_id))
    return loan


def check_in(loan: Loan, actor, *, condition: str) -> Loan:
    """The lender takes the item back and notes its condition."""
    asset = loan.asset
    if not can_act_for(actor, asset.member):
        raise NotAllowed(f"Only {asset.member.name} can record the return of {asset.name}")
    if loan.status != "out":
        raise Conflict(f"This loan is {loan.status}, so there is nothing to return")
    condition = (condition or "").strip()
    if not condition:
        raise DomainError("Describe the item's condition as it came back", field="condition")
    late = loan.is_overdue(uk_today())
    loan.status = "returned"
    loan.returned_at = utcnow()
    loan.returned_by_id = getattr(actor, "id", None)
    loan.condition_in = condition
    db.session.flush()
    record(actor, "loan.returned", loan, f"{asset.name} came back from {loan.member.name}" + (" late" if late else ""),
           member_id=asset.member_id, borrower_id=loan.member_id, condition=condition, late=late)
    notify_member([loan.member], "bookings", f"{asset.member.name} recorded the return of {asset.name}. "
                  f"Condition: {condition}", page=Page("bookings.member_bookings", member_id=loan.member_id))
    return loan


def overdue_loans(on: date | None = None) -> list[Loan]:
    """Loans out past their last day, longest overdue first."""
    on = on or uk_today()
    return list(db.session.scalars(select(Loan).where(Loan.status == "out", Loan.due_on < on)
                                   .order_by(Loan.due_on, Loan.id)))


def send_overdue_reminders(on: date | None = None) -> int:
    """Email each overdue loan's borrower (at most once a day per loan); returns how many were sent."""
    on = on or uk_today()
    sent = 0
    for loan in overdue_loans(on):
        if loan.reminded_on is not None and loan.reminded_on >= on:
            continue
        asset = loan.asset
        late = (on - loan.due_on).days
        text = (f"{asset.name} from {asset.member.name} was due back on {day_words(loan.due_on)} "
                f"({late} day{'s' if late != 1 else ''} ago). Please return it or contact them.")
        notify_member([loan.member], "bookings", text, page=Page("bookings.member_bookings", member_id=loan.member_id),
                      subject=f"Please return {asset.name}")
        loan.reminded_on = on
        record(None, "loan.reminded", loan, f"Reminder sent: {asset.name} overdue by {late} days",
               member_id=asset.member_id, borrower_id=loan.member_id)
        sent += 1
    db.session.flush()
    return sent


# -- lists ------------------------------------------------------------------------------------

def _live_first(rows, live: tuple[str, ...], start):
    """Live rows soonest first, then finished and cancelled ones latest first."""
    rows = list(rows)  # a query result is read once; both lists below need every row
    current = sorted((r for r in rows if r.status in live), key=lambda r: (start(r), r.id))
    done = sorted((r for r in rows if r.status not in live), key=lambda r: (start(r), r.id), reverse=True)
    return current + done


def bookings_for(member: Member) -> dict[str, list[Booking]]:
    """{"borrower": bookings the member made, "lender": bookings of its rooms}; confirmed ones first."""
    borrowed = db.session.scalars(select(Booking).where(Booking.member_id == member.id))
    lent = db.session.scalars(select(Booking).join(Asset, Booking.asset_id == Asset.id)
                              .where(Asset.member_id == member.id))
    return {"borrower": _live_first(borrowed, ("confirmed",), lambda b: b.starts_at),
            "lender": _live_first(lent, ("confirmed",), lambda b: b.starts_at)}


def loans_for(member: Member) -> dict[str, list[Loan]]:
    """{"borrower": loans to the member, "lender": loans of its equipment}; reserved and out ones first."""
    borrowed = db.session.scalars(select(Loan).where(Loan.member_id == member.id))
    lent = db.session.scalars(select(Loan).join(Asset, Loan.asset_id == Asset.id).where(Asset.member_id == member.id))
    return {"borrower": _live_first(borrowed, LIVE_LOAN_STATUSES, lambda loan: loan.starts_on),
            "lender": _live_first(lent, LIVE_LOAN_STATUSES, lambda loan: loan.starts_on)}


def taken_slots(asset: Asset, limit: int = 10) -> list[Booking] | list[Loan]:
    """The room's or item's coming bookings or loans (times only are shown to others), soonest first."""
    if asset.kind == "room":
        return list(db.session.scalars(select(Booking).where(
            Booking.asset_id == asset.id, Booking.status == "confirmed", Booking.ends_at > uk_now())
            .order_by(Booking.starts_at).limit(limit)))
    return list(db.session.scalars(select(Loan).where(
        Loan.asset_id == asset.id, Loan.status.in_(LIVE_LOAN_STATUSES), Loan.due_on >= uk_today())
        .order_by(Loan.starts_on).limit(limit)))


def calendar_rows(member: Member) -> tuple[list[Booking], list[Loan]]:
    """Every booking and loan the member is in, either side, for its calendar feed (cancelled ones too)."""
    bookings = db.session.scalars(select(Booking).join(Asset, Booking.asset_id == Asset.id).where(
        or_(Booking.member_id == member.id, Asset.member_id == member.id)).order_by(Booking.starts_at)).all()
    loans = db.session.scalars(select(Loan).join(Asset, Loan.asset_id == Asset.id).where(
        or_(Loan.member_id == member.id, Asset.member_id == member.id)).order_by(Loan.starts_on)).all()
    return list(bookings), list(loans)


# -- calendar feed link -----------------------------------------------------------------------

def feed_version(member: Member) -> int:
    feed = db.session.get(CalendarFeed, member.id)
    return feed.version if feed else 1


def reset_feed(member: Member, actor) -> CalendarFeed:
    """Make a new secret calendar link for the member; the old one stops working."""
    if not can_act_for(actor, member):
        raise NotAllowed(f"You cannot change {member.name}'s calendar link")
    feed = db.session.get(CalendarFeed, member.id)
    if feed is None:
        feed = CalendarFeed(member_id=member.id, version=1)
        db.session.add(feed)
    feed.version += 1
    feed.reset_at = utcnow()
    feed.reset_by_id = getattr(actor, "id", None)
    db.session.flush()
    record(actor, "calendar.reset", member, f"New calendar link for {member.name}; the old one stopped working",
           member_id=member.id)
    return feed



# -- bookings and loans that belong to an exchange's leg ---------------------------------------
# The exchanges module has already decided who may change the exchange (a coordinator, or a party
# withdrawing); these follow it, so they do not ask again whether the actor may book the asset.

def _leg_booking(leg) -> Booking | None:
    return db.session.scalars(select(Booking).where(Booking.leg_id == leg.id, Booking.status == "confirmed")
                              .limit(1)).first()


def _leg_loan(leg) -> Loan | None:
    return db.session.scalars(select(Loan).where(Loan.leg_id == leg.id, Loan.status.in_(LIVE_LOAN_STATUSES))
                              .limit(1)).first()


def move_for_leg(leg, starts_at: datetime, ends_at: datetime, actor, reason: str) -> None:
    """Move the leg's room booking or equipment loan to its new times (DoubleBooking if taken)."""
    booking, loan = _leg_booking(leg), _leg_loan(leg)
    if booking is not None:
        asset = booking.asset
        _lock_asset(asset)
        clash = booking_clash(asset, starts_at, ends_at, ignore_id=booking.id)
        if clash is not None:
            raise _double_booking(asset, clash)
        old = describe_slot(booking.starts_at, booking.ends_at)
        booking.starts_at, booking.ends_at = starts_at, ends_at
        db.session.flush()
        new = describe_slot(starts_at, ends_at)
        record(actor, "booking.moved", booking, f"Booking of {asset.name} moved from {old} to {new}: {reason}",
               member_id=asset.member_id, borrower_id=booking.member_id, reason=reason)
    if loan is not None:
        asset = loan.asset
        if loan.status == "out":
            raise Conflict(f"{asset.name} is already out on loan: record its return, or keep these dates",
                           field="schedule")
        starts_on, due_on = starts_at.date(), ends_at.date()
        _lock_asset(asset)
        clash = loan_clash(asset, starts_on, due_on, ignore_id=loan.id)
        if clash is not None:
            raise _double_loan(asset, clash)
        old = describe_days(loan.starts_on, loan.due_on)
        loan.starts_on, loan.due_on = starts_on, due_on
        db.session.flush()
        record(actor, "loan.moved", loan, f"Loan of {asset.name} moved from {old} to "
               f"{describe_days(starts_on, due_on)}: {reason}", member_id=asset.member_id,
               borrower_id=loan.member_id, reason=reason)


def release_for_leg(leg, actor, reason: str) -> None:
    """Cancel the leg's room booking or reserved loan (an item already out stays out until returned)."""
    booking, loan = _leg_booking(leg), _leg_loan(leg)
    now = utcnow()
    if booking is not None:
        booking.status, booking.cancelled_at = "cancelled", now
        booking.cancelled_by_id, booking.cancel_reason = getattr(actor, "id", None), reason
        db.session.flush()
        record(actor, "booking.cancelled", booking, f"Booking of {booking.asset.name} "
               f"{describe_slot(booking.starts_at, booking.ends_at)} cancelled: {reason}",
               member_id=booking.asset.member_id, borrower_id=booking.member_id, reason=reason)
    if loan is not None and loan.status == "reserved":
        loan.status, loan.cancelled_at = "cancelled", now
        loan.cancelled_by_id, loan.cancel_reason = getattr(actor, "id", None), reason
        db.session.flush()
        record(actor, "loan.cancelled", loan, f"Loan of {loan.asset.name} "
               f"{describe_days(loan.starts_on, loan.due_on)} cancelled: {reason}",
               member_id=loan.asset.member_id, borrower_id=loan.member_id, reason=reason)
