"""What was exchanged, counted and valued in SQL: the figures behind every report.

All help recorded through the exchange is one set of rows (`activity`), built with UNION ALL from
three records:

- confirmed legs: time and skills in person-hours (actual hours each x people, as the ledger
  counts time credits), and rooms and equipment that have no booking or
  loan of their own (hours or days as confirmed);
- bookings of rooms that happened (not cancelled, ended): hours of room use;
- loans of equipment that went out (out or returned): days of loan.

Each row has the day it counts on (the day a leg's help happened; a booking's or loan's first day),
and the rate valid on that day values it. Reports group these rows in SQL; Python only touches
the grouped rows (a few per kind, category and span of dates between rate changes).

A member's report filters the rows to one member, so it groups `activity` directly. The sector
dashboard groups all of them several ways, so it first writes them once into a temporary table of
its own connection (`materialised_activity`) and runs its four GROUP BYs over that: building the
rows is much of the work, and rebuilding them for each of eight queries made the dashboards miss
their 1 s target.
"""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import (
    Boolean, Column, Date, Integer, MetaData, Numeric, String, Table, and_, case, cast, distinct, exists, func, insert,
    literal, or_, select, text, union, union_all,
)
from sqlalchemy.schema import CreateTable, DropTable

from timebank import amounts
from timebank.bookings.models import Booking, Loan
from timebank.db import utcnow
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
from timebank.funding.services import legs_tagged
from timebank.ledger.models import Account, LedgerEntry, Posting
from timebank.members.models import Asset, Member
from timebank.places import DISTRICTS, TOWNS
from timebank.reports.rates import RateBook

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
BANDS = ("low", "central", "high")
TIME_KINDS = ("time", "skill")
IN_KIND = ("room", "equipment")
KIND_LABELS = {"time": "Volunteer time", "skill": "Skills and expert advice", "room": "Rooms",
               "equipment": "Equipment"}
# The unit of each kind's totals: one set of names everywhere (timebank/amounts.py).
KIND_UNITS = amounts.UNITS
# Voluntary, community and social enterprise members (TOMs "VCSEs").
VCSE_TYPES = ("charity", "cio", "community_group", "cic", "faith_group")
USED_BOOKING_STATUSES = ("confirmed", "completed")
USED_LOAN_STATUSES = ("out", "returned")


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included (None means no bound), and the programme, fund or
    grant a report is cut by (`tag_id`; None: all help). Every report builds its rows from its
    Period (`activity_rows`), so a cut applies to every figure, chart, CSV row and comparison."""

    start: date | None = None
    end: date | None = None
    tag_id: int | None = None

    @property
    def label(self) -> str:
        if self.start and self.end:
            return f"{self.start.day} {self.start:%B %Y} to {self.end.day} {self.end:%B %Y}"
        if self.start:
            return f"from {self.start.day} {self.start:%B %Y}"
        if self.end:
            return f"up to {self.end.day} {self.end:%B %Y}"
        return "all time"

    def after(self) -> datetime | None:
        return datetime.combine(self.start, time.min) if self.start else None

    def before(self) -> datetime | None:
        return datetime.combine(self.end + timedelta(days=1), time.min) if self.end else None


# -- dialect helpers ------------------------------------------------------------------------------

def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _day(column):
    """The calendar day of a timestamp, comparable with date parameters on both databases."""
    return func.date(column) if _sqlite() else cast(column, Date)


def _hours_between(start, end):
    if _sqlite():
        return func.round((func.julianday(end) - func.julianday(start)) * 24, 2)
    return func.round(cast(func.extract("epoch", end - start) / 3600, db.Numeric(12, 2)), 2)


def _days_inclusive(start, end):
    if _sqlite():
        return cast(func.julianday(end) - func.julianday(start) + 1, db.Integer)
    return end - start + 1


def _month(day_column):
    # SQLite keeps a day as text, YYYY-MM-DD: its first seven characters are the month, with no
    # date parsing per row (strftime took a third of the month query's time).
    return func.substr(day_column, 1, 7) if _sqlite() else func.to_char(day_column, "YYYY-MM")


# -- the rows -------------------------------------------------------------------------------------

def _window(column, period: Period, *, is_date: bool = False) -> list:
    conditions = []
    if period.start:
        conditions.append(column >= (period.start if is_date else period.after()))
    if period.end:
        conditions.append(column <= period.end if is_date else column < period.before())
    return conditions


def _leg_day():
    """The day a leg's help happened (legs confirmed before that was recorded: their confirmation day)."""
    return func.coalesce(Leg.happened_on, _day(Leg.confirmed_at))


