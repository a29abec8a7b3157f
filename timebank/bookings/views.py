"""Book a room or borrow an item, a member's bookings and loans, the calendar feed, overdue loans."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from timebank.accounts.access import coordinator_required
from timebank.bookings import availability, ical, services, weekly
from timebank.bookings.access import load_asset, load_booking, load_loan, load_series
from timebank.bookings.forms import (CancelForm, CheckOutForm, LoanRequestForm, ResetFeedForm, ReturnForm,
                                     RoomBookingForm)
from timebank.bookings.models import uk_today
from timebank.errors import DomainError
from timebank.main.forms import domain_errors, show_domain_error
from timebank.members.access import can_act_for, load_member, members_of
from timebank.members.models import Asset
from timebank.unit_of_work import discard

bp = Blueprint("bookings", __name__)


def _borrower_choices(asset: Asset) -> list[tuple[int, str]]:
    return [(m.id, m.name) for m in members_of(current_user) if m.id != asset.member_id and m.status == "active"]


# -- asking for a room or an item ---------------------------------------------------------------

@bp.route("/assets/<int:asset_id>/book", methods=["GET", "POST"])
@login_required
def request_asset(asset_id: int):
    asset = load_asset(asset_id, current_user)
    form = RoomBookingForm() if asset.kind == "room" else LoanRequestForm()
    form.member_id.choices = _borrower_choices(asset)
    if len(form.member_id.choices) == 1 and request.method == "GET":
        form.member_id.data = form.member_id.choices[0][0]
    times_taken = None
    if form.member_id.choices and form.validate_on_submit():
        member = load_member(form.member_id.data, current_user, need="act")
        try:
            done = _book_or_borrow(asset, member, form)
        except DomainError as error:
            discard()
            show_domain_error(form, error)
            times_taken = error if isinstance(error, weekly.TimesTaken) else None
        else:
            flash(done, "success")
            return redirect(url_for("bookings.member_bookings", member_id=member.id))
    # The calendar shows the week asked for; after a refused request, the week of the (first) time in the way.
    shown = _day_arg(request.args.get("week")) or (times_taken.taken[0].day if times_taken else None) or (
        getattr(form, "day" if asset.kind == "room" else "starts_on").data if request.method == "POST" else None)
    return render_template("bookings/request.html", asset=asset, form=form, taken=services.taken_slots(asset),
                           waiting=[m for m in members_of(current_user) if m.id != asset.member_id and m.status != "active"],
                           times_taken=times_taken, week=availability.week(asset, shown),
                           leave_out_next=_leave_out_next(form, times_taken))


def _leave_out_next(form, times_taken) -> str:
    """What "book the other times" sends: the days already left out and the ones just found taken."""
    if times_taken is None:
        return ""
    days = {*form.left_out(), *(t.day for t in times_taken.taken)}
    return " ".join(day.isoformat() for day in sorted(days))


def _day_arg(value: str | None):
    """A day from the query string (the calendar's week), or None when missing or not a date."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _book_or_borrow(asset: Asset, member, form) -> str:
    """Make the booking, weekly booking or loan the form asks for; the words to flash."""
    note = form.note.data or ""
    if asset.kind != "room":
        services.request_loan(asset, member, form.starts_on.data, form.due_on.data, current_user, note=note)
        return (f"{asset.name} is reserved for you. {asset.member.name} has been told; "
                "collect it from them on the first day.")
    if form.every_weeks is None:
        services.book_room(asset, member, *form.slot(), current_user, note=note)
        return f"Your booking of {asset.name} is confirmed. {asset.member.name} has been told."
    series = weekly.book_weekly(asset, member, form.day.data, form.starts_at.data, form.ends_at.data, form.times.data,
                                current_user, every_weeks=form.every_weeks, leave_out=form.left_out(), note=note)
    return (f"Your weekly booking of {asset.name} is confirmed: {weekly.describe_series(series)}. "
            f"{asset.member.name} has been told.")


# -- a member's bookings and loans ------------------------------------------------------------

@bp.route("/members/<int:member_id>/bookings")
@login_required
def member_bookings(member_id: int):
    member = load_member(member_id, current_user, need="act")
    return render_template("bookings/member.html", member=member, bookings=services.bookings_for(member),
                           loans=services.loans_for(member), feed_url=ical.feed_url(member),
                           reset_form=ResetFeedForm(), today=uk_today())


@bp.route("/members/<int:member_id>/calendar/reset", methods=["POST"])
@login_required
def reset_calendar(member_id: int):
    member = load_member(member_id, current_user, need="act")
    if ResetFeedForm().validate_on_submit():
        services.reset_feed(member, current_user)
        flash("There is a new calendar link. The old one no longer works: "
              "subscribe again with the new link.", "success")
    return redirect(url_for("bookings.member_bookings", member_id=member.id, _anchor="calendar"))


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    member = ical.member_for_token(token)
    if member is None:
        abort(404)
    response = Response(ical.member_calendar(member), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="bookings.ics"'
    response.headers["Cache-Control"] = "private, max-age=900"
    return response


def _back_to(member_id: int):
    return redirect(url_for("bookings.member_bookings", member_id=member_id))


def _own_side(*members) -> int:
    """The member whose bookings page to go back to: the first one the user acts for."""
    for member in members:
        if can_act_for(current_user, member):
            return member.id
    return members[0].id


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_booking(booking_id: int):
    booking = load_booking(booking_id, current_user)
    back = _own_side(booking.member, booking.asset.member)
    form = CancelForm()
    if booking.status != "confirmed":
        flash(f"This booking is already {booking.status}.", "info")
        return _back_to(back)
    if form.validate_on_submit():
        with domain_errors(form):
            services.cancel_booking(booking, current_user, form.reason.data)
            flash(f"The booking of {booking.asset.name} is cancelled. Both organisations have been told.", "success")
            return _back_to(back)
    return render_template("bookings/cancel.html", form=form, booking=booking, loan=None, back=back,
                           slot=services.describe_slot(booking.starts_at, booking.ends_at))


@bp.route("/booking-series/<int:series_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_series(series_id: int):
    series = load_series(series_id, current_user)
    back = _own_side(series.member, series.asset.member)
    coming = weekly.coming_bookings(series)
    if not coming:
        flash("Every time of this weekly booking has already happened or been cancelled.", "info")
        return _back_to(back)
    form = CancelForm()
    if form.validate_on_submit():
        with domain_errors(form):
            weekly.cancel_series(series, current_user, form.reason.data)
            flash(f"The weekly booking of {series.asset.name} is cancelled for the {len(coming)} "
                  f"{'time' if len(coming) == 1 else 'times'} still to come. Both organisations have been told.",
                  "success")
            return _back_to(back)
    return render_template("bookings/cancel_series.html", form=form, series=series, coming=coming, back=back,
                           words=weekly.describe_series(series))


@bp.route("/loans/<int:loan_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_loan(loan_id: int):
    loan = load_loan(loan_id, current_user)
    back = _own_side(loan.member, loan.asset.member)
    form = CancelForm()
    if loan.status != "reserved":
        flash(f"This loan is {'out: record its return instead' if loan.status == 'out' else loan.status}.", "info")
        return _back_to(back)
    if form.validate_on_submit():
        with domain_errors(form):
            services.cancel_loan(loan, current_user, form.reason.data)
            flash(f"The loan of {loan.asset.name} is cancelled. Both organisations have been told.", "success")
            return _back_to(back)
    return render_template("bookings/cancel.html", form=form, booking=None, loan=loan, back=back,
                           slot=services.describe_days(loan.starts_on, loan.due_on))


@bp.route("/loans/<int:loan_id>/check-out", methods=["GET", "POST"])
@login_required
def check_out(loan_id: int):
    loan = load_loan(loan_id, current_user, need="lender")
    form = CheckOutForm()
    if request.method == "GET" and loan.asset.condition:
        form.condition.data = f"Condition: {loan.asset.condition}."
    if form.validate_on_submit():
        with domain_errors(form):
            services.check_out(loan, current_user, condition=form.condition.data,
                               pat_checked=form.pat_checked.data if loan.asset.electrical else None)
            flash(f"{loan.asset.name} is out on loan to {loan.member.name}, due back "
                  f"{services.day_words(loan.due_on)}.", "success")
            return _back_to(loan.asset.member_id)
    return render_template("bookings/check_out.html", form=form, loan=loan,
                           pat_problem=services.pat_problem(loan.asset))


@bp.route("/loans/<int:loan_id>/return", methods=["GET", "POST"])
@login_required
def check_in(loan_id: int):
    loan = load_loan(loan_id, current_user, need="lender")
    form = ReturnForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.check_in(loan, current_user, condition=form.condition.data)
            flash(f"{loan.asset.name} is back from {loan.member.name}.", "success")
            return _back_to(loan.asset.member_id)
    return render_template("bookings/check_in.html", form=form, loan=loan)


# -- coordinators ---------------------------------------------------------------------------

@bp.route("/coordinator/loans")
@coordinator_required
def coordinator_loans():
    today = uk_today()
    return render_template("bookings/coordinator_loans.html", loans=services.overdue_loans(today), today=today)

