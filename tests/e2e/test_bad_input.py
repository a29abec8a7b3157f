"""Bad input on every main form, in the browser: an error summary that takes the focus and links to
each field, the message again beside the field, what was typed still there, nothing saved, and
the page with its errors passes axe-core.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serious_violations

pytestmark = pytest.mark.e2e


@dataclass
class Case:
    who: str | None
    path: str                       # filled from the `ids` fixture
    typed: dict[str, str]           # field id -> what the person types
    button: str
    errors: dict[str, str]          # field id -> the message beside it (and in the summary)
    check: tuple[str, ...] = ()     # labels of radios or checkboxes to tick first
    not_kept: tuple[str, ...] = ("password", "confirm")


CASES = {
    "sign in": Case(None, "/sign-in", {"email": "jo@"}, "Sign in",
                    {"email": "Enter an email address in the right format", "password": "Enter your password"}),
    "sign up": Case(None, "/sign-up", {"display_name": "Jo Bloggs", "email": "jo@example.org", "password": "short",
                                      "confirm": "short"}, "Create account",
                    {"password": "Password must be at least 10 characters"}),
    "forgotten password": Case(None, "/forgot-password", {"email": "jo"}, None,
                               {"email": "Enter an email address in the right format"}),
    "register a member": Case("member", "/members/register", {"name": "Tower Hill Boxing Club",
                                                              "postcode": "ZZ99 9ZZ"},
                              "Register", {"postcode": "Enter a postcode in or near Knowsley"}, check=("Community group",)),
    "change a member": Case("member", "/members/{member}/edit", {"website": "not a web address"}, None,
                            {"website": "Enter a web address, like https://example.org"}),
    "post a listing": Case("member", "/members/{member}/listings/new", {"title": "Minibus trips", "quantity": "0"},
                           "Post it", {"direction": "Choose whether this is an offer or a need",
                                       "category_id": "Choose a category",
                                       "quantity": "Enter an amount between 0.25 and 10,000",
                                       "availability": "Choose when: particular days of the week, particular "
                                                       "dates, or any time"}),
    "invite a person": Case("member", "/members/{member}/people/invite", {"email": "not an email"}, None,
                            {"email": "Enter an email address in the right format"}),
    "add a room": Case("member", "/members/{member}/assets/new/room", {"name": "Back room", "capacity": "0"},
                       None, {"capacity": "Enter how many people the room holds, as a number"}),
    "book a room": Case("member", "/assets/{room}/book", {"day": "2020-01-06", "starts_at": "10:00",
                                                         "ends_at": "12:00", "note": "Twelve of us"},
                        "Book the room", {"day": "The date must be today or in the future"}),
    "borrow equipment": Case("member", "/assets/{item}/book", {"starts_on": "2030-03-05", "due_on": "2030-03-01",
                                                              "note": "For the summer fair"},
                             "Reserve it", {"due_on": "The last day must be the same as or after the first day"}),
    "answer for a part": Case("member", "/exchanges/{exchange}/respond?member_id={member}",
                              {"reason": "We need to ask our trustees first"}, "Send our answer",
                              {"answer": "Choose whether you accept or decline"}),
    "record help": Case("member", "/members/{member}/record-help", {"hours": "0", "description": "Van driving"},
                        None, {"hours": "Enter between 0.25 and 10,000 hours"}),
    "run the matcher": Case("coordinator", "/coordinator/matcher", {"max_cycle": "9"}, "Start the matcher",
                            {"max_cycle": "Enter between 2 and 8"}),
    "new valuation rate": Case("coordinator", "/coordinator/rates/new", {"name": "", "value": "13.45"}, None,
                               {"name": "Enter the rate's name"}),
}


def count_rows(demo, table) -> int:
    from sqlalchemy import func, select

    with demo.context() as session:
        return session.scalar(select(func.count()).select_from(table))


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_shows_errors_and_keeps_what_was_typed(demo, ids, pages_as, name):
    from timebank.db import Base

    case = CASES[name]
    page = pages_as(case.who)
    tables = [t for t in Base.metadata.sorted_tables if t.name in
              ("members", "listings", "bookings", "loans", "assets", "invitations", "matcher_runs",
               "valuation_rates", "exchanges")]
    before = {t.name: count_rows(demo, t) for t in tables}

    page.goto(demo.url + case.path.format(**ids))
    for label in case.check:
        page.get_by_label(label, exact=True).check()
    for field_id, value in case.typed.items():
        page.locator(f"#{field_id}").fill(value)
    form = page.locator(f"#{next(iter(case.typed))}").locator("xpath=ancestor::form")
    (form.get_by_role("button", name=case.button) if case.button else form.get_by_role("button").last).click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    for field_id, message in case.errors.items():
        expect(summary.locator(f'a[href="#{field_id}"]')).to_contain_text(message)
        expect(page.locator(f"#{field_id}-error")).to_contain_text(message)
    for field_id, value in case.typed.items():
        if field_id not in case.not_kept:
            expect(page.locator(f"#{field_id}")).to_have_value(value)
    for label in case.check:
        expect(page.get_by_label(label, exact=True)).to_be_checked()
    assert {t.name: count_rows(demo, t) for t in tables} == before, "bad input saved something"
    assert serious_violations(page) == []

    # The summary's link takes the person to the field.
    first = next(iter(case.errors))
    summary.locator(f'a[href="#{first}"]').click()
    expect(page.locator(f"#{first}")).to_be_focused()
