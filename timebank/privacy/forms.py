"""The erasure form: why, and any other names or numbers the person was known by."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class EraseForm(FlaskForm):
    reason = TextAreaField("Why is this person being erased?", description=(
        "For example: \u201cErasure request by email, 3 March 2027\u201d. It is kept in the audit log, with "
        "the person's name taken out."),
        validators=[DataRequired("Enter the reason"),
                    Length(max=2000, message="Reason must be 2,000 characters or fewer")])
    other_names = TextAreaField("Other names they are known by", description=(
        "One on each line, like a first name alone or a nickname. Each is replaced wherever it is written as a "
        "whole word, so leave out names other people share."),
        validators=[Optional(), Length(max=1000, message="Other names must be 1,000 characters or fewer")])
    phones = TextAreaField("Phone numbers they gave", description=(
        "One on each line. Their own phone, and the phone of any organisation whose contact email is theirs, "
        "are found without this."),
        validators=[Optional(), Length(max=500, message="Phone numbers must be 500 characters or fewer")])

    def lines(self, field) -> list[str]:
        return [line.strip() for line in (field.data or "").splitlines() if line.strip()]
