"""The booking and loan rules, called as the exchanges module and the pages call them."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tests.bookings.conftest import at, next_year
from timebank.audit.models import AuditEvent
from timebank.bookings import services
from timebank.bookings.models import Booking, Loan, uk_today
from timebank.bookings.services import DoubleBooking
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.notifications.models import Notification


def _book(svc, place, start, end, *, member_id=None, user_id=None):
    booking = services.book_room(svc.asset(place.hall_id), svc.member(member_id or place.borrower_id), start, end,
                                 svc.user(user_id or place.borrower_user_id))
    db.session.commit()
    return booking


def test_a_booking_is_confirmed_audited_and_both_sides_told(svc, place, mailbox):
    day = next_year()
    booking = _book(svc, place, at(day, 10), at(day, 12))
    assert booking.status == "confirmed"
    assert booking.lender.id == place.owner_id
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "bookings")).all()
    assert actions == ["booking.created"]
    owner_note = db.session.scalar(select(Notification.text).where(Notification.user_id == place.owner_user_id))
    assert owner_note == f"Halewood Youth Club booked Community hall from 10:00 to 12:00 on 3 March {day.year}."
    assert mailbox.to("youth@example.org") and mailbox.to("hall@example.org")


def test_an_overlapping_booking_is_refused_with_a_clear_message_and_the_first_is_intact(svc, place):
    day = next_year()
    first = _book(svc, place, at(day, 10), at(day, 12))
    with pytest.raises(DoubleBooking) as refused:
        _book(svc, place, at(day, 11), at(day, 13), member_id=place.other_id, user_id=place.other_user_id)
    assert refused.value.message == f"Community hall is already booked from 10:00 to 12:00 on 3 March {day.year}."
    assert refused.value.field == "starts_at"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    assert svc.booking(first.id).status == "confirmed"


@pytest.mark.parametrize("start, end", [(9, 11), (11, 12), (9, 13), (10, 12)])
def test_every_kind_of_overlap_is_refused(svc, place, start, end):
    day = next_year()
    _book(svc, place, at(day, 10), at(day, 12))
    with pytest.raises(DoubleBooking):
        _book(svc, place, at(day, start), at(day, end), member_id=place.other_id, user_id=place.other_user_id)


def test_back_to_back_bookings_and_a_cancelled_slot_are_free(svc, place):
    day = next_year()
    first = _book(svc, place, at(day, 10), at(day, 12))
    _book(svc, place, at(day, 12), at(day, 14), member_id=place.other_id, user_id=place.other_user_id)
    services.cancel_booking(first, svc.user(place.owner_user_id), "The boiler is being replaced")
    db.session.commit()
    again = _book(svc, place, at(day, 9), at(day, 11), member_id=place.other_id, user_id=place.other_user_id)
    assert again.status == "confirmed"
    note = db.session.scalar(select(Notification.text).where(Notification.user_id == place.borrower_user_id,
                                                              Notification.text.like("%cancelled%")))
    assert note.endswith("Reason: The boiler is being replaced")


@pytest.mark.parametrize("start_hour, end_hour, days_ahead, field, words", [
    (12, 10, 30, "ends_at", "The end time must be after the start time"),
    (10, 12, -1, "starts_at", "The start must be in the future"),
])
def test_bad_times_are_refused(svc, place, start_hour, end_hour, days_ahead, field, words):
    day = uk_today() + timedelta(days=days_ahead)
    with pytest.raises(DomainError, match=words) as refused:
        _book(svc, place, at(day, start_hour), at(day, end_hour))
    assert refused.value.field == field


def test_who_may_book_and_what(svc, place):
    day = next_year()
    with pytest.raises(DomainError, match="nothing to book"):
        _book(svc, place, at(day, 10), at(day, 12), member_id=place.owner_id, user_id=place.owner_user_id)
    with pytest.raises(NotAllowed):
        _book(svc, place, at(day, 10), at(day, 12), member_id=place.borrower_id, user_id=place.other_user_id)
    with pytest.raises(DomainError, match="is not a room"):
        services.book_room(svc.asset(place.trolley_id), svc.member(place.borrower_id), at(day, 10), at(day, 12),
                           svc.user(place.borrower_user_id))
    first = _book(svc, place, at(day, 10), at(day, 12))
    with pytest.raises(NotAllowed):
        services.cancel_booking(first, svc.user(place.other_user_id), "Not mine to cancel")
    with pytest.raises(DomainError, match="Enter the reason"):
        services.cancel_booking(first, svc.user(place.borrower_user_id), "  ")


def test_a_leg_can_book_a_slot_that_has_started_and_is_linked(svc, place, make_member):
    """The exchanges module books approved legs; a leg's agreed time may already have begun."""
    from timebank.exchanges.models import Exchange, Leg
    from decimal import Decimal

    exchange = Exchange(shape="direct", status="approved")
    leg = Leg(exchange=exchange, position=0, giver_member_id=place.owner_id, receiver_member_id=place.borrower_id,
              kind="room", description="Hall for the youth club's awards night", hours=Decimal(3))
    db.session.add(exchange)
    db.session.flush()
    start = at(uk_today(), 0)
    booking = services.book_room(svc.asset(place.hall_id), svc.member(place.borrower_id), start,
                                 start + timedelta(hours=3), svc.user(place.owner_user_id), leg=leg)
    db.session.commit()
    assert svc.booking(booking.id).leg_id == leg.id


