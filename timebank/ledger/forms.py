"""Forms for giving credits to the pot, and the coordinators' adjustments, reversals, grants and credit limits."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from timebank.main.forms import AmountField

AMOUNT_MESSAGE = "Enter a number of credits, like 3 or 1.5"
REASON_VALIDATORS = [DataRequired("Enter the reason: it is kept with the entry and shown to the member"),
                     Length(max=2000, message="Reason must be 2,000 characters or fewer")]


class CreditsField(AmountField):
    """A number of credits; a word, a blank or "NaN" gets our plain message, not WTForms' own."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, invalid_message=AMOUNT_MESSAGE, **kwargs)


class EntryNumberField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter the entry number as digits, like 12") from error


class DonateForm(FlaskForm):
    amount = CreditsField("How many credits to give?", places=None, validators=[
        InputRequired(AMOUNT_MESSAGE), NumberRange(min=0.01, message="Enter a number of credits more than 0")])


class AdjustForm(FlaskForm):
    member_id = SelectField("Member", coerce=int, validators=[DataRequired("Choose the member to adjust")])
    amount = CreditsField("Credits to add (a minus sign takes them away, like -2)", places=None,
                          validators=[InputRequired(AMOUNT_MESSAGE)])
    reason = TextAreaField("Why?", validators=REASON_VALIDATORS)


class ReverseForm(FlaskForm):
    entry_id = EntryNumberField("Entry number", validators=[
        InputRequired("Enter the number of the entry to reverse, like 12"),
        NumberRange(min=1, message="Enter the number of the entry to reverse, like 12")])
    reason = TextAreaField("Why?", validators=REASON_VALIDATORS)


class GrantForm(FlaskForm):
    member_id = SelectField("Member", coerce=int, validators=[DataRequired("Choose the member to grant credits to")])
    amount = CreditsField("How many credits?", places=None, validators=[
        InputRequired(AMOUNT_MESSAGE), NumberRange(min=0.01, message="Enter a number of credits more than 0")])
    reason = TextAreaField("Why?", validators=REASON_VALIDATORS)


class CreditLimitForm(FlaskForm):
    credit_limit = CreditsField("How far below zero may its balance go?", places=None, validators=[
        InputRequired(AMOUNT_MESSAGE), NumberRange(min=0, message="Enter 0 or more: the limit is how far below zero "
                                                                  "its balance may go")])
    reason = TextAreaField("Why?", validators=[
        DataRequired("Enter the reason: it is kept with the change and shown to the member"),
        Length(max=2000, message="Reason must be 2,000 characters or fewer")])
