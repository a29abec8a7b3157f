"""The main journey with the keyboard alone: Tab to move, Enter and Space to act, arrows in radio
groups and lists, typing into fields. No mouse clicks and no jumping to an address, except the
first page. Each control reached shows a visible focus indicator.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.world import PASSWORD, add_member, email_for

pytestmark = pytest.mark.e2e

ME, NEXT, LAST = "Northwood Residents Group", "Tower Hill Youth Project", "Whiston Walking Club"


def tab_to(page: Page, locator, limit: int = 120, backwards: bool = False) -> None:
    """Press Tab until `locator` has the focus; fail if it never does or the focus cannot be seen."""
    target = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("el => document.activeElement === el", target):
            visible = page.evaluate("""el => { const s = getComputedStyle(el);
                return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; }""",
                                    target)
            assert visible, f"no visible focus on {locator}"
            return
    raise AssertionError(f"Tab never reached {locator}")


@pytest.fixture(scope="module")
def ring(live):
    """Three members in a proposed ring; ME has not answered yet."""
    from timebank.exchanges.services import LegPlan, create_proposal

    ids = [add_member(live, name) for name in (ME, NEXT, LAST)]
    with live.context() as session:
        legs = [LegPlan(giver_member_id=ids[i], receiver_member_id=ids[(i + 1) % 3], kind="skill",
                        hours=Decimal(2), description=what, reason="Same category, close by")
                for i, what in enumerate(("Bookkeeping", "Social media", "Bid writing"))]
        exchange = create_proposal("cycle", legs, story=f"{ME} helps {NEXT}, who helps {LAST}, who helps {ME}.")
        session.commit()
        return {"members": ids, "exchange": exchange.id}


def test_sign_in_post_a_need_and_accept_a_part_with_the_keyboard(live, ring, page):
    keys = page.keyboard
    page.goto(f"{live.url}/")

    # Sign in: the skip link first, then the header's "Sign in".
    keys.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    tab_to(page, page.get_by_label("Email address"))
    keys.type(email_for(ME))
    keys.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    keys.type(PASSWORD)
    keys.press("Enter")
    expect(page.locator(".account-bar")).to_contain_text("Signed in as")

    # Post a need, from the dashboard's task list.
    tab_to(page, page.get_by_role("link", name="Post your first need"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Post an offer or a need")
    expect(page.get_by_label("A need: we are looking for this")).to_be_checked()
    tab_to(page, page.get_by_label("A need: we are looking for this"))
    tab_to(page, page.get_by_label("Time (volunteers)"))      # the kind group: arrows move and choose
    keys.press("ArrowDown")
    expect(page.get_by_label("A skill (for example bookkeeping)")).to_be_checked()
    category = page.get_by_label("Category")
    tab_to(page, category)
    for _ in range(80):
        if category.evaluate("s => s.options[s.selectedIndex].text") == "Finance and funding > Bid writing":
            break
        keys.press("ArrowDown")
    keys.press("Tab")
    expect(page.get_by_label("Title")).to_be_focused()
    keys.type("Help writing a lottery bid")
    tab_to(page, page.get_by_label("How much"))
    keys.type("6")
    tab_to(page, page.get_by_label("On particular days of the week"))  # "when" has no answer until one is chosen
    keys.press("Space")
    keys.press("ArrowDown")
    keys.press("ArrowDown")
    expect(page.get_by_label("Any time: we are flexible")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Post it"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Help writing a lottery bid")
    expect(page.get_by_text("Bid writing").first).to_be_visible()

    # Answer for our part of the ring: Exchanges in the header, the ring, the answer page.
    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Exchanges"))
    keys.press("Enter")
    tab_to(page, page.get_by_role("link", name=f"Exchange ring {ring['exchange']}"))
    keys.press("Enter")
    tab_to(page, page.get_by_role("link", name=f"Answer for {ME}"))
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Will you do your part?")
    tab_to(page, page.get_by_label("Yes, we accept our part"))
    keys.press("Space")
    expect(page.get_by_label("Yes, we accept our part")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Send our answer"))
    keys.press("Enter")
    expect(page.get_by_text("Thank you. Your answer is saved")).to_be_visible()
    members = page.locator(".summary-list").filter(has_text=ME)
    expect(members).to_contain_text("Accepted")