def _tagged(period: Period) -> list:
    """With a tag: only help of a leg whose exchange, or the offer or need it answers, carries it.
    (Bookings and loans made straight from a room's or item's page have no leg, so no tag.)"""
    return [legs_tagged(period.tag_id)] if period.tag_id is not None else []


def activity_rows(period: Period, now: datetime | None = None):
    """Every piece of help recorded in `period`, one row each (a UNION ALL of legs, bookings and loans)."""
    now = now or utcnow()
    used_booking = and_(Booking.status.in_(USED_BOOKING_STATUSES), Booking.ends_at <= now)
    used_loan = Loan.status.in_(USED_LOAN_STATUSES)
    amount = func.coalesce(Leg.actual_hours, Leg.hours)
    people = func.coalesce(Leg.actual_people, Leg.people)
    has_booking = exists().where(Booking.leg_id == Leg.id, used_booking)
    has_loan = exists().where(Loan.leg_id == Leg.id, used_loan)
    legs = (
        select(literal("leg").label("source"), Leg.id.label("record_id"), Leg.id.label("leg_id"),
               Leg.exchange_id.label("exchange_id"), Leg.giver_member_id.label("giver_id"),
               Leg.receiver_member_id.label("receiver_id"), Leg.kind.label("kind"),
               Leg.category_id.label("category_id"), _leg_day().label("day"),
               case((Leg.kind.in_(TIME_KINDS), amount * people), else_=amount).label("quantity"),
               case((Leg.kind.in_(TIME_KINDS), people), else_=literal(1)).label("people"),
               Leg.is_gift.label("is_gift"), Leg.need_listing_id.label("need_id"))
        .where(Leg.status == "confirmed", Leg.confirmed_at.is_not(None),
               or_(Leg.kind.in_(TIME_KINDS), and_(Leg.kind == "room", ~has_booking),
                   and_(Leg.kind == "equipment", ~has_loan)),
               *_window(_leg_day(), period, is_date=True), *_tagged(period)))
    bookings = (
        select(literal("booking"), Booking.id, Booking.leg_id, Leg.exchange_id, Asset.member_id,
               Booking.member_id, literal("room"), Leg.category_id, _day(Booking.starts_at),
               _hours_between(Booking.starts_at, Booking.ends_at), literal(1),
               func.coalesce(Leg.is_gift, False), Leg.need_listing_id)
        .join(Asset, Asset.id == Booking.asset_id).outerjoin(Leg, Leg.id == Booking.leg_id)
        .where(used_booking, *_window(Booking.starts_at, period), *_tagged(period)))
    loans = (
        select(literal("loan"), Loan.id, Loan.leg_id, Leg.exchange_id, Asset.member_id, Loan.member_id,
               literal("equipment"), Leg.category_id, Loan.starts_on, _days_inclusive(Loan.starts_on, Loan.due_on),
               literal(1), func.coalesce(Leg.is_gift, False), Leg.need_listing_id)
        .join(Asset, Asset.id == Loan.asset_id).outerjoin(Leg, Leg.id == Loan.leg_id)
        .where(used_loan, *_window(Loan.starts_on, period, is_date=True), *_tagged(period)))
    return union_all(legs, bookings, loans)


def activity(period: Period, now: datetime | None = None):
    """Every piece of help recorded in `period`, one row each (a subquery)."""
    return activity_rows(period, now).subquery("activity")


