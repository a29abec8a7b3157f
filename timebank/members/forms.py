"""Forms for members: the profile, people, compliance records, rooms and equipment."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from timebank.accounts.services import MIN_PASSWORD_LENGTH
from timebank.main.forms import AmountField, DayField, NumberField
from timebank.members.models import BOOK_AHEAD_DAYS, LONGEST_BOOKING_HOURS, LONGEST_LOAN_DAYS, MEMBER_TYPES
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


# -- amounts of money typed by people -------------------------------------------------------

class MoneyField(AmountField):
    def __init__(self, label=None, validators=None, invalid_message="Enter an amount in pounds, like 25", **kwargs):
        super().__init__(label, validators, invalid_message=invalid_message, places=2, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata([str(valuelist[0]).strip().lstrip("£")] if valuelist else valuelist)


# -- people ----------------------------------------------------------------------------------

ROLE_CHOICES = [("staff", "Staff: can post offers and needs, and keep records"),
                ("admin", "Admin: can also change the profile and the people")]


class ActionForm(FlaskForm):
    """A lone button (approve, decline, remove, leave, cancel): the CSRF token is all it carries."""


class FindMemberForm(FlaskForm):
    class Meta:
        csrf = False  # a search, sent with GET

    q = SearchField("Name of the organisation or business", validators=[
        Length(max=160, message="Name must be 160 characters or fewer")])


class InviteForm(FlaskForm):
    email = EmailField("Their email address", validators=[
        DataRequired("Enter their email address"),
        Email("Enter an email address in the right format, like name@example.org"),
        Length(max=254, message="Email address must be 254 characters or fewer")])
    role = RadioField("What can they do?", choices=ROLE_CHOICES, default="staff",
                      validators=[DataRequired("Choose admin or staff")])


class RoleForm(FlaskForm):
    role = RadioField("Role", choices=ROLE_CHOICES, validators=[DataRequired("Choose admin or staff")])


class NewAccountForm(FlaskForm):
    """Accepting an invitation without an account: the emailed link has proved the address."""

    display_name = StringField("Your name", validators=[
        DataRequired("Enter your name"), Length(max=120, message="Name must be 120 characters or fewer")])
    password = PasswordField("Create a password", validators=[
        DataRequired("Enter a password"),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=f"Password must be at least {MIN_PASSWORD_LENGTH} characters")])
    confirm = PasswordField("Type the password again", validators=[
        DataRequired("Type the password again"), EqualTo("password", "The passwords do not match")])


# -- compliance records ----------------------------------------------------------------------

class RecordForm(FlaskForm):
    def fill(self, row) -> None:
        """Set the fields that do not map one-to-one from the row (yes/no radios); most need nothing."""


class SafeguardingForm(RecordForm):
    policy_held = RadioField("Do you have a written safeguarding policy?", choices=[("yes", "Yes"), ("no", "No")],
                             validators=[DataRequired("Say whether you have a safeguarding policy")])
    expires_on = DayField("When is it next due for review?", validators=[Optional()],
                          invalid_message="Enter a real review date, like 27 3 2027")

    def service_fields(self) -> dict:
        return {"policy_held": {"yes": True, "no": False}.get(self.policy_held.data),
                "expires_on": self.expires_on.data}

    def fill(self, record) -> None:
        self.policy_held.data = "yes" if record.policy_held else "no"


class InsuranceForm(RecordForm):
    insurer = StringField("Insurer", validators=[
        DataRequired("Enter the name of the insurer"), Length(max=120, message="Insurer must be 120 characters or fewer")])
    cover_amount = MoneyField("Amount of cover", invalid_message="Enter the amount of cover in pounds, like 5000000", validators=[
        Optional(), NumberRange(min=1, max=10**10 - 1,
                                message=f"Enter the amount of cover in pounds, from £1 to £{10**10 - 1:,}")])
    issued_on = DayField("Cover starts", validators=[Optional()],
                         invalid_message="Enter a real start date, like 1 4 2026")
    expires_on = DayField("Cover ends", validators=[DataRequired("Enter the date the cover ends")],
                          invalid_message="Enter a real end date, like 31 3 2027")

    def service_fields(self) -> dict:
        return {name: getattr(self, name).data for name in ("insurer", "cover_amount", "issued_on", "expires_on")}



DBS_LEVEL_CHOICES = [("basic", "Basic"), ("standard", "Standard"), ("enhanced", "Enhanced"),
                     ("enhanced_barred", "Enhanced with barred list check")]


class DbsForm(RecordForm):
    holder = StringField("Whose checks are these?", validators=[
        DataRequired("Enter whose checks these are: a role or initials"),
        Length(max=120, message="Must be 120 characters or fewer")])
    people = NumberField("How many people do they cover?",
                         invalid_message="Enter how many people these checks cover, as a number", validators=[
        InputRequired("Enter how many people these checks cover"),
        NumberRange(min=1, max=999, message="Enter how many people these checks cover, from 1 to 999")])
    dbs_level = RadioField("Level", choices=DBS_LEVEL_CHOICES, validators=[DataRequired("Choose the level of the DBS check")])
    certificate_number = StringField("Certificate number", validators=[
        Optional(), Length(max=20, message="Enter the 12-digit certificate number, like 001234567890")])
    issued_on = DayField("Date of issue", validators=[DataRequired("Enter the date the certificate was issued")],
                         invalid_message="Enter a real date of issue, like 27 3 2026")
    decision = StringField("Your decision", validators=[
        Optional(), Length(max=120, message="Decision must be 120 characters or fewer")])
    decided_on = DayField("Date of the decision", validators=[Optional()],
                          invalid_message="Enter a real decision date, like 27 3 2026")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from timebank.members.compliance import certificate_need

        if not certificate_need():
            # No documented need (docs/privacy.md): the question is not asked at all.
            del self.certificate_number

    def validate_certificate_number(self, field) -> None:
        # Checked here as well as in the service so the message comes with the form's others.
        from timebank.members.compliance import CERTIFICATE_NUMBER

        if field.data and not CERTIFICATE_NUMBER.match("".join(field.data.split())):
            raise ValidationError("Enter the 12-digit certificate number, like 001234567890")

    def fill(self, record) -> None:
        if "certificate_number" in self:
            self.certificate_number.data = None  # kept masked: typing it again replaces it, blank keeps it

    def service_fields(self) -> dict:
        fields = {name: getattr(self, name).data for name in (
            "holder", "people", "dbs_level", "issued_on", "decision", "decided_on")}
        if "certificate_number" in self:
            fields["certificate_number"] = self.certificate_number.data
        return fields


COMPLIANCE_FORMS = {"safeguarding": SafeguardingForm, "insurance": InsuranceForm, "dbs": DbsForm}


# -- assets ----------------------------------------------------------------------------------

def _book_ahead_field() -> NumberField:
    most = BOOK_AHEAD_DAYS[1]
    return NumberField("How many days ahead can it be booked?", default=BOOK_AHEAD_DAYS[0],
                       invalid_message="Enter how many days ahead, as a number", validators=[
                           Optional(),
                           NumberRange(min=1, max=most, message=f"Enter a number of days between 1 and {most}")])


class RoomForm(RecordForm):
    name = StringField("Name of the room", validators=[
        DataRequired("Enter a name for the room"), Length(max=160, message="Name must be 160 characters or fewer")])
    description = TextAreaField("Describe it", validators=[
        Optional(), Length(max=2000, message="Description must be 2,000 characters or fewer")])
    capacity = NumberField("How many people does it hold?", invalid_message="Enter how many people the room holds, as a number", validators=[
        DataRequired("Enter how many people the room holds, as a number"),
        NumberRange(min=1, max=5000, message="Enter a number of people between 1 and 5,000")])
    step_free = RadioField("Is there step-free access?", choices=[("yes", "Yes"), ("no", "No")],
                           validators=[DataRequired("Say whether there is step-free access")])
    facilities = StringField("Facilities", validators=[
        Optional(), Length(max=400, message="Facilities must be 400 characters or fewer")])
    opening_hours = StringField("When can it be booked?", validators=[
        Optional(), Length(max=200, message="Opening hours must be 200 characters or fewer")])
    book_ahead_days = _book_ahead_field()
    longest_booking_hours = NumberField("Longest booking, in hours", default=LONGEST_BOOKING_HOURS[0],
                                        invalid_message="Enter the longest booking in hours, as a number", validators=[
        Optional(),
        NumberRange(min=1, max=LONGEST_BOOKING_HOURS[1],
                    message=f"Enter a number of hours between 1 and {LONGEST_BOOKING_HOURS[1]}")])

    def service_fields(self) -> dict:
        values = {name: getattr(self, name).data for name in (
            "name", "description", "capacity", "facilities", "opening_hours", "book_ahead_days",
            "longest_booking_hours")}
        values["step_free"] = self.step_free.data == "yes"
        return values

    def fill(self, asset) -> None:
        self.step_free.data = "yes" if asset.step_free else "no"


CONDITION_CHOICES = [("new", "New"), ("good", "Good"), ("fair", "Fair: works, shows wear"),
                     ("worn", "Worn: works, but near the end of its life")]


class EquipmentForm(RecordForm):
    name = StringField("Name of the item", validators=[
        DataRequired("Enter a name for the item"), Length(max=160, message="Name must be 160 characters or fewer")])
    description = TextAreaField("Describe it", validators=[
        Optional(), Length(max=2000, message="Description must be 2,000 characters or fewer")])
    condition = RadioField("What condition is it in?", choices=CONDITION_CHOICES,
                           validators=[DataRequired("Choose the condition it is in")])
    electrical = RadioField("Is it electrical (does it plug in)?", choices=[("yes", "Yes"), ("no", "No")],
                            validators=[DataRequired("Say whether it is electrical")])
    pat_tested_on = DayField("Date of the last PAT test", validators=[Optional()],
                             invalid_message="Enter a real test date, like 27 3 2026")
    pat_result = RadioField("Result of the last PAT test", choices=[("pass", "Pass"), ("fail", "Fail")],
                            validators=[Optional()])
    pat_due_on = DayField("Next PAT test due", validators=[Optional()],
                          invalid_message="Enter a real date, like 27 3 2027")
    deposit = MoneyField("Deposit", validators=[
        Optional(), NumberRange(min=0, max=99999, message="Enter a deposit between £0 and £99,999")])
    insurance_required = BooleanField("Borrowers must have public liability insurance")
    book_ahead_days = _book_ahead_field()
    longest_loan_days = NumberField("Longest loan, in days", default=LONGEST_LOAN_DAYS[0],
                                    invalid_message="Enter the longest loan in days, as a number", validators=[
        Optional(),
        NumberRange(min=1, max=LONGEST_LOAN_DAYS[1], message=f"Enter a number of days between 1 and {LONGEST_LOAN_DAYS[1]}")])

    def service_fields(self) -> dict:
        values = {name: getattr(self, name).data for name in (
            "name", "description", "condition", "pat_tested_on", "pat_due_on", "deposit", "insurance_required",
            "book_ahead_days", "longest_loan_days")}
        values["electrical"] = self.electrical.data == "yes"
        values["pat_result"] = self.pat_result.data or None
        return values

    def fill(self, asset) -> None:
        self.electrical.data = "yes" if asset.electrical else "no"


ASSET_FORMS = {"room": RoomForm, "equipment": EquipmentForm}
