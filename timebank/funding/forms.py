"""Forms for the list of programmes, funds and grants, and for tagging a listing or an exchange."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from timebank.funding.models import FUNDING_KINDS
from timebank.listings.forms import MultiCheckboxField
from timebank.main.forms import DayField


def _id_or_zero(value) -> int:
    """A tag id from a form; anything that is not one becomes 0, which names no tag (the service says so)."""
    text = str(value or "").strip()
    return int(text) if text.isdecimal() and len(text) <= 9 else 0


class FundingTagForm(FlaskForm):
    code = StringField("Short code", description="2 to 20 letters, numbers and hyphens, like NLCF-FOOD-26. "
                       "Reports, CSV files and the API name it by this code.",
                       validators=[DataRequired("Enter a short code, like NLCF-FOOD-26"),
                                   Length(max=20, message="Code must be 20 characters or fewer")])
    name = StringField("Name", description="For example: Food resilience in Kirkby",
                       validators=[DataRequired("Enter the programme, fund or grant's name"),
                                   Length(max=200, message="Name must be 200 characters or fewer")])
    kind = RadioField("Is it a programme, a fund or a grant?", choices=list(FUNDING_KINDS.items()),
                      validators=[DataRequired("Choose whether it is a programme, a fund or a grant")])
    funder = StringField("Funder", description="Who pays for it, for example: The National Lottery Community Fund",
                         validators=[DataRequired("Enter the funder"),
                                     Length(max=200, message="Funder must be 200 characters or fewer")])
    starts_on = DayField("Starts on", validators=[DataRequired("Enter the date it starts, like 1 4 2026")])
    ends_on = DayField("Ends on", description="Leave empty if it has no end date yet", validators=[Optional()])
    open_to_all = RadioField("Who may tag their listings and exchanges with it?", choices=[
        ("listed", "Only the members you list on its page"), ("all", "Every member")], default="listed",
        validators=[DataRequired("Choose who may tag with it")])

    def validate_ends_on(self, field) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The end date must be on or after the start date")

    def values(self) -> dict:
        return {"code": self.code.data, "name": self.name.data, "kind": self.kind.data, "funder": self.funder.data,
                "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
                "open_to_all": self.open_to_all.data == "all"}


class AddMemberForm(FlaskForm):
    member_id = SelectField("Add a member", coerce=_id_or_zero, validate_choice=False,
                            validators=[DataRequired("Choose a member to add")])


class RemoveMemberForm(FlaskForm):
    """A button: remove one member (its id is in the URL)."""


class TagsForm(FlaskForm):
    """The tags on a listing or an exchange: one checkbox per tag the person may use."""

    tags = MultiCheckboxField("Programmes, funds and grants", coerce=_id_or_zero, validate_choice=False)
