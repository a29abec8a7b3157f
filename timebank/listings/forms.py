"""Posting a listing, and the directory's filters."""
from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from timebank.db import today
from timebank.listings.models import DAY_PARTS, DAYS, KINDS, LOCATIONS, URGENCIES
from timebank.main.forms import AmountField, RememberedOptionsSelect
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


def weekly_pattern(days: list[str], parts: list[str]) -> int:
    """The availability bitmask for these days and parts of the day."""
    pattern = 0
    for d in days:
        for p in parts:
            pattern |= 1 << (DAYS.index(d) * len(DAY_PARTS) + DAY_PARTS.index(p))
    return pattern


def pattern_days_parts(pattern: int) -> tuple[list[str], list[str]]:
    days = [d for i, d in enumerate(DAYS) if any(pattern >> (i * 3 + j) & 1 for j in range(3))]
    parts = [p for j, p in enumerate(DAY_PARTS) if any(pattern >> (i * 3 + j) & 1 for i in range(7))]
    return days, parts


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
        NumberRange(min=0.25, max=10000, message="Enter an amount between 0.25 and 10,000")])
    people = IntegerField("How many people", default=1, validators=[
        Optional(), NumberRange(min=1, max=500, message="Enter between 1 and 500 people")])
    available_from = DateField("From", validators=[DataRequired("Enter the first date, like 27 3 2027")])
    available_until = DateField("Until", validators=[DataRequired("Enter the last date, like 27 3 2027")])
    days = MultiCheckboxField("Which days?", choices=[(d, d) for d in DAYS], default=list(DAYS),
                              validators=[DataRequired("Choose at least one day")])
    parts = MultiCheckboxField("Which times of day?", choices=[(p, p.capitalize()) for p in DAY_PARTS],
                               default=list(DAY_PARTS), validators=[DataRequired("Choose at least one time of day")])
    location = RadioField("Where does it happen?", choices=list(LOCATIONS.items()), default="at_giver",
                          validators=[DataRequired("Choose where the help happens")])
    postcode = StringField("Postcode (leave blank to use your organisation's)", validators=[
        Optional(), Length(max=10, message="Enter a real postcode, like L36 9YS")])
    travel_km = AmountField("How far will you travel (km)?", default=5, validators=[
        Optional(), NumberRange(min=0, max=100, message="Enter a distance between 0 and 100 km")])
    min_dbs_level = SelectField("DBS check needed", choices=[("", "None")] + [
        (k, k.replace("_", " and ").capitalize()) for k in DBS_LEVELS], validators=[Optional()])
    needs_step_free = BooleanField("Step-free access needed")
    min_capacity = IntegerField("Room for at least (people)", validators=[
        Optional(), NumberRange(min=1, max=5000, message="Enter a number of people from 1")])
    needs_insurance = BooleanField("Public liability insurance needed")
    urgency = RadioField("How urgent?", coerce=int, choices=list(URGENCIES.items()), default=2)
    is_gift = BooleanField("This is a gift: we want no time credits back")
    partial_ok = BooleanField("Part of it would still help")
    expires_on = DateField("Take it down on", validators=[Optional()])
    asset_id = SelectField("Which room or item?", coerce=int, validate_choice=False,
                           choices=[(0, "Not a room or item")], default=0)

    def validate_available_until(self, field) -> None:
        if self.available_from.data and field.data and field.data < self.available_from.data:
            raise ValidationError("The end date must be the same as or after the start date")

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
        data["weekly_pattern"] = weekly_pattern(self.days.data or [], self.parts.data or [])
        data["asset_id"] = self.asset_id.data or None
        return data

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
    postcode = StringField("Near postcode", validators=[Optional(), Length(max=10)])
    within = SelectField("Within", coerce=int, choices=[(1, "1 km"), (2, "2 km"), (5, "5 km"), (10, "10 km"),
                                                        (25, "25 km")], default=5, validators=[Optional()],
                         widget=QUICK_SELECT)
