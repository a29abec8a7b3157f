"""axe-core audits every main page of the demo sector, as the person who would see it.

axe-core comes from the axe-playwright-python wheel (its axe.min.js) and runs through
`page.evaluate`, which the site's Content-Security-Policy does not block. A page passes when axe
finds no serious or critical violation (moderate and minor ones are for people to judge).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import PEOPLE, screenshot, serious_violations

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


# Pages in the states they are in while something is still going on (a run, an answer, a dispute):
# the demo's own pages are mostly of things that are finished. {running}, {proposed} and
# {disputed} come from the `in_progress` fixture.
IN_PROGRESS_PAGES = [
    ("coordinator", "/coordinator/matcher/runs/{running}"),
    ("member", "/exchanges/{proposed}"),
    ("member", "/exchanges/{proposed}/respond?member_id={member}"),
    ("coordinator", "/exchanges/{proposed}"),
    ("coordinator", "/exchanges/{disputed}"),
    ("coordinator", "/legs/{disputed_leg}/settle"),
    ("coordinator", "/coordinator/exchanges"),
]


def _admin_of(session, member_id):
    from timebank.accounts.models import User
    from timebank.members.models import Membership

    return session.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.member_id == member_id, Membership.role == "admin").order_by(User.id))


def _ask_for_an_offer(session, member_id: int) -> int:
    """A direct ask by the member's admin about the first open listing it may ask about (a proposed exchange)."""
    from timebank.errors import DomainError
    from timebank.exchanges import direct
    from timebank.listings.models import Listing
    from timebank.members.models import Member

    member = session.get(Member, member_id)
    admin = _admin_of(session, member_id)
    listings = session.scalars(select(Listing).where(
        Listing.status == "open", Listing.kind.in_(("time", "skill")),
        Listing.member_id != member_id).order_by(Listing.direction, Listing.id)).all()  # needs first: it gives
    refused = []
    first = date.today() + timedelta(days=3)
    for listing in listings[:40]:
        for day in (max(first, listing.available_from) + timedelta(days=n) for n in range(7)):
            for hour in (10, 14, 18):
                start = datetime.combine(day, time(hour))
                try:
                    with session.begin_nested():
                        exchange = direct.ask(listing, member, admin, hours=1, start=start,
                                              end=start + timedelta(hours=1), message="Could we help with this?")
                except DomainError as error:
                    refused.append(error.message)
                    continue
                session.commit()
                return exchange.id
    raise AssertionError(f"no open listing in the demo that the member may ask about: {sorted(set(refused))[:5]}")


@pytest.fixture(scope="module")
def in_progress(demo, ids):
    """A run still going, a proposed exchange of the member's (from the demo's run) and a disputed
    part, made through the services. The run is marked failed afterwards, so that later runs start."""
    from timebank.accounts.services import find_user
    from timebank.bookings.models import uk_now
    from timebank.db import utcnow
    from timebank.exchanges import services
    from timebank.exchanges.models import Exchange, Party
    from timebank.matcher.models import MatcherRun

    with demo.context() as session:
        coordinator = find_user(PEOPLE["coordinator"])
        proposed = session.scalar(select(Exchange.id).join(Party).where(
            Exchange.status == "proposed", Party.member_id == ids["member"]).order_by(Exchange.id))
        if proposed is None:  # the demo's run proposed nothing to this member: it asks directly
            proposed = _ask_for_an_offer(session, ids["member"])
        disputed = session.scalars(select(Exchange).where(
            Exchange.status == "proposed", Exchange.id != proposed).order_by(Exchange.id)).all()
        disputed = next(e for e in disputed if all(leg.kind in ("time", "skill") for leg in e.legs))
        for party in disputed.parties:
            services.respond(disputed, party.member, _admin_of(session, party.member_id), accept=True)
        # Approved as of three days ago for the day after, so its first part has happened and can be
        # disputed today (outside its listings' dates, which start later: hence the reason).
        start = (uk_now() - timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
        services.approve(disputed, coordinator,
                         {leg.id: (start, start + timedelta(hours=float(leg.hours))) for leg in disputed.legs},
                         override_reason="Arranged by phone before the listings were posted", now=start - timedelta(days=1))
        leg = disputed.legs[0]
        services.dispute_leg(leg, _admin_of(session, leg.receiver_member_id), "Nobody came on the day.")
        running = MatcherRun(started_by_id=coordinator.id, status="running", progress=35, started_at=utcnow(),
                             message="Finding the best exchanges among 240 listings", policy={"max_cycle": 3})
        session.add(running)
        session.commit()
        found = {"running": running.id, "proposed": proposed, "disputed": disputed.id, "disputed_leg": leg.id}
    yield found
    with demo.context() as session:
        session.get(MatcherRun, found["running"]).status = "failed"
        session.commit()


@pytest.mark.parametrize(("who", "path"), IN_PROGRESS_PAGES, ids=[f"{who}:{path}" for who, path in IN_PROGRESS_PAGES])
def test_pages_in_progress_have_no_serious_or_critical_violations(demo, ids, in_progress, pages_as, who, path):
    page = pages_as(who)
    response = page.goto(demo.url + path.format(**ids, **in_progress))
    assert response.status == 200, f"{path} gave {response.status}"
    assert serious_violations(page) == []


def test_a_run_in_progress_tells_its_progress_without_reloading_the_page(demo, ids, in_progress, pages_as):
    """WCAG 2.2.1: the page never refreshes itself; what changes is said in its live region."""
    from timebank.matcher.models import MatcherRun

    page = pages_as("coordinator")
    page.goto(demo.url + f"/coordinator/matcher/runs/{in_progress['running']}")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    status = page.get_by_role("status")
    expect(status).to_have_text("Finding the best exchanges among 240 listings (35% done).")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Matcher run {in_progress['running']} Running")
    page.evaluate("window.stillTheSamePage = true")
    with demo.context() as session:
        run = session.get(MatcherRun, in_progress["running"])
        run.progress, run.message = 80, "Storing 4 proposals"
        session.commit()
    expect(status).to_have_text("Storing 4 proposals (80% done).", timeout=10_000)
    with demo.context() as session:
        run = session.get(MatcherRun, in_progress["running"])
        run.status, run.progress, run.message = "done", 100, "Done: 4 proposed exchanges"
        session.commit()
    expect(status).to_have_text("Done: 4 proposed exchanges. The run has finished: show what it found.",
                                timeout=10_000)
    expect(heading).to_have_text(f"Matcher run {in_progress['running']} Done")  # the tag follows, too
    assert page.evaluate("window.stillTheSamePage") is True  # told, never reloaded
    page.get_by_role("link", name="Show what the run found").click()
    expect(page.get_by_role("status")).to_have_text("Done: 4 proposed exchanges")
    with demo.context() as session:
        run = session.get(MatcherRun, in_progress["running"])
        run.status, run.progress, run.message = "running", 35, "Finding the best exchanges among 240 listings"
        session.commit()


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