def _loan(svc, place, first, last, *, asset_id=None, member_id=None, user_id=None):
    loan = services.request_loan(svc.asset(asset_id or place.trolley_id), svc.member(member_id or place.borrower_id),
                                 first, last, svc.user(user_id or place.borrower_user_id))
    db.session.commit()
    return loan


def test_loans_share_no_day_and_both_ends_count(svc, place):
    start = uk_today() + timedelta(days=10)
    _loan(svc, place, start, start + timedelta(days=2))
    with pytest.raises(DoubleBooking) as refused:
        _loan(svc, place, start + timedelta(days=2), start + timedelta(days=4),
              member_id=place.other_id, user_id=place.other_user_id)
    first, last = start, start + timedelta(days=2)
    assert refused.value.message == (f"Folding tables trolley is already booked from {first.day} {first:%B %Y} "
                                     f"to {last.day} {last:%B %Y}.")
    db.session.rollback()
    after = _loan(svc, place, start + timedelta(days=3), start + timedelta(days=4),
                  member_id=place.other_id, user_id=place.other_user_id)
    assert after.status == "reserved"


def test_electrical_item_with_overdue_pat_goes_out_only_when_checked_today(svc, place):
    loan = _loan(svc, place, uk_today(), uk_today() + timedelta(days=2), asset_id=place.projector_id)
    owner = svc.user(place.owner_user_id)
    with pytest.raises(DomainError, match="PAT test was due on") as refused:
        services.check_out(loan, owner, condition="Good, with its bag", pat_checked=False)
    assert refused.value.field == "pat_checked"
    db.session.rollback()
    assert svc.loan(loan.id).status == "reserved"
    services.check_out(svc.loan(loan.id), owner, condition="Good, with its bag", pat_checked=True)
    db.session.commit()
    loan, projector = svc.loan(loan.id), svc.asset(place.projector_id)
    assert (loan.status, loan.condition_out, loan.pat_checked) == ("out", "Good, with its bag", True)
    assert (projector.pat_tested_on, projector.pat_result) == (uk_today(), "pass")
    assert projector.pat_due_on == uk_today() + timedelta(days=365)


def test_a_failed_item_cannot_be_reserved(svc, place, make_asset):
    kettle = make_asset(place.owner_id, "equipment", name="Urn", electrical=True, pat_result="fail")
    with pytest.raises(DomainError, match="failed its electrical safety"):
        _loan(svc, place, uk_today(), uk_today(), asset_id=kettle)


def test_return_records_condition_and_frees_the_item(svc, place):
    loan = _loan(svc, place, uk_today(), uk_today() + timedelta(days=1))
    owner = svc.user(place.owner_user_id)
    services.check_out(loan, owner, condition="Fair", pat_checked=None)
    db.session.commit()
    with pytest.raises(Conflict, match="record its return instead"):
        services.cancel_loan(loan, owner, "Changed our minds")
    services.check_in(svc.loan(loan.id), owner, condition="One table leg is wobbly")
    db.session.commit()
    loan = svc.loan(loan.id)
    assert (loan.status, loan.condition_out, loan.condition_in) == ("returned", "Fair", "One table leg is wobbly")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "loans")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["loan.reserved", "loan.checked_out", "loan.returned"]
    with pytest.raises(Conflict):
        services.check_in(loan, owner, condition="Again")


