"""The member profile form (used to register and to edit)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Email, Length, Optional, URL

from timebank.members.models import MEMBER_TYPES
from timebank.places import TOWNS, WARDS


class MemberForm(FlaskForm):
    name = StringField("Name of the organisation or business", validators=[
        DataRequired("Enter the name of the organisation or business"),
        Length(max=160, message="Name must be 160 characters or fewer")])
    type = RadioField("What kind of organisation is it?", choices=list(MEMBER_TYPES.items()),
                      validators=[DataRequired("Choose the kind of organisation")])
    description = TextAreaField("What does it do?", validators=[
        Length(max=4000, message="Description must be 4,000 characters or fewer")])
    areas_served = StringField("Areas it serves", validators=[
        Length(max=400, message="Areas must be 400 characters or fewer")])
    charity_number = StringField("Charity number (if registered)", validators=[Optional(), Length(max=16)])
    company_number = StringField("Company number (if registered)", validators=[Optional(), Length(max=12)])
    postcode = StringField("Postcode of its main base", validators=[
        DataRequired("Enter a postcode"), Length(max=10, message="Enter a real postcode, like L36 9YS")])
    town = SelectField("Town", choices=[("", "Choose from the postcode")] + [(t, t) for t in TOWNS],
                       validators=[Optional()])
    ward = SelectField("Ward (for local reports)", choices=[("", "Not sure")] + [(w, w) for w in WARDS],
                       validators=[Optional()])
    website = URLField("Website", validators=[Optional(), URL(message="Enter a web address, like https://example.org"),
                                               Length(max=300)])
    contact_email = EmailField("Contact email", validators=[Optional(), Email("Enter an email address in the right format"),
                                                            Length(max=254)])
    contact_phone = StringField("Contact phone", validators=[Optional(), Length(max=40)])

    def service_fields(self) -> dict:
        """The values the member services take, from this form."""
        return {name: getattr(self, name).data for name in (
            "name", "type", "description", "areas_served", "charity_number", "company_number", "postcode",
            "town", "ward", "website", "contact_email", "contact_phone")}
