"""Forms for valuation rates, report periods and erasing a person."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from timebank.main.forms import DayField
from timebank.reports.models import MEASURE_CODES, RATE_BANDS, RATE_KINDS, RATE_UNITS

KIND_CHOICES = [("", "A category (choose below)")] + [
    (k, {"time": "Volunteer time", "skill": "Skills and expert advice", "room": "Rooms", "equipment": "Equipment"}[k])
    for k in RATE_KINDS]


class RateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the rate's name"),
                                           Length(max=200, message="Name must be 200 characters or fewer")])
    band = RadioField("How reports use it", choices=[
        ("low", "Low: the low end of the range"), ("central", "Central: the figure to quote"),
        ("high", "High: the high end of the range"),
        ("licensed", "A licensed measure (National TOMs or HACT): shown on its own, never added")],
        validators=[DataRequired("Choose how reports use the rate")])
    kind = SelectField("What it values", choices=KIND_CHOICES, validators=[Optional()])
    category_id = SelectField("Or a category", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                              validators=[Optional()])
    value = StringField("Value in pounds", description="Leave empty for a slot to fill in later, like a licensed measure",
                        validators=[Optional(), Length(max=20, message="Enter the value in pounds, like 13.45")])
    unit = RadioField("Unit", choices=list(RATE_UNITS.items()), validators=[DataRequired("Choose the unit")])
    measure_code = SelectField("Measure code", choices=[("", "None")] + [(c, c) for c in MEASURE_CODES],
                               validators=[Optional()])
    valid_from = DayField("Applies from", validators=[DataRequired("Enter the date the rate starts to apply")])
    valid_to = DayField("Applies until", description="Leave empty if it has no end date yet", validators=[Optional()])
    region = StringField("Region", default="UK", validators=[Length(max=80, message="Region must be 80 characters or fewer")])
    source = StringField("Source", validators=[Length(max=300, message="Source must be 300 characters or fewer")])
    source_url = StringField("Source web address", validators=[
        Optional(), Length(max=500, message="Web address must be 500 characters or fewer")])
    licence = StringField("Licence", validators=[Length(max=200, message="Licence must be 200 characters or fewer")])
    note = TextAreaField("Note", validators=[Length(max=2000, message="Note must be 2,000 characters or fewer")])

    def values(self) -> dict:
        return {key: getattr(self, key).data for key in (
            "name", "band", "kind", "category_id", "value", "unit", "measure_code", "valid_from", "valid_to", "region",
            "source", "source_url", "licence", "note")}


class RateVersionForm(FlaskForm):
    """A new version of a rate: its value, source and dates; what it values stays as it was."""

    name = StringField("Name", validators=[DataRequired("Enter the rate's name"),
                                           Length(max=200, message="Name must be 200 characters or fewer")])
    value = StringField("New value in pounds", validators=[
        Optional(), Length(max=20, message="Enter the value in pounds, like 13.45")])
    valid_from = DayField("The new value applies from", validators=[
        DataRequired("Enter the date the new value starts to apply, like 1 4 2027")])
    valid_to = DayField("Applies until", description="Leave empty if it has no end date yet", validators=[Optional()])
    region = StringField("Region", validators=[Length(max=80, message="Region must be 80 characters or fewer")])
    source = StringField("Source", validators=[Length(max=300, message="Source must be 300 characters or fewer")])
    source_url = StringField("Source web address", validators=[
        Optional(), Length(max=500, message="Web address must be 500 characters or fewer")])
    licence = StringField("Licence", validators=[Length(max=200, message="Licence must be 200 characters or fewer")])
    note = TextAreaField("Note", validators=[Length(max=2000, message="Note must be 2,000 characters or fewer")])

    def values(self) -> dict:
        return {key: getattr(self, key).data for key in (
            "name", "value", "valid_from", "valid_to", "region", "source", "source_url", "licence", "note")}


class EndRateForm(FlaskForm):
    valid_to = DayField("Last day the rate applies", validators=[DataRequired("Enter the last day, like 31 3 2026")])


class PeriodForm(FlaskForm):
    """The dates a report covers (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    start = DayField("From", name="from", validators=[Optional()])
    end = DayField("To", name="to", validators=[Optional()])
    compare = SelectField("Compare with", choices=[
        ("", "No comparison"),
        ("previous", "The period before: the quarter before a quarter, the month before a month"),
        ("year", "The same dates a year earlier")], validators=[Optional()])
    # Choices are set by the view (the tags this reader may cut by); the public pages remove it.
    tag = SelectField("Programme, fund or grant", choices=[("", "All help, tagged or not")], validate_choice=False,
                      validators=[Optional()])

    def validate_tag(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose a programme, fund or grant from the list")

    @property
    def tag_id(self) -> int | None:
        return int(self.tag.data) if self.tag.data else None

    def validate_compare(self, field):
        if field.data and not (self.start.data and self.end.data):
            raise ValidationError("Enter both dates to compare them with another period")

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date must be on or after the start date")