# The same rows, written once per report into a temporary table: it lives only on the report's own
# database connection (no other request sees it), is not part of the application's schema (its own
# MetaData, so migrations never see it), and is dropped as soon as the report has its figures. One
# Table object for every request, so SQLAlchemy's compiled-statement cache serves the GROUP BYs.
_SCRATCH = MetaData()
# Only the columns the dashboard groups by or adds up: narrower rows are quicker to write and scan.
ACTIVITY_TABLE = Table(
    "report_activity", _SCRATCH,
    Column("kind", String(20)), Column("category_id", Integer), Column("day", Date),
    Column("quantity", Numeric(14, 2)), Column("is_gift", Boolean), Column("giver_id", Integer),
    Column("receiver_id", Integer), Column("need_id", Integer), Column("exchange_id", Integer),
    Column("source", String(8)), Column("record_id", Integer),
    prefixes=["TEMPORARY"],
)


@contextmanager
def materialised_activity(period: Period, now: datetime | None = None):
    """`activity(period)` computed once into a temporary table; yields the table to group."""
    rows = activity_rows(period, now).subquery("activity")
    if _sqlite():
        # Temporary tables and sorts in memory (a few MB here), not in a temporary file: on a busy
        # disk the file's writes tripled the dashboard's time. A setting of this connection only.
        db.session.execute(text("PRAGMA temp_store = MEMORY"))
    drop = DropTable(ACTIVITY_TABLE, if_exists=True)
    db.session.execute(drop)  # left behind on this connection by a report that failed half-way
    db.session.execute(CreateTable(ACTIVITY_TABLE))
    names = [c.name for c in ACTIVITY_TABLE.c]
    db.session.execute(insert(ACTIVITY_TABLE).from_select(names, select(*[rows.c[n] for n in names])))
    yield ACTIVITY_TABLE
    # Not in a `finally`: after an error PostgreSQL refuses any statement until the rollback, which
    # removes the table anyway (its DDL is transactional); on SQLite the next report drops it first.
    db.session.execute(drop)


def is_local(member):
    """A member in Knowsley: its town is one of the borough's, or its postcode district is."""
    return or_(member.town.in_(TOWNS), *[member.postcode.like(f"{district} %") for district in DISTRICTS])


# -- valuing grouped rows -----------------------------------------------------------------------

def _segment(day_column, breakpoints: list[date]):
    """Which span between rate changes a day falls in (0 before the first)."""
    if not breakpoints:
        return literal(0)
    return case(*[(day_column < literal(bp, Date), i) for i, bp in enumerate(breakpoints)], else_=len(breakpoints))


def _segment_day(segment: int, breakpoints: list[date]) -> date:
    return date.min if segment == 0 else breakpoints[segment - 1]


@dataclass
class RateUse:
    """A rate a report used: how much it valued and what that came to."""

    rate: object
    quantity: Decimal = ZERO
    value: Decimal = ZERO


@dataclass
class Valuation:
    """Low, central and high values of some help, what was left unvalued, and the rates used."""

    quantity: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    value: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    unvalued: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    rates: dict[int, RateUse] = field(default_factory=dict)

    def band_total(self, band: str, kinds=TIME_KINDS) -> Decimal:
        return sum((self.value[(band, k)] for k in kinds), ZERO)

    def unvalued_total(self, band: str, kinds=TIME_KINDS) -> Decimal:
        return sum((self.unvalued[(band, k)] for k in kinds), ZERO)

    def quantity_total(self, kinds=TIME_KINDS) -> Decimal:
        return sum((self.quantity[k] for k in kinds), ZERO)

    def add(self, book: RateBook, band: str, kind: str, category_id, day: date, quantity: Decimal) -> None:
        rate = book.find(band, kind, category_id, day)
        if rate is None or rate.value is None:
            self.unvalued[(band, kind)] += quantity
            if rate is not None:
                self.rates.setdefault(rate.id, RateUse(rate))
            return
        value = quantity * rate.value  # exact (2 + 2 decimal places): rounded only for display
        self.value[(band, kind)] += value
        use = self.rates.setdefault(rate.id, RateUse(rate))
        use.quantity += quantity
        use.value += value

    @property
    def rates_used(self) -> list[RateUse]:
        return sorted(self.rates.values(), key=lambda u: (u.rate.band, u.rate.kind or "", u.rate.name, u.rate.valid_from))


