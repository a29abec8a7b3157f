"""Every number, date and time box of every form answers what it cannot read with one plain message
of its own, never WTForms' defaults ("Not a valid integer value.", "Number must be between ...")."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DateTimeField, DecimalField, FloatField, Form, IntegerField, TimeField
from wtforms.validators import NumberRange

import timebank
from timebank.exchanges.forms import schedule_form

TYPED = (IntegerField, DecimalField, FloatField, DateField, DateTimeField, TimeField)
WTFORMS_DEFAULT = re.compile(r"^(Not a valid|Number must be|This field is required|Invalid (input|value)|"
                             r"Field must be|Field cannot)")
# What people type by mistake, as the walk through the app tried them.
BAD = ("1.5", "ten", "100000000000000", "-5", "2027-02-31", "31/02/2027", "25:61", "NaN", "1e400")


def _form_classes() -> list[type[Form]]:
    # Forms live in forms.py and the views' modules; importing every module would also run
    # timebank.operations.gunicorn_config, which sets the process's metrics folder.
    for module in pkgutil.walk_packages(timebank.__path__, "timebank."):
        if module.name.rsplit(".", 1)[-1].endswith(("forms", "views")):
            importlib.import_module(module.name)
    found, seen = [], set()

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub not in seen and sub.__module__.startswith("timebank."):
                seen.add(sub)
                found.append(sub)
            walk(sub)

    walk(Form)
    found.append(schedule_form([SimpleNamespace(id=7, position=2, kind="time")], with_reason=True))
    return found


FORMS = _form_classes()


def _typed_fields(form) -> list:
    fields = []
    for field in form:
        if field.type == "FieldList":
            for entry in field.entries:
                fields.extend(f for f in entry.form if isinstance(f, TYPED))
        elif isinstance(field, TYPED):
            fields.append(field)
    return fields


def test_the_walk_finds_the_forms():
    names = {cls.__name__ for cls in FORMS}
    assert {"ListingForm", "AskForm", "ConfirmLegForm", "RecordHelpForm", "PeriodForm", "RoomBookingForm",
            "RunForm", "FundingTagForm", "ScheduleForm"} <= names


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_no_typed_box_keeps_a_wtforms_message(app, form_class):
    with app.test_request_context("/", method="POST"):
        blank = form_class(meta={"csrf": False})
        names = [field.name for field in _typed_fields(blank)]
        for text in BAD:
            form = form_class(formdata=MultiDict({name: text for name in names}), meta={"csrf": False})
            for field in form:
                if getattr(field, "choices", 0) is None:  # the view sets these
                    field.choices = []
            form.validate()
            for field in _typed_fields(form):
                for message in field.errors:
                    assert not WTFORMS_DEFAULT.match(str(message)), (field.name, text, message)
                assert len(field.errors) <= 1, (field.name, text, field.errors)
                too_big = [v for v in field.validators if isinstance(v, NumberRange) and v.max is not None]
                if field.errors and field.data is not None and too_big and field.data > too_big[0].max:
                    # too big says how big it may be, not only where it starts
                    assert f"{too_big[0].max:,}" in field.errors[0], (field.name, text, field.errors)
