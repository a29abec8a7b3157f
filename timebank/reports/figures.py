"""What was exchanged, counted and valued in SQL: the figures behind every report.

All help recorded through the exchange is one set of rows (`activity`), built with UNION ALL from
three records:

- confirmed legs: time (person-hours: actual hours x people), skills (expert-advice hours,
  hours x people, as the ledger counts them), and rooms and equipment that have no booking or
  loan of their own (hours or days as confirmed);
- bookings of rooms that happened (not cancelled, ended): hours of room use;
- loans of equipment that went out (out or returned): days of loan.

Each row has the day it counts on (a leg's confirmation day; a booking's or loan's first day),
and the rate valid on that day values it. Reports group these rows in SQL; Python only touches
the grouped rows (a few per kind, category and span of dates between rate changes).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Date, and_, case, cast, distinct, exists, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased

from timebank.bookings.models import Booking, Loan
from timebank.db import utcnow
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
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
KIND_UNITS = {"time": "person-hours", "skill": "hours", "room": "hours of room use", "equipment": "days of loan"}
# Voluntary, community and social enterprise members (TOMs "VCSEs").
VCSE_TYPES = ("charity", "cio", "community_group", "cic", "faith_group")
USED_BOOKING_STATUSES = ("confirmed", "completed")
USED_LOAN_STATUSES = ("out", "returned")


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included; None means no bound."""

    start: date | None = None
    end: date | None = None

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
    return func.strftime("%Y-%m", day_column) if _sqlite() else func.to_char(day_column, "YYYY-MM")


# -- the rows -------------------------------------------------------------------------------------

def _window(column, period: Period, *, is_date: bool = False) -> list:
    conditions = []
    if period.start:
        conditions.append(column >= (period.start if is_date else period.after()))
    if period.end:
        conditions.append(column <= period.end if is_date else column < period.before())
    return conditions


def activity(period: Period, now: datetime | None = None):
    """Every piece of help recorded in `period`, one row each (a subquery)."""
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
               Leg.category_id.label("category_id"), _day(Leg.confirmed_at).label("day"),
               case((Leg.kind.in_(TIME_KINDS), amount * people), else_=amount).label("quantity"),
               case((Leg.kind.in_(TIME_KINDS), people), else_=literal(1)).label("people"),
               Leg.is_gift.label("is_gift"), Leg.need_listing_id.label("need_id"))
        .where(Leg.status == "confirmed", Leg.confirmed_at.is_not(None),
               or_(Leg.kind.in_(TIME_KINDS), and_(Leg.kind == "room", ~has_booking),
                   and_(Leg.kind == "equipment", ~has_loan)),
               *_window(Leg.confirmed_at, period)))
    bookings = (
        select(literal("booking"), Booking.id, Booking.leg_id, Leg.exchange_id, Asset.member_id,
               Booking.member_id, literal("room"), Leg.category_id, _day(Booking.starts_at),
               _hours_between(Booking.starts_at, Booking.ends_at), literal(1),
               func.coalesce(Leg.is_gift, False), Leg.need_listing_id)
        .join(Asset, Asset.id == Booking.asset_id).outerjoin(Leg, Leg.id == Booking.leg_id)
        .where(used_booking, *_window(Booking.starts_at, period)))
    loans = (
        select(literal("loan"), Loan.id, Loan.leg_id, Leg.exchange_id, Asset.member_id, Loan.member_id,
               literal("equipment"), Leg.category_id, Loan.starts_on, _days_inclusive(Loan.starts_on, Loan.due_on),
               literal(1), func.coalesce(Leg.is_gift, False), Leg.need_listing_id)
        .join(Asset, Asset.id == Loan.asset_id).outerjoin(Leg, Leg.id == Loan.leg_id)
        .where(used_loan, *_window(Loan.starts_on, period, is_date=True)))
    return union_all(legs, bookings, loans).subquery("activity")


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


def valuation(period: Period, *, where=None, book: RateBook | None = None) -> Valuation:
    """The value of the help in `period` (optionally filtered by `where(activity)`)."""
    book = book or RateBook.load()
    breakpoints = book.breakpoints()
    act = activity(period)
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
    act = activity(period)
    time_only = act.c.kind.in_(TIME_KINDS)
    totals = db.session.execute(select(
        func.count(),
        func.sum(case((time_only, act.c.quantity), else_=0)),
        func.sum(case((and_(time_only, act.c.is_gift), act.c.quantity), else_=0)),
        func.count(distinct(act.c.need_id)),
    ).select_from(act)).one()
    members = union_all(select(act.c.giver_id.label("member_id")), select(act.c.receiver_id)).subquery()
    active = db.session.scalar(select(func.count(distinct(members.c.member_id))))
    by_kind = db.session.execute(select(act.c.kind, func.count(), func.sum(act.c.quantity))
                                 .group_by(act.c.kind)).all()
    receiver = aliased(Member)

    def place(column):
        # One expression object, so PostgreSQL sees the same GROUP BY key in the select list.
        key = func.coalesce(column, literal_column("'Not given'")).label("place")
        return db.session.execute(
            select(key, func.count(), func.sum(case((time_only, act.c.quantity), else_=0)))
            .join(receiver, receiver.id == act.c.receiver_id)
            .group_by(key).order_by(func.count().desc(), key)).all()

    month = _month(act.c.day)
    by_month = db.session.execute(select(month, func.count(), func.sum(case((time_only, act.c.quantity), else_=0)))
                                  .group_by(month).order_by(month)).all()
    completed = db.session.scalar(select(func.count()).select_from(Exchange).where(
        Exchange.status == "completed", *_window(Exchange.completed_at, period)))
    result = Dashboard(
        period=period, hours=_dec(totals[1]), credits=leg_credits(period), gift_hours=_dec(totals[2]),
        records=totals[0], exchanges_completed=completed, needs_met=totals[3], active_members=active or 0,
        by_kind=sorted(((k, n, _dec(q)) for k, n, q in by_kind), key=lambda r: list(KIND_LABELS).index(r[0])),
        by_town=[(t, n, _dec(h)) for t, n, h in place(receiver.town)],
        by_ward=[(w, n, _dec(h)) for w, n, h in place(receiver.ward)],
        by_month=[(m, n, _dec(h)) for m, n, h in by_month],
        value=valuation(period),
    )
    if with_names:
        giver = aliased(Member)
        result.top_givers = [(i, name, _dec(h)) for i, name, h in db.session.execute(
            select(giver.id, giver.name, func.sum(act.c.quantity)).join(giver, giver.id == act.c.giver_id)
            .where(time_only).group_by(giver.id, giver.name).order_by(func.sum(act.c.quantity).desc(), giver.name)
            .limit(10))]
    return result


def leg_credits(period: Period, member_id: int | None = None) -> Decimal:
    """Time credits earned through confirmed legs in `period`: the ledger's own postings."""
    query = (select(func.sum(Posting.amount)).join(LedgerEntry, LedgerEntry.id == Posting.entry_id)
             .join(Leg, Leg.id == LedgerEntry.leg_id).join(Account, Account.id == Posting.account_id)
             .where(LedgerEntry.kind == "leg", Posting.amount > 0, Account.member_id == Leg.giver_member_id,
                    *_window(Leg.confirmed_at, period)))
    if member_id is not None:
        query = query.where(Leg.giver_member_id == member_id)
    return _dec(db.session.scalar(query))
