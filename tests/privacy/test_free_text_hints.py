"""Every box that takes free text says not to write other people's personal details in it."""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import TextAreaField

import timebank

HINT = "Do not write other people\u2019s personal details here"
TEMPLATES = Path(__file__).parents[2] / "templates"


def _forms() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(timebank.__path__, "timebank."):
        if module.name.endswith(("forms", "views")):
            importlib.import_module(module.name)
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_text_area_of_every_form_carries_the_hint(app):
    from timebank.privacy.forms import EraseForm

    checked = 0
    with app.test_request_context():
        for cls in _forms():
            if cls is EraseForm or not cls.__module__.startswith("timebank."):
                continue  # naming the person is the point of the erasure form
            form = cls(meta={"csrf": False})
            for field in form:
                if isinstance(field, TextAreaField):
                    html = render_template_string('{% from "macros/forms.html" import field %}{{ field(f) }}', f=field)
                    assert HINT in html, f"{cls.__name__}.{field.name}"
                    checked += 1
    assert checked >= 15


def test_no_template_writes_a_text_area_by_hand_without_the_hint():
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text()
        if re.search(r"<textarea", source) and path.name != "forms.html":
            assert "PRIVACY_HINT" in source, path
