"""Asking for a room or an item, cancelling, and handing equipment over and back."""
from __future__ import annotations

from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from timebank.bookings.models import SERIES_TIMES, uk_now, uk_today
from timebank.main.forms import ClockField, DayField, NumberField

_NOTE = Length(max=1000, message="Note must be 1,000 characters or fewer")


class RoomBookingForm(FlaskForm):
    member_id = SelectField("Who is booking?", coerce=int, validators=[DataRequired("Choose who the booking is for")])
    day = DayField("Date", invalid_message="Enter a real date, like 3 3 2027",
                   validators=[DataRequired("Enter the date, like 3 3 2027")])
    starts_at = ClockField("Start time", invalid_message="Enter the start time, like 10:00",
                           validators=[DataRequired("Enter the start time, like 10:00")])
    ends_at = ClockField("End time", invalid_message="Enter the end time, like 12:00",
                         validators=[DataRequired("Enter the end time, like 12:00")])
    repeat = RadioField("How often?", default="once", choices=[
        ("once", "Just this once"), ("1", "Every week, at the same time"), ("2", "Every other week, at the same time")],
        validate_choice=False, validators=[DataRequired("Choose how often")])
    times = NumberField("How many times, counting the first?",
                       invalid_message="Enter how many times as a whole number, like 8",
                       description=f"From {SERIES_TIMES[0]} to {SERIES_TIMES[1]}. For example 8 for eight weeks.")
    # The days the person chose to leave out, after being shown they are taken: ISO dates, space-separated.
    # Only the "book the other times" button sends it (the clicked button's value), so it is never sent stale.
    leave_out = HiddenField()
    note = TextAreaField("Anything the room's owner should know?", validators=[Optional(), _NOTE],
                         description="For example how many people, or what you need set out.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.every_weeks is None and self.times.errors:  # just once: how many times does not matter
            self.times.errors, self.times.data = [], None
            valid = not self.form_errors and not any(field.errors for field in self)
        return valid

    def validate_repeat(self, field) -> None:
        if field.data not in ("once", "1", "2"):
            raise ValidationError("Choose how often: just this once, every week or every other week")

    def validate_times(self, field) -> None:
        if self.repeat.data in ("1", "2") and not (field.data and SERIES_TIMES[0] <= field.data <= SERIES_TIMES[1]):
            raise ValidationError(f"Enter how many times to book, from {SERIES_TIMES[0]} to {SERIES_TIMES[1]}")

    def validate_leave_out(self, field) -> None:
        try:
            self.left_out()
        except ValueError:
            raise ValidationError("Choose the times again: the days to leave out were not dates") from None

    def left_out(self) -> list[date]:
        return [date.fromisoformat(word) for word in (self.leave_out.data or "").split()]

    @property
    def every_weeks(self) -> int | None:
        """1 or 2 for a weekly booking, None for a single one."""
        return int(self.repeat.data) if self.repeat.data in ("1", "2") else None

    def validate_day(self, field) -> None:
        if field.data and field.data < uk_today():
            raise ValidationError("The date must be today or in the future")

    def validate_starts_at(self, field) -> None:
        if self.day.data and field.data and self.day.data == uk_today() and field.data < uk_now().time():
            raise ValidationError("The start time has already passed today")

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The end time must be after the start time")

    def slot(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.day.data, self.starts_at.data),
                datetime.combine(self.day.data, self.ends_at.data))


class LoanRequestForm(FlaskForm):
    member_id = SelectField("Who is borrowing?", coerce=int, validators=[DataRequired("Choose who the loan is for")])
    starts_on = DayField("First day", validators=[DataRequired("Enter the first day, like 3 3 2027")])
    due_on = DayField("Last day (back by the end of it)", validators=[
        DataRequired("Enter the day you will bring it back, like 5 3 2027")])
    note = TextAreaField("Anything the lender should know?", validators=[Optional(), _NOTE],
                         description="For example what you will use it for, or when you will collect it.")

    def validate_starts_on(self, field) -> None:
        if field.data and field.data < uk_today():
            raise ValidationError("The first day must be today or in the future")

    def validate_due_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("The last day must be the same as or after the first day")


class CancelForm(FlaskForm):
    reason = TextAreaField("Why are you cancelling?", validators=[
        DataRequired("Enter the reason, which will be sent to the other organisation"),
        Length(max=2000, message="Reason must be 2,000 characters or fewer")])


class CheckOutForm(FlaskForm):
    condition = TextAreaField("What condition is it in as it goes out?", validators=[
        DataRequired("Describe the item's condition as it goes out"),
        Length(max=2000, message="Condition notes must be 2,000 characters or fewer")],
        description="For example: all parts present, small scratch on the lid.")
    pat_checked = BooleanField("I have inspected and tested it today and it is safe to use (PAT)")


class ReturnForm(FlaskForm):
    condition = TextAreaField("What condition is it in now it is back?", validators=[
        DataRequired("Describe the item's condition as it came back"),
        Length(max=2000, message="Condition notes must be 2,000 characters or fewer")],
        description="Note anything missing or damaged.")


class ResetFeedForm(FlaskForm):
    pass
