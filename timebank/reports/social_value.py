"""A member's own figures: the business Social Value report and the organisation impact statement."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import aliased

from timebank.accounts.models import User
from timebank.extensions import db
from timebank.exchanges.models import Leg
from timebank.ledger import services as ledger
from timebank.members.models import Member
from timebank.reports.figures import (
    BANDS, IN_KIND, TIME_KINDS, VCSE_TYPES, ZERO, Period, Valuation, _dec, _segment, _segment_day, activity,
    is_local, leg_credits, value_groups,
)
from timebank.reports.rates import RateBook

# How each licensed measure counts the member's help: which kinds, to whom, and whether its
# quantity is hours or the in-kind value in GBP (valued first at the central market rate).
MEASURES = (
    ("NT15", "Expert business advice to VCSEs", ("skill",), "vcse", "hours"),
    ("NT16", "Equipment or resources donated to VCSEs", ("equipment",), "vcse", "gbp"),
    ("NT17", "Voluntary hours donated to VCSEs", ("time",), "vcse", "hours"),
    ("NT28", "In-kind contributions to community projects", IN_KIND, "community", "gbp"),
    ("NT29", "Hours volunteering on community projects", ("time",), "community", "hours"),
)


@dataclass
class Measure:
    code: str
    label: str
    unit: str
    quantity: Decimal = ZERO
    value: Decimal = ZERO
    slot_filled: bool = False
    unvalued_quantity: Decimal = ZERO
    rate_names: set = field(default_factory=set)

    @property
    def status(self) -> str:
        if not self.slot_filled:
            return f"{self.code}: no licensed value entered"
        return f"{self.code}: valued with the licensed rate entered by a coordinator"


@dataclass
class Line:
    """One record behind the figures (a leg, a booking or a loan), for the page and the CSV."""

    source: str
    record_id: int
    leg_id: int | None
    exchange_id: int | None
    day: date
    kind: str
    description: str
    giver: str
    receiver: str
    receiver_town: str
    local: bool
    quantity: Decimal
    is_gift: bool
    signed_off_by: str | None
    signed_off_on: date | None
    values: dict

    @property
    def sign_off(self) -> str:
        if self.signed_off_on is not None:
            return f"Signed off by {self.receiver} on {self.signed_off_on.day} {self.signed_off_on:%B %Y}"
        return {"booking": "Booking record (room used)", "loan": "Loan record (item went out)"}.get(
            self.source, "Not signed off")


@dataclass
class SocialValueReport:
    member: Member
    period: Period
    given: Valuation
    organisations_supported: int
    local_organisations: int
    local_hours: Decimal
    measures: list[Measure]
    lines: list[Line]
    signed_off: int
    credits_earned: Decimal

    @property
    def hours(self) -> Decimal:
        return self.given.quantity_total(TIME_KINDS)

    @property
    def local_share(self) -> int | None:
        return round(100 * self.local_hours / self.hours) if self.hours else None


def _as_day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def social_value(member: Member, period: Period) -> SocialValueReport:
    """What `member` gave in `period`: hours, advice, in kind, to whom, and what it is worth."""
    book = RateBook.load()
    breakpoints = book.breakpoints()
    act = activity(period)
    receiver = aliased(Member)
    segment = _segment(act.c.day, breakpoints).label("segment")
    vcse = receiver.type.in_(VCSE_TYPES).label("vcse")
    community = (receiver.type != "business").label("community")
    local = is_local(receiver)
    grouped = db.session.execute(
        select(act.c.kind, act.c.category_id, segment, vcse, community, func.sum(act.c.quantity))
        .join(receiver, receiver.id == act.c.receiver_id).where(act.c.giver_id == member.id)
        .group_by(act.c.kind, act.c.category_id, segment, vcse, community)).all()
    given = value_groups([(k, c, s, q) for k, c, s, _, _, q in grouped], book, breakpoints)
    counts = db.session.execute(
        select(func.count(distinct(act.c.receiver_id)),
               func.count(distinct(case((local, act.c.receiver_id)))),
               func.sum(case((and_(local, act.c.kind.in_(TIME_KINDS)), act.c.quantity), else_=0)))
        .join(receiver, receiver.id == act.c.receiver_id).where(act.c.giver_id == member.id)).one()
    measures = _measures(grouped, book, breakpoints)
    lines = _lines(act, member, book, giver=True)
    return SocialValueReport(
        member=member, period=period, given=given, organisations_supported=counts[0] or 0,
        local_organisations=counts[1] or 0, local_hours=_dec(counts[2]), measures=measures, lines=lines,
        signed_off=sum(1 for line in lines if line.signed_off_on is not None),
        credits_earned=leg_credits(period, member.id))


def _measures(grouped, book: RateBook, breakpoints) -> list[Measure]:
    result = []
    for code, label, kinds, to_whom, unit in MEASURES:
        measure = Measure(code, label, unit)
        for kind, category_id, segment, vcse, community, quantity in grouped:
            if kind not in kinds or not (vcse if to_whom == "vcse" else community):
                continue
            day = _segment_day(segment, breakpoints)
            quantity = Decimal(str(quantity))
            if unit == "gbp":
                market = book.find("central", kind, category_id, day)
                if market is None or market.value is None:
                    measure.unvalued_quantity += quantity
                    continue
                quantity = quantity * market.value
            measure.quantity += quantity
            slot = book.measure(code, day)
            if slot is not None and slot.value is not None:
                measure.slot_filled = True
                measure.value += quantity * slot.value
                measure.rate_names.add(slot.name)
        # A slot filled for other dates still counts as entered (its value here is then 0).
        measure.slot_filled = measure.slot_filled or any(
            r.measure_code == code and r.value is not None for r in book.rates)
        result.append(measure)
    return result


def _lines(act, member: Member | None, book: RateBook, *, giver: bool, limit: int | None = None) -> list[Line]:
    """The records behind a member's figures (every member's, if None), newest first, each valued
    at the rates of its day."""
    giver_m, receiver_m, confirmer = aliased(Member), aliased(Member), aliased(User)
    query = (select(act.c.source, act.c.record_id, act.c.leg_id, act.c.exchange_id, act.c.day, act.c.kind,
                    act.c.category_id, act.c.quantity, act.c.is_gift, giver_m.name, receiver_m.name,
                    receiver_m.town, is_local(receiver_m), Leg.description, Leg.confirmed_at, Leg.status)
             .join(giver_m, giver_m.id == act.c.giver_id).join(receiver_m, receiver_m.id == act.c.receiver_id)
             .outerjoin(Leg, Leg.id == act.c.leg_id).outerjoin(confirmer, confirmer.id == Leg.confirmed_by_id)
             .order_by(act.c.day.desc(), act.c.source, act.c.record_id.desc()))
    if member is not None:
        query = query.where((act.c.giver_id if giver else act.c.receiver_id) == member.id)
    if limit:
        query = query.limit(limit)
    lines = []
    for row in db.session.execute(query):
        day = _as_day(row.day)
        quantity = Decimal(str(row.quantity)).quantize(Decimal("0.01"))
        values = {}
        for band in BANDS:
            rate = book.find(band, row.kind, row.category_id, day)
            values[band] = (quantity * rate.value, rate) if rate is not None and rate.value is not None else (None, rate)
        descriptions = {"booking": "Room booking", "loan": "Equipment loan"}
        confirmed = row.confirmed_at if row.status == "confirmed" else None
        lines.append(Line(
            source=row.source, record_id=row.record_id, leg_id=row.leg_id, exchange_id=row.exchange_id, day=day,
            kind=row.kind, description=row.description or descriptions.get(row.source, ""), giver=row[9],
            receiver=row[10], receiver_town=row.town or "", local=bool(row[12]), quantity=quantity,
            is_gift=bool(row.is_gift), signed_off_by=row[10] if confirmed else None,
            signed_off_on=confirmed.date() if confirmed else None, values=values))
    return lines


# -- the organisation impact statement ---------------------------------------------------------------

@dataclass
class Partner:
    member_id: int
    name: str
    gave_to: Decimal
    received_from: Decimal
    records: int


@dataclass
class ImpactStatement:
    member: Member
    period: Period
    given: Valuation
    received: Valuation
    partners: list[Partner]
    balance: Decimal
    credits_earned: Decimal


def impact_statement(member: Member, period: Period) -> ImpactStatement:
    book = RateBook.load()
    from timebank.reports.figures import valuation

    given = valuation(period, where=lambda a: a.c.giver_id == member.id, book=book)
    received = valuation(period, where=lambda a: a.c.receiver_id == member.id, book=book)
    act = activity(period)
    other_id = case((act.c.giver_id == member.id, act.c.receiver_id), else_=act.c.giver_id).label("other_id")
    other = aliased(Member)
    rows = db.session.execute(
        select(other_id, other.name,
               func.sum(case((act.c.giver_id == member.id, act.c.quantity), else_=0)),
               func.sum(case((act.c.receiver_id == member.id, act.c.quantity), else_=0)), func.count())
        .join(other, other.id == other_id)
        .where((act.c.giver_id == member.id) | (act.c.receiver_id == member.id))
        .group_by(other_id, other.name).order_by(func.count().desc(), other.name)).all()
    partners = [Partner(i, name, _dec(g), _dec(r), n) for i, name, g, r, n in rows]
    return ImpactStatement(member=member, period=period, given=given, received=received, partners=partners,
                           balance=ledger.balance(member), credits_earned=leg_credits(period, member.id))


def member_lines(member: Member, period: Period) -> list[Line]:
    """Every record the member gave or received in `period` (for its CSV)."""
    book = RateBook.load()
    act = activity(period)
    return _lines(act, member, book, giver=True) + _lines(act, member, book, giver=False)


def sector_lines(period: Period, limit: int | None) -> list[Line]:
    """The newest `limit` records of the whole exchange in `period` (a sector report's appendix;
    every record, for its CSV, when `limit` is None)."""
    return _lines(activity(period), None, RateBook.load(), giver=True, limit=limit)