def value_groups(rows, book: RateBook, breakpoints: list[date], bands=BANDS) -> Valuation:
    """Value rows of (kind, category_id, segment, quantity), already summed in SQL."""
    valuation = Valuation()
    for kind, category_id, segment, quantity in rows:
        quantity = Decimal(str(quantity or 0)).quantize(CENT)
        valuation.quantity[kind] += quantity
        day = _segment_day(segment, breakpoints)
        for band in bands:
            valuation.add(book, band, kind, category_id, day, quantity)
    return valuation


def valuation(period: Period, *, where=None, book: RateBook | None = None, act=None) -> Valuation:
    """The value of the help in `period` (optionally filtered by `where(activity)`); `act` is
    the rows of `period` already built (a materialised table), if the caller has them."""
    book = book or RateBook.load()
    breakpoints = book.breakpoints()
    act = activity(period) if act is None else act
    segment = _segment(act.c.day, breakpoints).label("segment")
    query = (select(act.c.kind, act.c.category_id, segment, func.sum(act.c.quantity))
             .group_by(act.c.kind, act.c.category_id, segment))
    if where is not None:
        query = query.where(where(act))
    return value_groups(db.session.execute(query).all(), book, breakpoints)


# -- the sector dashboard -------------------------------------------------------------------------

def _dec(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass
class Dashboard:
    period: Period
    hours: Decimal
    credits: Decimal
    gift_hours: Decimal
    records: int
    exchanges_completed: int
    needs_met: int
    active_members: int
    by_kind: list[tuple[str, int, Decimal]]
    by_town: list[tuple[str, int, Decimal]]
    by_ward: list[tuple[str, int, Decimal]]
    by_month: list[tuple[str, int, Decimal]]
    value: Valuation
    top_givers: list[tuple[int, str, Decimal]] = field(default_factory=list)


def dashboard(period: Period, *, with_names: bool = False) -> Dashboard:
    with materialised_activity(period) as act:
        return _dashboard(act, period, with_names)


def _dashboard(act, period: Period, with_names: bool) -> Dashboard:
    """Four GROUP BYs over the materialised rows; each returns grouped rows only (a few hundred,
    or one per member), which Python adds up into the dashboard's tables.

    1. by kind, category and span between rate changes: the valuation;
    2. by month, kind and gift: totals, by kind and by month;
    3. by receiving member, joined to its town and ward: by town, by ward;
    4. by giving member: the top givers; with 3., the members that took part.
    """
    book = RateBook.load()
    breakpoints = book.breakpoints()
    time_only = act.c.kind.in_(TIME_KINDS)
    time_quantity = func.sum(case((time_only, act.c.quantity), else_=0))
    value = valuation(period, act=act, book=book)
    month = _month(act.c.day)
    records, hours, gift_hours = 0, ZERO, ZERO
    kinds: dict[str, list] = {}
    months: dict[str, list] = defaultdict(lambda: [0, ZERO])
    for month_key, kind, gift, count, quantity in db.session.execute(
            select(month, act.c.kind, act.c.is_gift, func.count(), func.sum(act.c.quantity))
            .group_by(month, act.c.kind, act.c.is_gift)):
        quantity = _dec(quantity)
        records += count
        kinds.setdefault(kind, [0, ZERO])
        kinds[kind][0] += count
        kinds[kind][1] += quantity
        months[month_key][0] += count
        if kind in TIME_KINDS:
            hours += quantity
            months[month_key][1] += quantity
            if gift:
                gift_hours += quantity

    by_receiver = (select(act.c.receiver_id.label("member_id"), func.count().label("records"),
                          time_quantity.label("hours")).group_by(act.c.receiver_id).subquery())
    towns: dict[str, list] = defaultdict(lambda: [0, ZERO])
    wards: dict[str, list] = defaultdict(lambda: [0, ZERO])
    taking_part = set()
    for member_id, town, ward, count, quantity in db.session.execute(
            select(by_receiver.c.member_id, Member.town, Member.ward, by_receiver.c.records, by_receiver.c.hours)
            .join(Member, Member.id == by_receiver.c.member_id)):
        taking_part.add(member_id)
        for places, key in ((towns, town), (wards, ward)):
            places[key or "Not given"][0] += count
            places[key or "Not given"][1] += _dec(quantity)

    by_giver = (select(act.c.giver_id.label("member_id"), time_quantity.label("hours"),
                       func.count(case((time_only, 1))).label("time_records"))
                .group_by(act.c.giver_id).subquery())
    givers = db.session.execute(
        select(by_giver.c.member_id, Member.name, by_giver.c.hours, by_giver.c.time_records)
        .join(Member, Member.id == by_giver.c.member_id)
        .order_by(by_giver.c.hours.desc(), Member.name)).all()
    taking_part.update(member_id for member_id, *_ in givers)
    needs_met = needs_met_in(act)
    completed = exchanges_completed_in(act, period)

    def ranked(places):
        return sorted(((key, n, q) for key, (n, q) in places.items()), key=lambda r: (-r[1], r[0]))

    result = Dashboard(
        period=period, hours=hours, credits=leg_credits(period), gift_hours=gift_hours,
        records=records, exchanges_completed=completed, needs_met=needs_met or 0, active_members=len(taking_part),
        by_kind=sorted(((k, n, q) for k, (n, q) in kinds.items()), key=lambda r: list(KIND_LABELS).index(r[0])),
        by_town=ranked(towns), by_ward=ranked(wards),
        by_month=[(m, n, q) for m, (n, q) in sorted(months.items())],
        value=value,
    )
    if with_names:
        result.top_givers = [(i, name, _dec(h)) for i, name, h, n in givers if n][:10]
    return result


def needs_met_in(act) -> int:
    """Needs answered by the help in `act`, counted as a member would count them.

    A need posted as a listing counts once, however many parts or bookings answered it. Help
    with no listing behind it (recorded by the members, arranged by a coordinator, a room booked or
    an item borrowed straight from its page) answered a need of its receiver all the same: it
    counts once per exchange and receiver, and each booking or loan of its own once.
    """
    no_listing = act.c.need_id.is_(None)
    keys = union(
        select(literal("need").label("what"), act.c.need_id.label("a"), literal(0).label("b"))
        .where(act.c.need_id.is_not(None)),
        select(literal("exchange"), act.c.exchange_id, act.c.receiver_id)
        .where(no_listing, act.c.exchange_id.is_not(None)),
        select(act.c.source, act.c.record_id, literal(0)).where(no_listing, act.c.exchange_id.is_(None)),
    ).subquery()
    return db.session.scalar(select(func.count()).select_from(keys)) or 0


def exchanges_completed_in(act, period: Period) -> int:
    """Exchanges completed in `period` with help among `act`'s records.

    An exchange completed with every part cancelled met no need, and help recorded outside the
    dates is not on this page: neither counts. So each exchange counted adds at least one need met
    (its need listings are its own), and the page never says "0 needs met" beside completed exchanges.
    """
    return db.session.scalar(
        select(func.count(distinct(act.c.exchange_id))).select_from(act)
        .join(Exchange, Exchange.id == act.c.exchange_id)
        .where(Exchange.status == "completed", *_window(Exchange.completed_at, period))) or 0


def leg_credits(period: Period, member_id: int | None = None) -> Decimal:
    """Time credits earned through confirmed legs in `period`: the ledger's own postings."""
    query = (select(func.sum(Posting.amount)).join(LedgerEntry, LedgerEntry.id == Posting.entry_id)
             .join(Leg, Leg.id == LedgerEntry.leg_id).join(Account, Account.id == Posting.account_id)
             .where(LedgerEntry.kind == "leg", Posting.amount > 0, Account.member_id == Leg.giver_member_id,
                    Leg.status == "confirmed", *_window(LedgerEntry.happened_on, period, is_date=True),
                    *_tagged(period)))
    if member_id is not None:
        query = query.where(Leg.giver_member_id == member_id)
    return _dec(db.session.scalar(query))
