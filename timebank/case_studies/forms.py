"""Writing a case study, and answering whether reports may show one."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from timebank.case_studies.models import CASE_STUDY_KINDS, MAX_TEXT

TEXT_HINT = (f"Plain words, at most {MAX_TEXT} characters. Name organisations, not people: do not write anyone's "
             "name, contact details, health or other personal details, yours or anyone else's. For a quote, "
             "say who said it by their role, like \u201cone of our volunteers\u201d.")


class CaseStudyForm(FlaskForm):
    # "leg id-author member id", one choice per part of the exchange the person may write about
    part = RadioField("Which help is it about?", validate_choice=False,
                      validators=[DataRequired("Choose the help it is about")])
    kind = RadioField("Is it an outcome or a quote?", choices=list(CASE_STUDY_KINDS.items()),
                      validators=[DataRequired("Choose whether it is an outcome or a quote")])
    text = TextAreaField("The outcome or the quote", description=TEXT_HINT, validators=[
        DataRequired("Write the outcome or the quote"),
        Length(max=MAX_TEXT, message=f"Write {MAX_TEXT} characters or fewer")])

    def chosen(self) -> tuple[int, int] | None:
        """(leg id, author member id) from the choice, or None if it is not one."""
        leg, _, author = (self.part.data or "").partition("-")
        return (int(leg), int(author)) if leg.isdecimal() and author.isdecimal() and len(leg + author) < 19 else None


class ChangeCaseStudyForm(FlaskForm):
    kind = RadioField("Is it an outcome or a quote?", choices=list(CASE_STUDY_KINDS.items()),
                      validators=[DataRequired("Choose whether it is an outcome or a quote")])
    text = TextAreaField("The outcome or the quote", description=TEXT_HINT, validators=[
        DataRequired("Write the outcome or the quote"),
        Length(max=MAX_TEXT, message=f"Write {MAX_TEXT} characters or fewer")])


class ConsentForm(FlaskForm):
    agree = RadioField("May reports show it?", choices=[
        ("yes", "Yes: reports may show it, with our organisation's name"),
        ("no", "No: do not show it")], validators=[DataRequired("Choose yes or no")])


class RemoveForm(FlaskForm):
    """A button: delete the case study."""
