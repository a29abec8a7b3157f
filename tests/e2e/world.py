"""A small Knowsley for the journeys: members and listings set up through the services, and the
few things people do in the browser again and again (sign in, post a listing, answer for a part).

The ring and the chain are built so that the matcher has exactly one good answer (docs/matching.md):
categories that are not related to each other, the same weekly pattern and dates, all within a
few kilometres of each other, no requirements.

    Halewood Youth Club --social media, 4 h--> Kirkby Food Bank --payroll, 2 h--> Prescot Seniors
        ^------------------------------- bookkeeping, 3 h ----------------------------'
    Merseyside Accountancy (gift) --data protection, 5 h--> Stockbridge Village Trust
        --website building, 6 h--> Knowsley Carers Centre
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import select

PASSWORD = "correct-horse-battery"
COORDINATOR = "coordinator@e2e.example"


def email_for(name: str) -> str:
    return "admin@" + "-".join(name.lower().split()) + ".example"


def add_member(live, name: str, *, type: str = "charity", postcode: str = "L36 9YS") -> int:
    """An approved member with an admin who can sign in (email_for(name), PASSWORD); returns its id."""
    from timebank.accounts import services as accounts
    from timebank.members import services as members

    with live.context() as session:
        admin = accounts.create_user(email_for(name), PASSWORD, f"{name.split()[0]} Admin", confirmed=True)
        member = members.register_member(admin, name=name, type=type, postcode=postcode)
        members.approve_member(member, accounts.find_user(COORDINATOR))
        session.commit()
        return member.id


def add_listing(live, member_id: int, *, direction: str, category: str, title: str, hours: int,
                kind: str = "skill", is_gift: bool = False, **extra) -> int:
    from timebank.accounts.models import User
    from timebank.db import today
    from timebank.listings import services as listings
    from timebank.listings.models import Category
    from timebank.members.models import Member, Membership

    with live.context() as session:
        member = session.get(Member, member_id)
        admin = session.scalar(select(User).join(Membership).where(Membership.member_id == member_id))
        listing = listings.create_listing(
            member, admin, direction=direction, kind=kind, title=title, description=title,
            category_id=session.scalar(select(Category.id).where(Category.slug == category)),
            quantity=Decimal(hours), available_from=today(), available_until=today() + timedelta(days=60),
            travel_km=Decimal(10), is_gift=is_gift, **extra)
        session.commit()
        return listing.id


def add_asset(live, member_id: int, **fields) -> int:
    from timebank.accounts.models import User
    from timebank.members import assets
    from timebank.members.models import Member, Membership

    with live.context() as session:
        admin = session.scalar(select(User).join(Membership).where(Membership.member_id == member_id))
        asset = assets.add_asset(session.get(Member, member_id), admin, **fields)
        session.commit()
        return asset.id


def member_id(live, name: str) -> int:
    from timebank.members.models import Member

    with live.context() as session:
        return session.scalar(select(Member.id).where(Member.name == name))


# -- what people do in the browser -----------------------------------------------------------

def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-bar")).to_contain_text("Signed in as")


def as_person(browser, live, email: str) -> Page:
    """A new browser context (its own cookies), signed in as `email`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, live.url, email)
    return page


def post_listing(page: Page, base: str, member: int, *, direction: str, kind: str, category: str, title: str,
                 hours: str, gift: bool = False, travel_km: str = "10") -> None:
    """Fill in 'Post an offer or a need' for `member` and check the listing page says it is open."""
    page.goto(f"{base}/members/{member}/listings/new")
    page.get_by_label("An offer: we can give this" if direction == "offer" else "A need: we are looking for this").check()
    page.get_by_label({"skill": "A skill (for example bookkeeping)", "time": "Time (volunteers)",
                       "room": "A room", "equipment": "Equipment"}[kind]).check()
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("Title").fill(title)
    page.get_by_label("How much").fill(hours)
    page.get_by_label("Any time: we are flexible").check()
    page.get_by_label("How far will you travel (km)?").fill(travel_km)
    if gift:
        page.get_by_label("This is a gift: we want no time credits back").check()
    page.get_by_role("button", name="Post it").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def answer_for(page: Page, base: str, exchange_id: int, member_name: str) -> None:
    """Accept `member_name`'s part, through the check-answers page."""
    page.goto(f"{base}/exchanges/{exchange_id}")
    page.get_by_role("link", name=f"Answer for {member_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Will you do your part?")
    page.get_by_label("Yes, we accept our part").check()
    page.get_by_role("button", name="Send our answer").click()
    expect(page.get_by_text("Thank you. Your answer is saved")).to_be_visible()


def confirm_part(page: Page, base: str, exchange_id: int, giver: str) -> None:
    """As the receiver: confirm that `giver`'s part was delivered, with the planned hours."""
    page.goto(f"{base}/exchanges/{exchange_id}")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=giver, exact=True))
    row.get_by_role("link", name="Confirm or dispute").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Did {giver} deliver?")
    page.get_by_role("button", name="Confirm it was delivered").click()
    expect(page.get_by_text(f"Confirmed. {giver} has been thanked")).to_be_visible()


def balance(page: Page, base: str, member: int) -> str:
    page.goto(f"{base}/members/{member}/credits")
    return page.locator(".stat").filter(has_text="credits now").locator(".stat__value").inner_text()
