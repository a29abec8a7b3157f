"""Posting a listing, and the directory's filters."""
from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from timebank.db import today
from timebank.listings.models import (ALL_WEEK, AVAILABILITIES, DAY_PARTS, DAYS, KINDS, LOCATIONS, MAX_DATES, MOST_HOURS,
                                      URGENCIES)
from timebank.main.forms import AmountField, DayField, NumberField, RememberedOptionsSelect
from timebank.members.models import DBS_LEVELS
from timebank.places import TOWNS, WARDS

KIND_LABELS = {"time": "Time (volunteers)", "skill": "A skill (for example bookkeeping)",
               "room": "A room", "equipment": "Equipment"}


# The category list (about 60 options) and the directory's filters (about 100) are rendered on
# every view of the directory and of the listing form.
QUICK_SELECT = RememberedOptionsSelect()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def week_choice(day: str, part: str) -> str:
    """A time of the week as the form names it: "tuesday-morning"."""
    return f"{day.lower()}-{part}"


WEEK_CHOICES = [(week_choice(d, p), p.capitalize()) for d in DAYS for p in DAY_PARTS]


def weekly_pattern(times: list[str]) -> int:
    """The availability bitmask for these times of the week ("tuesday-morning", ...)."""
    return sum(1 << i for i, (value, _) in enumerate(WEEK_CHOICES) if value in times)


def pattern_times(pattern: int) -> list[str]:
    """The times of the week a bitmask holds, as the form names them."""
    return [value for i, (value, _) in enumerate(WEEK_CHOICES) if pattern >> i & 1]


# One-off dates: the parts of the day (bits, morning is 1) a date can have, as a person says them.
DATE_PARTS = [(7, "All day"), (1, "Morning"), (2, "Afternoon"), (4, "Evening"), (3, "Morning and afternoon"),
              (6, "Afternoon and evening"), (5, "Morning and evening")]
DATE_ROWS = 6  # rows for dates on the form (the API takes up to MAX_DATES)


