"""The member's choice to be published as open data."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import DataRequired


class ConsentForm(FlaskForm):
    publish = RadioField("Publish your organisation as open data?", choices=[
        ("yes", "Yes, publish our organisation, what we offer and our open needs for volunteers"),
        ("no", "No, keep us out of the open data")],
        validators=[DataRequired("Choose yes or no")])