def test_only_the_lender_hands_over(svc, place):
    loan = _loan(svc, place, uk_today(), uk_today())
    with pytest.raises(NotAllowed):
        services.check_out(loan, svc.user(place.borrower_user_id), condition="Fine", pat_checked=None)


def _out_loan(svc, place, first, last):
    """A loan that went out in the past (rows set directly: the services refuse past dates)."""
    loan = Loan(asset_id=place.trolley_id, member_id=place.borrower_id, starts_on=first, due_on=last, status="out",
                condition_out="Good")
    db.session.add(loan)
    db.session.commit()
    return loan


def test_overdue_reminders_go_once_a_day_to_the_borrower(svc, place, mailbox):
    today = uk_today()
    late = _out_loan(svc, place, today - timedelta(days=6), today - timedelta(days=3))
    _out_loan(svc, place, today, today + timedelta(days=2))
    assert [loan.id for loan in services.overdue_loans()] == [late.id]
    assert svc.loan(late.id).overdue
    assert services.send_overdue_reminders() == 1
    db.session.commit()
    assert services.send_overdue_reminders() == 0
    reminders = mailbox.to("youth@example.org")
    assert len(reminders) == 1
    assert reminders[0]["Subject"] == "Please return Folding tables trolley"
    assert "was due back on" in mailbox.body(reminders[0]) and "(3 days ago)" in mailbox.body(reminders[0])
    assert services.send_overdue_reminders(today + timedelta(days=1)) == 1


def test_remind_command(runner, place, app, mailbox):
    today = uk_today()
    with app.app_context():
        db.session.add(Loan(asset_id=place.trolley_id, member_id=place.borrower_id, starts_on=today - timedelta(days=4),
                            due_on=today - timedelta(days=1), status="out", condition_out="Good"))
        db.session.commit()
    result = runner.invoke(args=["bookings", "remind"])
    assert result.exit_code == 0, result.output
    assert "1 overdue reminders sent" in result.output
    assert len(mailbox.to("youth@example.org")) == 1
    again = runner.invoke(args=["bookings", "remind"])
    assert "0 overdue reminders sent" in again.output


def test_lists_for_borrower_and_lender(svc, place):
    day = next_year()
    booking = _book(svc, place, at(day, 10), at(day, 12))
    loan = _loan(svc, place, uk_today(), uk_today())
    owner, borrower, other = svc.member(place.owner_id), svc.member(place.borrower_id), svc.member(place.other_id)
    assert services.bookings_for(borrower) == {"borrower": [booking], "lender": []}
    assert services.bookings_for(owner) == {"borrower": [], "lender": [booking]}
    assert services.loans_for(owner) == {"borrower": [], "lender": [loan]}
    assert services.loans_for(borrower)["borrower"] == [loan]
    assert services.bookings_for(other) == {"borrower": [], "lender": []}


def test_the_database_itself_refuses_overlaps_on_postgresql(svc, place, app):
    """PostgreSQL's exclusion constraint holds even for writes that bypass the services.

    SQLite has no such constraint; there the services' write lock is the only guard.
    """
    insert = text("INSERT INTO bookings (asset_id, member_id, starts_at, ends_at, status, note, created_at) "
                  "VALUES (:asset, :member, :start, :end, :status, '', :start)")
    day = next_year()
    values = dict(asset=place.hall_id, member=place.borrower_id, status="confirmed")
    db.session.execute(insert, {**values, "start": at(day, 10), "end": at(day, 12)})
    db.session.commit()
    # A cancelled booking may overlap; a live one may not.
    db.session.execute(insert, {**values, "start": at(day, 11), "end": at(day, 13), "status": "cancelled"})
    db.session.commit()
    overlapping = {**values, "start": at(day, 11), "end": at(day, 13)}
    if app.backend == "postgresql":
        with pytest.raises(IntegrityError, match="ex_bookings_no_overlap"):
            db.session.execute(insert, overlapping)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 2
    else:
        db.session.execute(insert, overlapping)
        db.session.rollback()
