"""The privacy notice, cookie notice and accessibility statement tell the truth, with the controller
and contacts the operator sets, and every page's footer links to them."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

TEMPLATES = Path(__file__).parents[2] / "templates"
FOOTER_LINKS = ('href="/accessibility"', 'href="/privacy"', 'href="/cookies"')


def test_every_page_template_extends_the_layout_whose_footer_links_the_notices():
    layout = (TEMPLATES / "base.html").read_text()
    footer = layout[layout.index("<footer"):]
    for endpoint in ("main.accessibility", "main.privacy", "main.cookies"):
        assert f"url_for('{endpoint}')" in footer
    layouts = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html") if "<html" in p.read_text()}
    # The other layout is a report's PDF: a document people take away, not a page of the site.
    assert layouts == {"base.html", "reports/document.html"}, "a new layout: give it the footer's links"
    for path in TEMPLATES.rglob("*.html"):
        relative = path.relative_to(TEMPLATES).as_posix()
        if relative in layouts or relative.startswith(("macros/", "email/")) or path.name.startswith("_"):
            continue
        source = path.read_text()
        # A report's PDF uses its own layout (a document, not a page); as a page it extends base.html.
        assert '{% extends "base.html" %}' in source or '{% extends layout|default("base.html") %}' in source, (
            f"{relative} is a page without the footer")


@pytest.mark.parametrize("path", ["/", "/sign-in", "/listings", "/privacy", "/cookies", "/accessibility",
                                  "/no-such-page", "/dashboard", "/account", "/coordinator/people"])
def test_the_footer_of_every_kind_of_page_links_the_notices(client, auth, make_user, path):
    make_user("coord@example.org", coordinator=True)
    auth.login("coord@example.org")
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    footer = page[page.index('<footer'):]
    for link in FOOTER_LINKS:
        assert link in footer, (path, link)


def test_the_privacy_notice_names_the_controller_purposes_bases_rights_retention_and_the_ico(app, client):
    app.config.update(CONTROLLER_NAME="Knowsley Council for Voluntary Service",
                      CONTROLLER_ADDRESS="1 High Street, Huyton",
                      CONTROLLER_ICO_NUMBER="ZA123456", PRIVACY_CONTACT_EMAIL="dpo@kcvs.example", DPO_NAME="Sam Patel",
                      PRIVACY_PROCESSORS="Mythic Beasts (hosting, UK) and Mailgun (email, EU)")
    page = client.get("/privacy").get_data(as_text=True)
    for words in ("Knowsley Council for Voluntary Service runs the exchange", "controller", "1 High Street, Huyton",
                  "ZA123456", "mailto:dpo@kcvs.example", "Sam Patel", "Mythic Beasts (hosting, UK) and Mailgun",
                  "Lawful basis", "Article 6(1)(f)", "Schedule 1, paragraph 18", "profiling", "access", "portability",
                  "rectification", "erasure", "Restrict", "object", "within one month", "ico.org.uk/make-a-complaint",
                  "0303 123 1113", 'href="/cookies"', 'href="/account"'):
        assert words in page, words
    from timebank.privacy.inventory import TABLES

    for table in TABLES:
        if table.personal:
            assert table.keep.replace("'", "&#39;") in page, table.name


def test_the_privacy_notice_works_with_the_defaults(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "One Knowsley runs the exchange" in page and "mailto:exchange@oneknowsley.example" in page


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_the_cookie_notice_names_every_cookie_the_site_sets_and_says_when_each_expires(client, make_user):
    make_user("someone@example.org")
    notice = client.get("/cookies").get_data(as_text=True)
    seen: dict[str, str] = {}
    for response in (client.get("/"), client.get("/sign-in"),
                     client.post("/sign-in", data={"email": "someone@example.org", "password": PASSWORD,
                                                   "remember": "y"}),
                     client.get("/dashboard"), client.get("/account"), client.post("/sign-out")):
        for name, header in _set_cookies(response).items():
            seen.setdefault(name, header)
    assert {"session", "remember_token"} <= set(seen)
    for name in seen:
        assert f"<td class=\"table__cell\">{name}</td>" in notice or f">{name}<" in notice, name
    assert "Expires=" not in seen["session"] and "Max-Age" not in seen["session"]
    assert "When you close your browser" in notice
    expires = re.search(r"Expires=([^;]+)", seen["remember_token"]).group(1)
    days = (datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
            - datetime.now(timezone.utc)).days
    assert 29 <= days <= 30 and "After 30 days" in notice
    assert "strictly necessary" in notice and "no analytics" in notice


def test_the_accessibility_statement_follows_the_public_sector_model(app, client):
    app.config.update(ACCESSIBILITY_CONTACT_EMAIL="access@kcvs.example", ACCESSIBILITY_CONTACT_PHONE="0151 496 0999",
                      ACCESSIBILITY_TESTED_ON="November 2026", CONTROLLER_NAME="Knowsley CVS")
    page = client.get("/accessibility").get_data(as_text=True)
    for words in ("This website is run by Knowsley CVS", "How accessible this website is",
                  "Feedback and contact information", "large print, easy read, an audio recording",
                  "mailto:access@kcvs.example", "0151 496 0999", "Reporting accessibility problems",
                  "Enforcement procedure", "Equality and Human Rights Commission",
                  "Equality Advisory and Support Service",
                  "Compliance status", "fully compliant", "WCAG22", "Preparation of this accessibility statement",
                  "last tested in November 2026", "axe-core", "pa11y", "Lighthouse", "reflow at 320 pixels"):
        assert words in page, words
