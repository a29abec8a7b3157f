"""axe-core audits every main page of the demo sector, as the person who would see it.

axe-core comes from the axe-playwright-python wheel (its axe.min.js) and runs through
`page.evaluate`, which the site's Content-Security-Policy does not block. A page passes when axe
finds no serious or critical violation (moderate and minor ones are for people to judge).
"""
from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, serious_violations

pytestmark = pytest.mark.e2e

# (who, path); {member}, {listing}, {exchange}, {run}, {pending}, {room}, {item}, {rate} and
# {business} are filled in from the demo data.
PAGES = [
    (None, "/"),
    (None, "/listings"),
    (None, "/listings?q=minibus&kind=time"),
    (None, "/listings/{listing}"),
    (None, "/members/{member}"),
    (None, "/sign-in"),
    (None, "/sign-up"),
    (None, "/forgot-password"),
    (None, "/impact/"),
    (None, "/impact/network"),
    (None, "/open-data"),
    (None, "/impact/?format=xlsx"),
    (None, "/accessibility"),
    (None, "/privacy"),
    (None, "/cookies"),
    (None, "/styleguide"),
    (None, "/no-such-page"),
    ("member", "/dashboard"),
    ("member", "/account"),
    ("member", "/members/register"),
    ("member", "/members/{member}"),
    ("member", "/members/{member}/edit"),
    ("member", "/members/{member}/people"),
    ("member", "/members/{member}/people/invite"),
    ("member", "/members/{member}/compliance"),
    ("member", "/members/{member}/assets"),
    ("member", "/members/{member}/listings/new"),
    ("member", "/members/{member}/credits"),
    ("member", "/members/{member}/bookings"),
    ("member", "/members/{member}/record-help"),
    ("member", "/members/{member}/impact"),
    ("member", "/members/{member}/open-data"),
    ("member", "/members/{member}/exports"),
    ("member", "/assets/{room}/book"),
    ("member", "/assets/{item}/book"),
    ("member", "/exchanges"),
    ("member", "/exchanges/{exchange}"),
    ("member", "/exchanges/{exchange}/respond?member_id={member}"),
    ("member", "/notifications/"),
    ("member", "/members/{other}"),
    ("business", "/members/{business}/social-value"),
    ("coordinator", "/coordinator/"),
    ("coordinator", "/coordinator/members/{pending}/review"),
    ("coordinator", "/coordinator/matcher"),
    ("coordinator", "/coordinator/matcher/runs/{run}"),
    ("coordinator", "/coordinator/exchanges"),
    ("coordinator", "/exchanges/{exchange}"),
    ("coordinator", "/coordinator/ledger"),
    ("coordinator", "/coordinator/loans"),
    ("coordinator", "/coordinator/audit"),
    ("coordinator", "/coordinator/impact"),
    ("coordinator", "/coordinator/network"),
    ("coordinator", "/coordinator/impact?from=2025-07-01&to=2025-09-30&compare=previous"),
    ("coordinator", "/coordinator/rates"),
    ("coordinator", "/coordinator/rates/new"),
    ("coordinator", "/coordinator/people"),
    ("coordinator", "/coordinator/people?q=kirkby"),
    ("coordinator", "/coordinator/exports"),
    ("coordinator", "/members/{business}/social-value"),
]


# With SCREENSHOTS=1 these pages are saved to docs/screenshots/ for the README.
SHOTS = {(None, "/"): "home", (None, "/listings"): "directory", ("member", "/dashboard"): "dashboard",
         ("member", "/exchanges/{exchange}"): "exchange", ("coordinator", "/coordinator/matcher/runs/{run}"): "matcher-run"}


@pytest.mark.parametrize(("who", "path"), PAGES, ids=[f"{who or 'public'}:{path}" for who, path in PAGES])
def test_no_serious_or_critical_violations(demo, ids, pages_as, who, path):
    page = pages_as(who)
    response = page.goto(demo.url + path.format(**ids))
    expected = {"/no-such-page": 404, "/impact/?format=xlsx": 406}.get(path, 200)
    assert response.status == expected, f"{path} gave {response.status}"
    assert serious_violations(page) == []
    if (who, path) in SHOTS:
        screenshot(page, SHOTS[who, path])


@pytest.mark.parametrize("width", [390, 320])
def test_the_directory_and_an_exchange_at_phone_widths(demo, ids, pages_as, width):
    page = pages_as("member")
    page.set_viewport_size({"width": width, "height": 800})
    try:
        for path in ("/listings", "/exchanges/{exchange}", "/members/{member}/credits"):
            page.goto(demo.url + path.format(**ids))
            assert serious_violations(page) == [], path
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px wide"
            if width == 390:
                screenshot(page, {"/listings": "mobile-directory", "/exchanges/{exchange}": "mobile-exchange"}.get(
                    path, "mobile-credits"))
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
