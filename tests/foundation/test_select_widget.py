"""RememberedOptionsSelect renders exactly what WTForms' own Select renders, every time."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.widgets import Select

from timebank.main.forms import RememberedOptionsSelect

CHOICES = {
    "numbers": ([(0, "Any category"), (1, "Food > Cooking"), (2, "Rooms & halls"), (3, "<b>not bold</b>")], int),
    "words": ([("", "Anywhere"), ("Kirkby", "Kirkby"), ("Huyton", "Huyton"), ("1", "One as a word")], str),
    "flags": ([(True, "Yes"), (False, "No"), (1, "One")], str),
    "markup": ([("a", Markup("<em>a</em>")), ("b", "<em>b</em>")], str),
    "attributes": ([("x", "With an attribute", {"data-x": "1"}), ("y", "Plain")], str),
    "groups": ({"Group one": [("g1", "One")], "Group two": [("g2", "Two"), ("g3", "Three")]}, str),
}


def _form(widget):
    class TheForm(Form):
        pass

    for name, (choices, coerce) in CHOICES.items():
        setattr(TheForm, name, SelectField(name, choices=choices, coerce=coerce, validate_choice=False,
                                           widget=widget))
    setattr(TheForm, "several", SelectMultipleField("several", choices=CHOICES["words"][0],
                                                    widget=Select(multiple=True) if type(widget) is Select
                                                    else RememberedOptionsSelect(multiple=True)))
    return TheForm


def _render(form) -> list[str]:
    return [str(field(**{"class": "select", "required": False})) for field in form]


@pytest.mark.filterwarnings("ignore:Passing SelectField choices in a dict:DeprecationWarning")
def test_remembered_options_render_as_wtforms_renders_them():
    plain, remembered = _form(Select()), _form(RememberedOptionsSelect())
    for data in ({}, {"numbers": 2, "words": "Kirkby", "flags": True, "markup": "a", "attributes": "x",
                      "groups": "g2", "several": ["Kirkby", "1"]},
                 {"numbers": 3, "words": "1", "flags": 1, "several": []},
                 {"numbers": 0, "words": "", "flags": False}):
        for _ in range(2):  # the second time comes from what was remembered
            assert _render(remembered(data=data)) == _render(plain(data=data))
    numbers = _render(remembered(data={"numbers": 3}))[0]
    assert '<option selected value="3">&lt;b&gt;not bold&lt;/b&gt;</option>' in numbers
