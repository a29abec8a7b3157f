"""Setting a member's exact place: a full postcode, or a point (latitude and longitude)."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d+)?$")


def _number(text: str | None) -> float | None:
    text = (text or "").strip().replace("\u2212", "-")  # a typographic minus, as some maps copy it
    return float(text) if _NUMBER.match(text) else None


class PointForm(FlaskForm):
    """Latitude and longitude as a map shows them. Both pasted into the first box ("53.41, -2.84") is read too."""

    latitude = StringField("Latitude", validators=[
        DataRequired("Enter the latitude, like 53.4142"), Length(max=60, message="Enter the latitude, like 53.4142")])
    longitude = StringField("Longitude")

    def validate_latitude(self, field) -> None:
        if "," in (field.data or "") and not (self.longitude.data or "").strip():
            field.data, _, self.longitude.data = field.data.partition(",")
        if _number(field.data) is None:
            raise ValidationError("Enter the latitude as a number, like 53.4142")

    def validate_longitude(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the longitude, like -2.8431 (west of Greenwich it starts with a minus)")
        if len(field.data) > 60 or _number(field.data) is None:
            raise ValidationError("Enter the longitude as a number, like -2.8431")

    def service_fields(self) -> dict:
        return {"latitude": _number(self.latitude.data), "longitude": _number(self.longitude.data)}


class PostcodePlaceForm(FlaskForm):
    postcode = StringField("Full postcode", validators=[
        DataRequired("Enter a postcode, like L36 9YS"), Length(max=10, message="Enter a real postcode, like L36 9YS")])
