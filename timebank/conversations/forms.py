"""The box for a new message in an exchange's conversation."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from timebank.conversations.models import MAX_LENGTH


class MessageForm(FlaskForm):
    body = TextAreaField("Your message", validators=[
        DataRequired("Write a message"),
        Length(max=MAX_LENGTH, message=f"Messages must be {MAX_LENGTH:,} characters or fewer")])
    member_id = IntegerField("Writing for", validators=[Optional()])
