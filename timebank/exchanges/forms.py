"""Forms for answering, approving, confirming and recording exchanges, and the direct exchange policy."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from timebank.listings.models import LEAST_HOURS, MOST_HOURS
from timebank.main.forms import AmountField, DayField, MomentField, NumberField

AMOUNT_RANGE = NumberRange(min=LEAST_HOURS, max=MOST_HOURS, message=f"Enter an amount between {LEAST_HOURS} and {MOST_HOURS:,}")
HOURS_RANGE = NumberRange(min=LEAST_HOURS, max=MOST_HOURS, message=f"Enter between {LEAST_HOURS} and {MOST_HOURS:,} hours")
PEOPLE_RANGE = NumberRange(min=1, max=500, message="Enter between 1 and 500 people")
PEOPLE_WORDS = "Enter how many people as a whole number, like 3"


class RespondForm(FlaskForm):
    member_id = HiddenField()
    answer = RadioField("Will you do your part?", choices=[("accept", "Yes, we accept our part"),
                                                           ("decline", "No, we decline")],
                        validators=[DataRequired("Choose whether you accept or decline")])
    reason = TextAreaField("If you decline, tell the others why", validators=[
        Length(max=1000, message="Reason must be 1,000 characters or fewer")])


class RecordAnswerForm(FlaskForm):
    """The other side of recorded help says whether it happened as recorded (there is nothing to correct:
    a wrong record is cancelled, and its recorder can record it again)."""
    member_id = HiddenField()
    answer = RadioField("Did it happen as recorded?", choices=[("accept", "Yes, this happened"),
                                                                ("decline", "No, it did not happen as recorded")],
                        validators=[DataRequired("Choose whether it happened as recorded")])
    reason = TextAreaField("If it did not happen as recorded, say what is wrong", validators=[
        Length(max=1000, message="Reason must be 1,000 characters or fewer")])


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is it not approved?", validators=[
        DataRequired("Enter the reason, which the members will see"), Length(max=2000)])


def schedule_form(legs, *, with_reason: bool = False):
    """A form with a start and an end for each leg, a reason to schedule outside the times the
    listings share, and (to reschedule) the reason for the change."""

    class ScheduleForm(FlaskForm):
        override_reason = TextAreaField("If a part is outside the times both sides gave, why?", validators=[
            Optional(), Length(max=2000, message="Use 2,000 characters or fewer")])

    if with_reason:
        ScheduleForm.reason = TextAreaField("Why is it changing?", validators=[
            DataRequired("Enter the reason, which everyone in the exchange will see"), Length(max=2000)])
    for leg in legs:
        unit = "day" if leg.kind == "equipment" else "time"
        part = leg.position + 1
        setattr(ScheduleForm, f"start_{leg.id}", MomentField(
            f"Part {part}: start", validators=[DataRequired(f"Enter the start {unit} of part {part}, like 1 3 2027 10:00")]))
        setattr(ScheduleForm, f"end_{leg.id}", MomentField(
            f"Part {part}: end", validators=[DataRequired(f"Enter the end {unit} of part {part}, like 1 3 2027 12:00")]))
    return ScheduleForm


class ConfirmLegForm(FlaskForm):
    actual_hours = AmountField("How many hours did it take? (days for equipment)", validators=[
        InputRequired("Enter how many hours (or days) it actually was"), AMOUNT_RANGE])
    actual_people = NumberField("How many people helped?", default=1, invalid_message=PEOPLE_WORDS, validators=[
        InputRequired("Enter how many people helped"), PEOPLE_RANGE])
    happened_on = DayField("When did it happen?", validators=[Optional()])


class ReasonForm(FlaskForm):
    """A reason, for cancelling, withdrawing or asking for a change."""

    leg_id = SelectField("Which part?", coerce=int, validators=[Optional()], validate_choice=False)
    reason = TextAreaField("Why?", validators=[
        DataRequired("Enter the reason, which everyone in the exchange will see"), Length(max=2000)])


class SideForm(FlaskForm):
    side = TextAreaField("What happened, from your side?", validators=[
        DataRequired("Say what happened from your side"), Length(max=2000, message="Use 2,000 characters or fewer")])


class DisputeLegForm(FlaskForm):
    reason = TextAreaField("What went wrong?", validators=[
        DataRequired("Say what went wrong, so a coordinator can sort it out"), Length(max=2000)])


class SettleForm(FlaskForm):
    outcome = RadioField("Outcome", choices=[("confirm", "It happened: confirm it with these amounts"),
                                             ("cancel", "It did not happen: cancel this part")],
                         validators=[DataRequired("Choose the outcome")])
    actual_hours = AmountField("Agreed hours (or days)", validators=[Optional(), AMOUNT_RANGE])
    actual_people = NumberField("Agreed number of people", invalid_message=PEOPLE_WORDS,
                                validators=[Optional(), PEOPLE_RANGE])
    happened_on = DayField("When did it happen?", validators=[Optional()])
    note = TextAreaField("How was it settled?", validators=[DataRequired("Say how it was settled"), Length(max=2000)])


class RecordHelpForm(FlaskForm):
    direction = RadioField("Who helped whom?", choices=[("gave", "We helped them"), ("got", "They helped us")],
                           validators=[DataRequired("Choose who helped whom")])
    other_member_id = SelectField("Which organisation?", coerce=int, validators=[DataRequired("Choose the organisation")])
    kind = RadioField("What kind of help?", choices=[("time", "Time (volunteers)"), ("skill", "A skill")],
                      default="time", validators=[DataRequired("Choose the kind of help")])
    hours = AmountField("Hours each", validators=[InputRequired("Enter the hours"), HOURS_RANGE])
    people = NumberField("How many people", default=1, invalid_message=PEOPLE_WORDS, validators=[
        InputRequired("Enter how many people"), PEOPLE_RANGE])
    description = TextAreaField("What was the help?", validators=[
        DataRequired("Say what the help was"), Length(max=300, message="Use 300 characters or fewer")])
    happened_on = DayField("When did it happen?", validators=[DataRequired("Enter the date, like 1 3 2027")])


def _terms_fields(form_class):
    """The hours, people and dates of a direct ask or a counter-proposal."""
    form_class.hours = AmountField("Hours each person gives", validators=[
        InputRequired("Enter the hours, like 2 or 1.5"), HOURS_RANGE])
    form_class.people = NumberField("How many people", default=1, invalid_message=PEOPLE_WORDS, validators=[
        InputRequired("Enter how many people"), PEOPLE_RANGE])
    form_class.start = MomentField("Starts", validators=[
        InputRequired("Enter the date and time it starts, like 1 3 2027 10:00")])
    form_class.end = MomentField("Ends", validators=[
        InputRequired("Enter the date and time it ends, like 1 3 2027 12:00")])
    return form_class


@_terms_fields
class AskForm(FlaskForm):
    """ "Ask for this" on an offer, "Offer to help" on a need."""

    member_id = SelectField("Who is it for?", coerce=int, validate_choice=False,
                            validators=[InputRequired("Choose which of your organisations it is for")])
    message = TextAreaField("Your message", validators=[
        DataRequired("Write a short message: who you are and what you hope for"),
        Length(max=2000, message="Use 2,000 characters or fewer")])


@_terms_fields
class CounterForm(FlaskForm):
    """Other hours or dates, in answer to a direct ask."""

    member_id = HiddenField()
    message = TextAreaField("A message with it (optional)", validators=[
        Optional(), Length(max=2000, message="Use 2,000 characters or fewer")])


class DirectPolicyForm(FlaskForm):
    """Which direct exchanges wait for a coordinator's approval."""

    approval = RadioField("Which direct exchanges need a coordinator's approval?", choices=[
        ("all", "All of them"), ("none", "None: members agree between themselves"),
        ("some", "Only some: those I choose below")], validators=[
        DataRequired("Choose which direct exchanges need your approval")])
    over_hours = AmountField("Those of more than this many hours (person-hours in all)", validators=[
        Optional(), NumberRange(min=0.25, max=MOST_HOURS,
                                message=f"Enter between 0.25 and {MOST_HOURS:,} hours, or leave it blank")])
    rooms_and_equipment = BooleanField("Those involving a room or equipment")
    requirements = BooleanField("Those where a requirement is claimed (a DBS check or insurance)")
