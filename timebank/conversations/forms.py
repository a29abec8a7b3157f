"""The box for a new message in an exchange's conversation."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from timebank.conversations.models import MAX_LENGTH
from timebank.main.forms import NumberField


class MessageForm(FlaskForm):
    body = TextAreaField("Your message", validators=[
        DataRequired("Write a message"),
        Length(max=MAX_LENGTH, message=f"Messages must be {MAX_LENGTH:,} characters or fewer")])
    member_id = NumberField("Writing for", validators=[Optional()])
