"""A few months of finished exchanges for the demo sector, so its impact pages and reports have
something to show. Called by seed/demo.py; safe to run twice (a piece of help already recorded is
skipped).

Everything goes through the same service functions the pages use:

- businesses' pro-bono advice, employee volunteering, rooms and equipment are gifts arranged by a
  coordinator (create_proposal, each side accepts, approve, confirm_leg); a room is booked with
  bookings.book_room and an item lent with request_loan, check_out and check_in;
- organisations helping each other is recorded by one and confirmed by the other (record_direct,
  confirm_direct). Those move time credits, so each such pair helps the other back by as many
  hours: every organisation's balance ends where it started, well within its credit limit, and the
  matcher's demo proposals (tests/matcher) are not changed.

None of it uses a listing, so every open listing stays open for the matcher.

Each piece of help goes through the services with the clock of the days it happened (`now=`):
approved ten days before, confirmed once it had happened. The services date the help, and the
ledger dates its credits, on the day it happened (`happened_on`), which is what reports filter
on, so date-filtered reports agree with the ledger. The members are dated as having joined a
year before the first of it (help cannot be dated before a member joined). Other timestamps the
services stamp (when a row was written) are moved back afterwards, dates only; ledger entries
and postings are append-only, so their `created_at` keeps the day the seed ran.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from seed.demo import slugify
from timebank.accounts import services as accounts
from timebank.accounts.models import User
from timebank.bookings import services as bookings
from timebank.db import today
from timebank.exchanges import services as exchanges
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
from timebank.listings.models import Category
from timebank.members.assets import add_asset
from timebank.members.models import Asset, Member

BUSINESS = "Merseyside Accountancy Partners Ltd"


@dataclass(frozen=True)
class Help:
    """One piece of help: who gave what to whom, how long, and how many days ago it happened."""

    giver: str
    receiver: str
    kind: str
    category: str
    description: str
    hours: str  # hours, or days for equipment
    people: int
    days_ago: int


# Businesses: pro-bono advice and employee volunteering, given as gifts (no time credits move).
GIFTS = [
    Help(BUSINESS, "Kirkby Community Food Bank", "skill", "bookkeeping",
         "Year-end bookkeeping: reconciled the accounts and set up the software", "6", 1, 150),
    Help(BUSINESS, "Prescot Seniors Lunch Club", "skill", "audit-and-independent-examination",
         "Independent examination of the club's accounts before its AGM", "5", 1, 124),
    Help(BUSINESS, "Knowsley Carers Centre", "skill", "payroll",
         "Payroll set-up for the centre's first paid support worker", "4", 1, 97),
    Help(BUSINESS, "Halewood Youth Club", "time", "painting-and-decorating",
         "Employee volunteering day: five staff repainted the youth club hall", "6", 5, 71),
    Help(BUSINESS, "Northwood Together CIC", "skill", "bid-writing",
         "Reviewed the budget of a National Lottery bid", "3", 1, 43),
    Help(BUSINESS, "Tower Hill Community Garden", "time", "gardening-and-growing",
         "Employee volunteering: six staff built and filled raised beds", "4", 6, 26),
    Help(BUSINESS, "Kirkby Community Food Bank", "time", "food-bank-shifts",
         "Four staff sorted donations and packed parcels", "3", 4, 9),
    Help("Whiston Legal LLP", "Knowsley Refugee Welcome", "skill", "legal-advice",
         "Reviewed the lease on the drop-in room", "3", 1, 112),
    Help("Halewood Motor Works Ltd", "Whitefield Play Partnership", "time", "event-stewarding",
         "Staff volunteers stewarded a summer holiday play day", "5", 4, 104),
    Help("Knowsley HR Consulting Ltd", "Page Moss Family Centre", "skill", "hr-advice",
         "Contract and induction advice for a first employee", "4", 1, 83),
    Help("North West Tech Solutions Ltd", "Kirkby Unemployed and Community Centre", "skill", "it-support",
         "IT health check: backups set up and six laptops sped up", "4", 1, 62),
    Help("Liverpool City Region Energy Ltd", "Westvale Residents Together", "time", "litter-picks-and-clean-ups",
         "Eight staff joined the autumn litter pick", "3", 8, 47),
    Help("Huyton Print & Design", "Knowsley Youth Theatre", "skill", "graphic-design",
         "Designed the poster and flyer for the winter show", "5", 1, 31),
]

# Organisations helping each other, recorded and confirmed; each pair evens out its credits.
RECORDED = [
    Help("Huyton Men's Shed", "Prescot Seniors Lunch Club", "time", "diy-and-repairs",
         "Mended a dozen wobbly chairs and a table", "3", 2, 133),
    Help("Prescot Seniors Lunch Club", "Huyton Men's Shed", "time", "event-stewarding",
         "Stewarded the Shed's open day and ran its tea stall", "3", 2, 66),
    Help("Kirkby Community Food Bank", "Halewood Foodshare", "time", "food-bank-shifts",
         "Two volunteers sorted a pallet of surplus food", "2", 2, 118),
    Help("Halewood Foodshare", "Kirkby Community Food Bank", "skill", "food-hygiene-training",
         "Food hygiene session for the pantry's new volunteers", "4", 1, 52),
    Help("Northwood Together CIC", "Knowsley Refugee Welcome", "skill", "employability-and-cv-help",
         "CV and job search session at the digital drop-in", "3", 1, 88),
    Help("Knowsley Refugee Welcome", "Northwood Together CIC", "time", "befriending",
         "Volunteers interpreted at the job club", "3", 1, 38),
    Help("Huyton Men's Shed", "Kirkby Community Food Bank", "time", "diy-and-repairs",
         "Put up shelving in the food bank's store room", "3", 2, 168),
    Help("Kirkby Community Food Bank", "Huyton Men's Shed", "skill", "food-hygiene-training",
         "Food hygiene session before the Shed's open day barbecue", "6", 1, 75),
    Help("Knowsley Youth Theatre", "Halewood Youth Club", "skill", "photography-and-video",
         "Filmed the youth club's summer showcase", "4", 1, 141),
    Help("Halewood Youth Club", "Knowsley Youth Theatre", "time", "minibus",
         "Minibus and driver to take the cast to a drama festival", "4", 1, 101),
    Help("Tower Hill Community Garden", "Northwood Together CIC", "time", "gardening-and-growing",
         "Planted up the hub's front beds", "2", 3, 127),
    Help("Northwood Together CIC", "Tower Hill Community Garden", "skill", "it-support",
         "Set up the garden's laptop and a shared calendar", "6", 1, 58),
    Help("Page Moss Family Centre", "Stockbridge Village Residents Association", "time", "event-stewarding",
         "Stewards for the village fun day", "4", 2, 110),
    Help("Stockbridge Village Residents Association", "Page Moss Family Centre", "time", "gardening-and-growing",
         "Tidied the centre's play garden", "2", 4, 41),
    Help("Knowsley Credit Union", "St Gabriel's Church Community Kitchen", "skill", "bookkeeping",
         "Set up the kitchen's accounts for its first grant", "5", 1, 95),
    Help("St Gabriel's Church Community Kitchen", "Knowsley Credit Union", "time", "event-stewarding",
         "A steward for the credit union's savings fair", "5", 1, 29),
    Help("Knowsley Carers Centre", "Knowsley Older People's Voice", "time", "befriending",
         "Weekly befriending calls to isolated members", "2", 3, 80),
    Help("Knowsley Older People's Voice", "Knowsley Carers Centre", "time", "event-stewarding",
         "Stewards for the Carers Week open day", "3", 2, 22),
    Help("Prescot Arts Collective CIC", "Prescot Heritage Society", "skill", "graphic-design",
         "Designed the heritage trail leaflet", "5", 1, 64),
    Help("Prescot Heritage Society", "Prescot Arts Collective CIC", "skill", "copywriting",
         "Wrote the captions for the collective's exhibition", "5", 1, 16),
    Help("Cherryfield Community Allotments", "Kirkby Unemployed and Community Centre", "time",
         "gardening-and-growing", "Built raised beds for the centre's growing club", "3", 2, 120),
    Help("Kirkby Unemployed and Community Centre", "Cherryfield Community Allotments", "skill",
         "data-and-spreadsheets", "Set up the allotments' plot and waiting list spreadsheet", "6", 1, 12),
]

# Rooms booked and equipment lent by businesses, as gifts: (owner, asset, borrower, category,
# description, days ago, hours of the booking or days of the loan).
ROOMS = [
    ("Prescot Conference Centre Ltd", "Board room for 14", "Knowsley Mental Health Forum", "meeting-room",
     "Board room for the forum's quarterly peer support planning day", 90, 3),
    ("Stockbridge Retail Park Management Ltd", "Community room", "Stockbridge Village Residents Association",
     "meeting-room", "Community room for the residents' public meeting", 34, 2),
]
LOANS = [
    ("Cronton Catering Co Ltd", "Catering urn and hot cupboard", "St Gabriel's Church Community Kitchen",
     "catering-equipment", "Catering urn and hot cupboard for the harvest supper", 57, 3),
    ("Kirkby Builders Merchants Ltd", "Gardening tool kit", "Cherryfield Community Allotments", "gardening-tools",
     "Gardening tool kit for the allotments' winter dig", 19, 5),
]
ASSETS = {
    "Board room for 14": dict(kind="room", description="A board room with a screen, for up to 14.", capacity=14,
                              step_free=True, facilities="Screen, Wi-Fi, tea and coffee",
                              opening_hours="Mon to Fri 9am to 5pm"),
    "Community room": dict(kind="room", description="A ground-floor room for meetings and classes.", capacity=30,
                           step_free=True, facilities="Tables and chairs, kitchenette",
                           opening_hours="Every day 9am to 8pm"),
    "Catering urn and hot cupboard": dict(kind="equipment", description="A 20-litre urn and a hot cupboard.",
                                          condition="good", electrical=True, pat_result="pass",
                                          deposit=Decimal(0), insurance_required=False),
    "Gardening tool kit": dict(kind="equipment", description="Spades, forks, rakes and two wheelbarrows.",
                               condition="good", electrical=False, deposit=Decimal(0), insurance_required=False),
}


def load_history(coordinator: User, log=print) -> int:
    """Add the history that is not there yet; returns how many pieces of help were added."""
    categories = {c.slug: c.id for c in db.session.scalars(select(Category))}
    _joined_before_the_history()
    added = 0
    for help in GIFTS:
        added += _arranged(help, coordinator, categories)
    for help in RECORDED:
        added += _recorded(help)
    for owner, asset_name, borrower, category, description, days_ago, amount in ROOMS + LOANS:
        added += _lent(owner, asset_name, borrower, category, description, days_ago, amount, coordinator, categories)
    if added:
        log(f"Demo history: {added} finished exchanges added")
    return added


# -- helpers ----------------------------------------------------------------------------------------

def _member(name: str) -> Member:
    return db.session.scalar(select(Member).where(Member.name == name))


def _admin(member: Member) -> User:
    return accounts.find_user(f"admin@{slugify(member.name)}.example")


def _done(giver: Member, receiver: Member, description: str) -> bool:
    return db.session.scalar(select(Leg.id).where(
        Leg.giver_member_id == giver.id, Leg.receiver_member_id == receiver.id, Leg.description == description,
        Leg.status == "confirmed")) is not None


def _joined_before_the_history() -> None:
    """Date the members of the history as joined a year before its first piece of help."""
    earliest = max(h.days_ago for h in GIFTS + RECORDED) + 365
    joined = datetime.combine(today() - timedelta(days=earliest), time(9))
    names = {n for h in GIFTS + RECORDED for n in (h.giver, h.receiver)} | {r[0] for r in ROOMS + LOANS} | \
        {r[2] for r in ROOMS + LOANS}
    for member in db.session.scalars(select(Member).where(Member.name.in_(names), Member.created_at > joined)):
        member.created_at = joined
    db.session.flush()


def _at(days_ago: int, hour: int) -> datetime:
    return datetime.combine(today() - timedelta(days=days_ago), time(hour))


def _backdate(exchange: Exchange, start: datetime, end: datetime, confirmed: datetime) -> None:
    """Move the dates the services stamped to when the help happened (only dates change)."""
    direct = exchange.shape == "direct"
    exchange.created_at = start if direct else start - timedelta(days=14)
    exchange.expires_at = exchange.created_at + timedelta(days=7)
    if exchange.decided_at is not None:
        exchange.decided_at = start - timedelta(days=10)
    giver_id = exchange.legs[0].giver_member_id
    for party in exchange.parties:
        if not direct:
            party.responded_at = start - timedelta(days=12)
        else:  # the giver recorded it when it happened; the receiver confirmed it later
            party.responded_at = start if party.member_id == giver_id else confirmed
    for leg in exchange.legs:
        if not direct:  # recorded help has only its day, as when recorded on the page
            leg.scheduled_start, leg.scheduled_end = start, end
            leg.delivered_at = end
        leg.confirmed_at = confirmed
    exchange.completed_at = confirmed
    db.session.flush()


def _arranged(help: Help, coordinator: User, categories: dict, *, asset: Asset | None = None) -> int:
    """A gift arranged by a coordinator: proposed, accepted by both, approved, delivered, confirmed."""
    giver, receiver = _member(help.giver), _member(help.receiver)
    if _done(giver, receiver, help.description):
        return 0
    plan = exchanges.LegPlan(giver_member_id=giver.id, receiver_member_id=receiver.id, kind=help.kind,
                             hours=Decimal(help.hours), people=help.people, is_gift=True,
                             description=help.description, category_id=categories[help.category],
                             reason="Arranged by a coordinator")
    exchange = exchanges.create_proposal("chain", [plan], story=f"{giver.name} gives {receiver.name}: "
                                         f"{help.description}", actor=coordinator)
    for member in (giver, receiver):
        exchanges.respond(exchange, member, _admin(member), accept=True)
    leg = exchange.legs[0]
    start = _at(help.days_ago, 10)
    end = start + timedelta(hours=float(help.hours)) if help.kind != "equipment" \
        else _at(help.days_ago - int(help.hours) + 1, 16)
    exchanges.approve(exchange, coordinator, {leg.id: (start, end)}, now=start - timedelta(days=10))
    if asset is not None and help.kind == "room":
        booking = bookings.book_room(asset, receiver, start, end, coordinator, leg=leg,
                                     note=f"Exchange {exchange.id}: {help.description}")
        booking.created_at = start - timedelta(days=10)
    elif asset is not None:
        loan = bookings.request_loan(asset, receiver, start.date(), end.date(), coordinator, leg=leg,
                                     note=f"Exchange {exchange.id}: {help.description}")
        owner = _admin(giver)
        bookings.check_out(loan, owner, condition="Good, clean and complete",
                           pat_checked=True if bookings.pat_problem(asset) else None)
        bookings.check_in(loan, owner, condition="Good: back clean and complete")
        loan.created_at = start - timedelta(days=10)
        loan.checked_out_at, loan.returned_at = start, end
    exchanges.confirm_leg(leg, _admin(receiver), actual_hours=Decimal(help.hours), actual_people=help.people,
                          now=end + timedelta(hours=2))
    _backdate(exchange, start, end, end + timedelta(hours=2))
    return 1


def _recorded(help: Help) -> int:
    """Help recorded by the giver and confirmed by the receiver (time credits move). Like help
    recorded on the page, it has no category (`Help.category` only says what it was)."""
    giver, receiver = _member(help.giver), _member(help.receiver)
    if _done(giver, receiver, help.description):
        return 0
    happened = _at(help.days_ago, 13)
    exchange = exchanges.record_direct(giver, receiver, _admin(giver), we_gave=True, kind=help.kind,
                                       hours=Decimal(help.hours), people=help.people,
                                       description=help.description, happened_on=happened.date(), now=happened)
    exchanges.confirm_direct(exchange, receiver, _admin(receiver), agree=True)
    _backdate(exchange, happened, happened + timedelta(hours=float(help.hours)), happened + timedelta(days=1))
    return 1


def _lent(owner_name, asset_name, borrower_name, category, description, days_ago, amount, coordinator,
          categories) -> int:
    """A business's room booked, or item lent and returned, as a gift arranged by a coordinator."""
    owner = _member(owner_name)
    fields = ASSETS[asset_name]
    asset = db.session.scalar(select(Asset).where(Asset.member_id == owner.id, Asset.name == asset_name))
    if asset is None:
        extra = {}
        if fields.get("electrical"):
            tested = today() - timedelta(days=200)
            extra = dict(pat_tested_on=tested, pat_due_on=tested + timedelta(days=365))
        asset = add_asset(owner, _admin(owner), name=asset_name, **fields, **extra)
    help = Help(owner_name, borrower_name, fields["kind"], category, description, str(amount), 1, days_ago)
    return _arranged(help, coordinator, categories, asset=asset)
