"""Shared form plumbing: put a service's DomainError beside the right field; the fields for numbers,
dates and times that people type (each says in plain words what to type, never WTForms' own
"Not a valid ... value."); a quicker <select>."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import flash
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, DateTimeLocalField, DecimalField, IntegerField, TimeField
from wtforms.validators import StopValidation
from wtforms.widgets import Select

from timebank.errors import DomainError, NotAllowed, NotFound
from timebank.unit_of_work import discard


def show_domain_error(form: FlaskForm, error: DomainError, renamed: dict[str, str] | None = None) -> None:
    """Attach the error to its field (or to the form as a whole) so the page shows it there.

    `renamed`: the service's field names that the form asks under another name. An error about a
    list of rows (a FieldList) goes beside the first row's first field.
    """
    name = (renamed or {}).get(error.field, error.field)
    field = getattr(form, name, None) if name else None
    if field is not None and field.type == "FieldList":
        field = next(iter(field.entries[0]), None) if field.entries else None
    if field is not None:
        # WTForms makes errors a tuple after validate(); make it a list we can add to.
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


class _OneMessage:
    """When the text could not be read, say only that (not also "Enter between ...")."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()

    def _read_number(self, valuelist) -> bool:
        """Read what was typed with the field's own reader (spaces and thousands separators allowed);
        False for an empty box, the field's one plain message for anything unreadable."""
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return False
        try:
            super().process_formdata([str(valuelist[0]).strip().replace(",", "")])
        except ValueError as error:
            raise ValueError(self.invalid_message) from error
        return True


class AmountField(_OneMessage, DecimalField):
    """A number that may have a fraction (hours, days, km, credits), typed by a person.

    Python's Decimal also reads "NaN", "sNaN" and "Infinity": those are words here, refused with
    the field's plain message (WTForms' range check cannot compare a signalling NaN and raised a
    500). Thousands separators and spaces around the number are allowed; an empty box is no value.
    """

    def __init__(self, label=None, validators=None, invalid_message="Enter a number, like 2 or 1.5", **kwargs):
        kwargs.setdefault("places", None)
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if not self._read_number(valuelist):
            return
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_message)


class WeightField(AmountField):
    """A number with a fraction that the code takes as a float (the matcher's weights)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = float(self.data)


class NumberField(_OneMessage, IntegerField):
    """A whole number typed by a person: "1.5", "ten" or a number no database column holds gets
    the field's one plain message. Thousands separators and spaces around it are allowed."""

    BIGGEST = 2**31 - 1  # the largest integer column; past it a number cannot name or count anything here

    def __init__(self, label=None, validators=None, invalid_message="Enter a whole number, like 20", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if not self._read_number(valuelist):
            return
        if self.data is not None and abs(self.data) > self.BIGGEST:
            self.data = None
            raise ValueError(self.invalid_message)


class DayField(_OneMessage, DateField):
    """A date from the browser's date picker (2027-03-27) or typed the British way (27/3/2027, 27 3 2027)."""

    FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y", "%d.%m.%Y")

    def __init__(self, label=None, validators=None, invalid_message="Enter a real date, like 27 3 2027", **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = " ".join(valuelist[0].split())
        for fmt in self.FORMATS:
            try:
                self.data = datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(self.invalid_message)


class MomentField(_OneMessage, DateTimeLocalField):
    """A date and a time from the browser's picker (2027-03-27T10:00), or typed as people write
    them where there is no picker (27 3 2027 10:00, 27/3/2027 10:00, 2027-03-27 10:00)."""

    DAYS = ("%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y", "%d.%m.%Y")
    CLOCKS = ("%H:%M", "%H.%M", "%H:%M:%S")

    def __init__(self, label=None, validators=None,
                 invalid_message="Enter a real date and time, like 27 3 2027 10:00", **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = " ".join(valuelist[0].replace("T", " ").split())
        for day in self.DAYS:
            for clock in self.CLOCKS:
                try:
                    self.data = datetime.strptime(text, f"{day} {clock}")
                    return
                except ValueError:
                    continue
        self.data = None
        raise ValueError(self.invalid_message)


class ClockField(_OneMessage, TimeField):
    """A time of day from the browser's picker (14:30) or typed (14.30, 2:30pm)."""

    FORMATS = ("%H:%M", "%H.%M", "%H:%M:%S", "%I:%M%p", "%I.%M%p", "%I%p")

    def __init__(self, label=None, validators=None, invalid_message="Enter a time, like 10:00 or 14:30", **kwargs):
        super().__init__(label, validators, format="%H:%M", **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = "".join(valuelist[0].split()).upper()
        for fmt in self.FORMATS:
            try:
                self.data = datetime.strptime(text, fmt).time()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(self.invalid_message)


@contextmanager
def domain_errors(form: FlaskForm | None = None, renamed: dict[str, str] | None = None) -> Iterator[None]:
    """Run the block (a service call, then flash and redirect); a DomainError it raises undoes what
    the request did so far (timebank/unit_of_work.py) and is shown beside its field of `form`
    (`renamed` as for show_domain_error), or flashed when there is no form; the view goes on after
    the block as it would without it. With no form, a refusal (NotAllowed, NotFound) is not flashed
    over a redirect as if it had been a slip: it goes on to the app-wide handler (main/errors.py),
    which answers the 403 or 404 page."""
    try:
        yield
    except DomainError as error:
        if form is None and isinstance(error, (NotAllowed, NotFound)):
            raise
        discard()
        if form is None:
            flash(error.message, "error")
        else:
            show_domain_error(form, error, renamed)


class RememberedOptionsSelect(Select):
    """WTForms' <select>, with each <option> rendered once per worker and then reused.

    WTForms builds every option's attributes and escapes its label on every render: about 20 µs
    an option, and the directory's filters have about a hundred on every view (2.6 ms of a
    7 ms page). The options themselves (value, label, whether selected) repeat from page to page,
    so this widget remembers what WTForms rendered for each one. Options with extra attributes,
    or with parts that cannot be remembered, are rendered by WTForms every time.
    """

    MAX_REMEMBERED = 5_000  # options; past this the memory starts again (choices lists are short)
    _rendered: dict[tuple, Markup] = {}

    @classmethod
    def render_option(cls, *args, **kwargs):  # WTForms 3.3 passes a Choice, 3.1 and 3.2 (value, label, selected)
        if kwargs:
            return super().render_option(*args, **kwargs)
        try:
            # The type of each part is in the key: 1 and True (or "a" and Markup("a")) are equal
            # but are not rendered alike. No attributes is an empty dict; any other dict fails here.
            key = tuple((type(arg), tuple((type(part), () if part == {} else part) for part in arg)
                         if isinstance(arg, tuple) else arg) for arg in args)
            found = cls._rendered.get(key)
        except TypeError:  # an unhashable part, such as a dict of attributes
            return super().render_option(*args)
        if found is None:
            if len(cls._rendered) >= cls.MAX_REMEMBERED:
                cls._rendered.clear()
            found = cls._rendered[key] = super().render_option(*args)
        return found