class TypedDayField(DayField):
    """A date typed in a text box (a date picker cannot keep an impossible date to show it back),
    shown the way people write it: 27 3 2027."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data.day} {self.data.month} {self.data.year}" if self.data else ""


class DateRowForm(Form):
    """One one-off date and the part of it (a row of the listing form)."""

    day = TypedDayField("Date", validators=[Optional()])
    parts = SelectField("Part of the day", coerce=int, choices=DATE_PARTS, default=7)


class ListingForm(FlaskForm):
    direction = RadioField("Is this an offer or a need?", choices=[
        ("offer", "An offer: we can give this"), ("need", "A need: we are looking for this")],
        validators=[DataRequired("Choose whether this is an offer or a need")])
    kind = RadioField("What kind of help?", choices=[(k, KIND_LABELS[k]) for k in KINDS],
                      validators=[DataRequired("Choose what kind of help this is")])
    category_id = SelectField("Category", coerce=int, validators=[DataRequired("Choose a category")],
                              widget=QUICK_SELECT)
    title = StringField("Title", validators=[DataRequired("Enter a short title"),
                                             Length(max=140, message="Title must be 140 characters or fewer")])
    description = TextAreaField("Describe it", validators=[
        Length(max=4000, message="Description must be 4,000 characters or fewer")])
    quantity = AmountField("How much", validators=[
        InputRequired("Enter how much: hours, or days for equipment"),
        NumberRange(min=0.25, max=MOST_HOURS, message=f"Enter an amount between 0.25 and {MOST_HOURS:,}")])
    people = NumberField("How many people", default=1, invalid_message="Enter how many people as a whole number, like 3",
                         validators=[
        Optional(), NumberRange(min=1, max=500, message="Enter between 1 and 500 people")])
    # When: no answer is chosen for the person (an unanswered "any time" would say what nobody said).
    availability = RadioField("When can the help happen?", choices=list(AVAILABILITIES.items()),
                              validators=[DataRequired("Choose when: particular days of the week, particular "
                                                       "dates, or any time")])
    week = MultiCheckboxField("Which days and times of day?", choices=WEEK_CHOICES)
    dates = FieldList(FormField(DateRowForm), min_entries=DATE_ROWS, max_entries=MAX_DATES)
    available_from = DayField("From", validators=[Optional()])
    available_until = DayField("Until", validators=[Optional()])
    location = RadioField("Where does it happen?", choices=list(LOCATIONS.items()), default="at_giver",
                          validators=[DataRequired("Choose where the help happens")])
    postcode = StringField("Postcode (leave blank to use your organisation's)", validators=[
        Optional(), Length(max=10, message="Enter a real postcode, like L36 9YS")])
    travel_km = AmountField("How far will you travel (km)?", default=5, validators=[
        Optional(), NumberRange(min=0, max=100, message="Enter a distance between 0 and 100 km")])
    min_dbs_level = SelectField("DBS check needed", choices=[("", "None")] + [
        (k, k.replace("_", " and ").capitalize()) for k in DBS_LEVELS], validators=[Optional()])
    needs_step_free = BooleanField("Step-free access needed")
    min_capacity = NumberField("Room for at least (people)", invalid_message="Enter a number of people, like 30",
                               validators=[Optional(), NumberRange(min=1, max=5000,
                                                                   message="Enter a number of people from 1 to 5,000")])
    needs_insurance = BooleanField("Public liability insurance needed")
    urgency = RadioField("How urgent?", coerce=int, choices=list(URGENCIES.items()), default=2)
    is_gift = BooleanField("This is a gift: we want no time credits back")
    partial_ok = BooleanField("Part of it would still help")
    expires_on = DayField("Take it down on", validators=[Optional()])
    asset_id = SelectField("Which room or item?", coerce=int, validate_choice=False,
                           choices=[(0, "Not a room or item")], default=0)

    def __init__(self, *args, listing=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.listing = listing

    @property
    def on_dates(self) -> bool:
        return self.availability.data == "dates"

    def validate(self, extra_validators=None) -> bool:
        """As WTForms does; then what does not apply to the "when" chosen is not held against it
        (a date left in a row while choosing days of the week, hidden once the choice is made)."""
        super().validate(extra_validators)
        unused = [row.form.day for row in self.dates] if not self.on_dates else []
        if self.on_dates:
            unused = [self.available_from, self.available_until]
        for field in unused:
            field.errors = []
        if not self.on_dates:
            self.dates.errors = []
        return not self.errors

    def validate_week(self, field) -> None:
        if self.availability.data == "weekly" and not field.data:
            raise ValidationError("Choose at least one day and time of day, like Tuesday morning")

    def validate_dates(self, field) -> None:
        if not self.on_dates:
            return
        days = [row.form.day for row in field]
        for day in days:
            if day.data and day.data < today():
                day.errors.append(f"{day.data.day} {day.data:%B %Y} has passed: give dates from today on")
        if not any(day.data or day.errors or day.raw_data and day.raw_data[0].strip() for day in days):
            days[0].errors.append("Enter at least one date, like 27 3 2027")
        if any(day.errors for day in days):
            raise ValidationError("")  # each message is beside its own date

    def validate_available_from(self, field) -> None:
        if self.availability.data in ("weekly", "any_time") and not field.data and not field.errors:
            raise ValidationError("Enter the first date, like 27 3 2027")

    def validate_available_until(self, field) -> None:
        if self.availability.data not in ("weekly", "any_time") or field.errors:
            return
        if not field.data:
            raise ValidationError("Enter the last date, like 27 3 2027")
        if self.available_from.data and field.data < self.available_from.data:
            raise ValidationError("The end date must be the same as or after the start date")
        changed = self.listing is None or field.data != self.listing.available_until
        if changed and field.data < today():
            raise ValidationError("The last date has passed: give a date from today on")

    def validate_expires_on(self, field) -> None:
        if field.data and field.data < today():
            raise ValidationError("The date to take it down must be today or in the future")

    def service_fields(self) -> dict:
        data = {name: getattr(self, name).data for name in (
            "direction", "kind", "category_id", "title", "description", "quantity", "available_from",
            "available_until", "location", "postcode", "travel_km", "min_dbs_level", "needs_step_free",
            "min_capacity", "needs_insurance", "urgency", "is_gift", "partial_ok", "expires_on")}
        data["people"] = self.people.data or 1
        data["travel_km"] = data["travel_km"] if data["travel_km"] is not None else 5
        data["min_dbs_level"] = data["min_dbs_level"] or None
        data["asset_id"] = self.asset_id.data or None
        data["availability"] = self.availability.data
        if self.on_dates:  # the window and times of the week follow from the dates
            del data["available_from"], data["available_until"]
            data["dates"] = [(row.form.day.data, row.form.parts.data) for row in self.dates if row.form.day.data]
        else:
            data["dates"] = []
            data["weekly_pattern"] = weekly_pattern(self.week.data or []) if self.availability.data == "weekly" \
                else ALL_WEEK
        return data

    def show_listing(self, listing) -> None:
        """Start from what the listing says (the times of the week a form field of its own)."""
        if listing.availability == "weekly":
            self.week.data = pattern_times(listing.weekly_pattern)
        # A blank row to add one more date, unless the listing already has the most it may have.
        while len(self.dates) < min(max(DATE_ROWS, len(listing.dates) + 1), self.dates.max_entries):
            self.dates.append_entry()

    def prefill_defaults(self) -> None:
        if not self.available_from.data:
            self.available_from.data = today()
        if not self.available_until.data:
            self.available_until.data = today() + timedelta(days=90)


class DirectoryForm(FlaskForm):
    """GET filters for the public directory (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Search words", validators=[Optional(), Length(max=100, message="Use 100 characters or fewer")])
    kind = SelectField("Kind", choices=[("", "Any kind")] + [(k, k.capitalize()) for k in KINDS], validators=[Optional()],
                       widget=QUICK_SELECT)
    direction = SelectField("Offers or needs", choices=[("", "Offers and needs"), ("offer", "Offers"), ("need", "Needs")],
                            validators=[Optional()], widget=QUICK_SELECT)
    category = SelectField("Category", coerce=int, validate_choice=False, validators=[Optional()], widget=QUICK_SELECT)
    town = SelectField("Town", choices=[("", "Anywhere")] + [(t, t) for t in TOWNS], validators=[Optional()],
                       widget=QUICK_SELECT)
    ward = SelectField("Ward", choices=[("", "Any ward")] + [(w, w) for w in WARDS], validators=[Optional()],
                       widget=QUICK_SELECT)
    day = SelectField("Can happen on", choices=[("", "Any day")] + [(d.lower(), d) for d in DAYS],
                      validators=[Optional()], widget=QUICK_SELECT)
    postcode = StringField("Near postcode", validators=[Optional(), Length(max=10)])
    within = SelectField("Within", coerce=int, choices=[(1, "1 km"), (2, "2 km"), (5, "5 km"), (10, "10 km"),
                                                        (25, "25 km")], default=5, validators=[Optional()],
                         widget=QUICK_SELECT)
