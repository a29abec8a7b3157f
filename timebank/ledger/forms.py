"""Forms for giving credits to the pot, and the coordinators' adjustments, reversals, grants and credit limits."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from timebank.ledger.services import MAX_AMOUNT
from timebank.main.forms import AmountField, NumberField

AMOUNT_MESSAGE = "Enter a number of credits, like 3 or 1.5"
MAX_CREDITS = MAX_AMOUNT  # said by the form, so the service's own check is never the first to meet 1e30
TOO_MANY = f"Enter at most {MAX_AMOUNT:,} credits"
REASON_VALIDATORS = [DataRequired("Enter the reason: it is kept with the entry and shown to the member"),
                     Length(max=2000, message="Reason must be 2,000 characters or fewer")]


class CreditsField(AmountField):
    """A number of credits; a word, a blank or "NaN" gets our plain message, not WTForms' own."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, invalid_message=AMOUNT_MESSAGE, **kwargs)


class EntryNumberField(NumberField):
    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, invalid_message="Enter the entry number as digits, like 12", **kwargs)


class DonateForm(FlaskForm):
    amount = CreditsField("How many credits to give?", places=None, validators=[
        InputRequired(AMOUNT_MESSAGE), NumberRange(min=0.01, message="Enter a number of credits more than 0"),
        NumberRange(max=MAX_CREDITS, message=TOO_MANY)])


class AdjustForm(FlaskForm):
    member_id = SelectField("Member", coerce=int, validators=[DataRequired("Choose the member to adjust")])
    amount = CreditsField("Credits to add (a minus sign takes them away, like -2)", places=None,
                          validators=[InputRequired(AMOUNT_MESSAGE),
                                      NumberRange(min=-MAX_CREDITS, max=MAX_CREDITS, message=TOO_MANY)])
    reason = TextAreaField("Why?", validators=REASON_VALIDATORS)


class ReverseForm(FlaskForm):
    entry_id = EntryNumberField("Entry number", description="Each entry's number is in the statement", validators=[
        InputRequired("Enter the number of the entry to reverse, like 12"),
        NumberRange(min=1, message="Enter the number of the entry to reverse, like 12")])
    reason = TextAreaField("Why?", validators=REASON_VALIDATORS)


class GrantForm(FlaskForm):
    member_id = SelectField("Member", coerce=int, validators=[DataRequired("Choose the member to grant credits to")])
    amount = CreditsField("How many credits?", places=None, validators=[
        InputRequired(AMOUNT_MESSAGE), NumberRange(min=0.01, message="Enter a number of credits more than 0"),
        NumberRange(max=MAX_CREDITS, message=TOO_MANY)])
    reason = TextAreaField("Why?", validators=REASON_VALIDATORS)


class CreditLimitForm(FlaskForm):
    credit_limit = CreditsField("How far below zero may its balance go?", places=None, validators=[
        InputRequired(AMOUNT_MESSAGE), NumberRange(min=0, message="Enter 0 or more: the limit is how far below zero "
                                                                  "its balance may go"),
        NumberRange(max=MAX_CREDITS, message=TOO_MANY)])
    reason = TextAreaField("Why?", validators=[
        DataRequired("Enter the reason: it is kept with the change and shown to the member"),
        Length(max=2000, message="Reason must be 2,000 characters or fewer")])
