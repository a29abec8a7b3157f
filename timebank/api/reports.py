"""Reports: the sector summary, from the same figures as the public impact dashboard (no member names),
and a member's own Social Value report and impact statement, from the same figures as its report pages."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import marshmallow as ma

from timebank import amounts
from timebank.api.core import Day, actor, blueprint
from timebank.api.document import problems
from timebank.members.access import load_member
from timebank.errors import InvalidInput
from timebank.reports import exports, figures
from timebank.reports.social_value import impact_statement, social_value

bp = blueprint("reports", "The sector's figures, recorded through the exchange", tag="Reports")


class PeriodArgs(ma.Schema):
    start = Day(data_key="from", metadata={"description": "First day counted (default: all time)"})
    end = Day(data_key="to", metadata={"description": "Last day counted"})


def period(args: dict) -> figures.Period:
    """The period a report covers; an end before the start breaks a rule the document cannot state (422)."""
    if args.get("start") and args.get("end") and args["end"] < args["start"]:
        raise InvalidInput("The end date must be on or after the start date", field="to")
    return figures.Period(args.get("start"), args.get("end"))


class CountSchema(ma.Schema):
    name = ma.fields.String(required=True)
    records = ma.fields.Integer(required=True)
    quantity = ma.fields.Float(required=True, metadata={
        "description": "By kind: in `unit`. By town and by month: person-hours of time and skills"})
    unit = ma.fields.String(required=True, metadata={
        "enum": sorted(set(amounts.UNITS.values())),
        "description": "person-hours (hours each x people), hours of room use or days of loan"})


class ValueSchema(ma.Schema):
    low = ma.fields.Float(required=True)
    central = ma.fields.Float(required=True)
    high = ma.fields.Float(required=True)


class RateUsedSchema(ma.Schema):
    """A valuation rate (one version of it) that a report used, with its source."""

    rate_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "A change of rate is a new version from a date"})
    valid_from = ma.fields.Date(required=True)
    valid_to = ma.fields.Date(allow_none=True, required=True)
    band = ma.fields.String(required=True, metadata={"enum": ["low", "central", "high", "licensed"]})
    values = ma.fields.String(required=True, metadata={"description": "What it values: a kind of help or a category"})
    value = ma.fields.Float(allow_none=True, required=True, metadata={"description": "GBP per unit; null: no rate set"})
    unit = ma.fields.String(required=True)
    source = ma.fields.String(required=True)
    source_url = ma.fields.String(allow_none=True, required=True)
    licence = ma.fields.String(required=True)
    quantity_valued = ma.fields.Float(required=True, metadata={"description": "How much help it valued"})


def rates_used(valuation: figures.Valuation) -> list[dict]:
    return [{"rate_id": use.rate.id, "name": use.rate.name, "version": use.rate.version,
             "valid_from": use.rate.valid_from, "valid_to": use.rate.valid_to, "band": use.rate.band,
             "values": use.rate.scope_label, "value": use.rate.value, "unit": use.rate.unit,
             "source": use.rate.source, "source_url": use.rate.source_url, "licence": use.rate.licence,
             "quantity_valued": use.quantity} for use in valuation.rates_used]


class SectorSummarySchema(ma.Schema):
    period = ma.fields.String(required=True, metadata={"description": "In words, like \u201call time\u201d"})
    person_hours = ma.fields.Float(required=True, metadata={
        "description": "Person-hours (hours each x people) of time and skills given"})
    credits = ma.fields.Float(required=True, metadata={
        "description": "Time credits earned through exchanges: one per person-hour, none for gifts"})
    gift_person_hours = ma.fields.Float(required=True, metadata={
        "description": "Of `person_hours`, those given as gifts (they move no credits)"})
    records = ma.fields.Integer(required=True, metadata={"description": "Records of help"})
    exchanges_completed = ma.fields.Integer(required=True)
    needs_met = ma.fields.Integer(required=True)
    active_members = ma.fields.Integer(required=True)
    time_value = ma.fields.Nested(ValueSchema, required=True, metadata={
        "description": "Replacement-cost value of the time and skills (GBP), low, central and high"})
    by_kind = ma.fields.List(ma.fields.Nested(CountSchema), required=True)
    by_town = ma.fields.List(ma.fields.Nested(CountSchema), required=True)
    by_month = ma.fields.List(ma.fields.Nested(CountSchema), required=True)
    rates_used = ma.fields.List(ma.fields.Nested(RateUsedSchema), required=True, metadata={
        "description": "The valuation rates (and which version of each) behind the values"})


@bp.route("/reports/sector-summary")
@bp.arguments(PeriodArgs, location="query")
@bp.response(200, SectorSummarySchema)
@problems(422)
def get_sector_summary(args):
    """The sector summary: what was exchanged, where and when, and its value (as on the impact page)"""
    board = figures.dashboard(period(args))
    def rows(found, unit=None):
        return [{"name": name, "records": n, "quantity": q, "unit": unit or amounts.UNITS[name]} for name, n, q in found]

    return {
        "period": board.period.label, "person_hours": board.hours, "credits": board.credits,
        "gift_person_hours": board.gift_hours,
        "records": board.records, "exchanges_completed": board.exchanges_completed, "needs_met": board.needs_met,
        "active_members": board.active_members,
        "time_value": {band: board.value.band_total(band) for band in figures.BANDS},
        "by_kind": rows(board.by_kind), "by_town": rows(board.by_town, "person-hours"),
        "by_month": rows(board.by_month, "person-hours"),
        "rates_used": rates_used(board.value),
    }


# -- a member's own reports (its people and coordinators) -------------------------------------------

class BandsSchema(ma.Schema):
    low = ma.fields.Float(required=True)
    central = ma.fields.Float(required=True)
    high = ma.fields.Float(required=True)


class KindValueSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"enum": list(amounts.UNITS)})
    quantity = ma.fields.Float(required=True)
    unit = ma.fields.String(required=True, metadata={"enum": sorted(set(amounts.UNITS.values()))})
    value = ma.fields.Nested(BandsSchema, required=True, metadata={"description": "GBP, at the rates of each day"})
    unvalued = ma.fields.Nested(BandsSchema, required=True, metadata={
        "description": "The quantity no rate valued (no rate set for that kind or category on that day)"})


class MeasureSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "The licensed measure, like NT17"})
    label = ma.fields.String(required=True)
    unit = ma.fields.String(required=True, metadata={"enum": ["hours", "gbp"]})
    quantity = ma.fields.Float(required=True)
    value = ma.fields.Float(required=True, metadata={"description": "GBP, with the licensed rate a coordinator entered"})
    valued = ma.fields.Boolean(required=True, attribute="slot_filled",
                               metadata={"description": "False: no licensed value entered, so value is 0"})


class ReportLineSchema(ma.Schema):
    record = ma.fields.String(required=True, attribute="source", metadata={"description": "leg, booking or loan"})
    record_id = ma.fields.Integer(required=True)
    exchange_id = ma.fields.Integer(allow_none=True, required=True)
    leg_id = ma.fields.Integer(allow_none=True, required=True)
    day = ma.fields.Date(required=True, metadata={"description": "The day it happened"})
    kind = ma.fields.String(required=True, metadata={"enum": list(amounts.UNITS)})
    description = ma.fields.String(allow_none=True, required=True)
    giver = ma.fields.String(required=True)
    receiver = ma.fields.String(required=True)
    receiver_town = ma.fields.String(allow_none=True, required=True)
    local = ma.fields.Boolean(required=True, metadata={"description": "The receiver is in Knowsley"})
    quantity = ma.fields.Float(required=True)
    gift = ma.fields.Boolean(required=True, attribute="is_gift")
    sign_off = ma.fields.String(required=True, metadata={"description": "Who confirmed it, and when"})
    value = ma.fields.Function(lambda line: {band: None if line.values[band][0] is None else float(line.values[band][0])
                                             for band in figures.BANDS}, required=True,
                               metadata={"type": "object", "description": "GBP per band; null where no rate was valid",
                                         "properties": {band: {"type": ["number", "null"]} for band in figures.BANDS},
                                         "required": list(figures.BANDS)})


class SocialValueSchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    period = ma.fields.String(required=True, metadata={"description": "In words, like \u201call time\u201d"})
    person_hours = ma.fields.Float(required=True, metadata={"description": "Of time and skills given"})
    credits_earned = ma.fields.Float(required=True)
    organisations_supported = ma.fields.Integer(required=True)
    local_organisations = ma.fields.Integer(required=True)
    local_person_hours = ma.fields.Float(required=True)
    local_share = ma.fields.Integer(allow_none=True, required=True, metadata={
        "description": "Percent of the person-hours given in Knowsley; null when none were given"})
    records_signed_off = ma.fields.Integer(required=True)
    given = ma.fields.List(ma.fields.Nested(KindValueSchema), required=True)
    measures = ma.fields.List(ma.fields.Nested(MeasureSchema), required=True)
    rates_used = ma.fields.List(ma.fields.Nested(RateUsedSchema), required=True)
    lines = ma.fields.List(ma.fields.Nested(ReportLineSchema), required=True, metadata={
        "description": "The records behind the figures, newest first (the report's CSV)"})


class PartnerSchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    gave_to = ma.fields.Float(required=True, metadata={"description": "Person-hours your member gave it"})
    received_from = ma.fields.Float(required=True, metadata={"description": "Person-hours your member received"})
    records = ma.fields.Integer(required=True)


class ImpactStatementSchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    period = ma.fields.String(required=True)
    given = ma.fields.List(ma.fields.Nested(KindValueSchema), required=True)
    received = ma.fields.List(ma.fields.Nested(KindValueSchema), required=True)
    partners = ma.fields.List(ma.fields.Nested(PartnerSchema), required=True)
    balance = ma.fields.Float(required=True, metadata={"description": "Time credits now"})
    credits_earned = ma.fields.Float(required=True, metadata={"description": "In the period"})
    rates_used = ma.fields.List(ma.fields.Nested(RateUsedSchema), required=True)


def _by_kind(valuation: figures.Valuation) -> list[dict]:
    return [{"kind": kind, "quantity": valuation.quantity[kind], "unit": unit,
             "value": {band: valuation.value[(band, kind)] for band in figures.BANDS},
             "unvalued": {band: valuation.unvalued[(band, kind)] for band in figures.BANDS}}
            for kind, unit in amounts.UNITS.items()]


@bp.route("/members/<id:member_id>/social-value")
@bp.arguments(PeriodArgs, location="query")
@bp.response(200, SocialValueSchema)
@problems(404, 422)
def get_social_value(args, member_id: int):
    """Your member's Social Value report: what it gave, to whom, valued with sourced rates (as its report page)"""
    member = load_member(member_id, actor(), need="act")
    report = social_value(member, period(args))
    return {"member_id": member.id, "period": report.period.label, "person_hours": report.hours,
            "credits_earned": report.credits_earned, "organisations_supported": report.organisations_supported,
            "local_organisations": report.local_organisations, "local_person_hours": report.local_hours,
            "local_share": report.local_share, "records_signed_off": report.signed_off,
            "given": _by_kind(report.given), "measures": report.measures, "rates_used": rates_used(report.given),
            "lines": report.lines}


@bp.route("/members/<id:member_id>/impact")
@bp.arguments(PeriodArgs, location="query")
@bp.response(200, ImpactStatementSchema)
@problems(404, 422)
def get_impact_statement(args, member_id: int):
    """Your member's impact statement: given and received, its partners and its balance (as its impact page)"""
    member = load_member(member_id, actor(), need="act")
    statement = impact_statement(member, period(args))
    used: dict[int, dict] = {}
    for use in rates_used(statement.given) + rates_used(statement.received):  # a rate may value both sides
        if use["rate_id"] in used:
            used[use["rate_id"]]["quantity_valued"] += use["quantity_valued"]
        else:
            used[use["rate_id"]] = use
    return {"member_id": member.id, "period": statement.period.label, "given": _by_kind(statement.given),
            "received": _by_kind(statement.received), "partners": statement.partners, "balance": statement.balance,
            "credits_earned": statement.credits_earned, "rates_used": list(used.values())}


# -- a member's data, as its CSV downloads ----------------------------------------------------------

CELL = {"type": ["string", "number", "boolean", "null"]}


def _cell(value):
    """A CSV download's cell as JSON: numbers stay numbers, days and times are ISO 8601 text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class ExportSchema(ma.Schema):
    dataset = ma.fields.String(required=True, metadata={"enum": list(exports.MEMBER_DATASETS)})
    title = ma.fields.String(required=True)
    columns = ma.fields.List(ma.fields.String(), required=True)
    rows = ma.fields.List(ma.fields.List(ma.fields.Raw(metadata=CELL)), required=True, metadata={
        "description": "Each row's cells, in the order of `columns` (the CSV download's rows)"})


@bp.route(f"/members/<id:member_id>/exports/<any({', '.join(exports.MEMBER_DATASETS)}):dataset>")
@bp.response(200, ExportSchema)
@problems(404)
def export_member_data(member_id: int, dataset: str):
    """Your member's records of one kind, as its CSV downloads on the website have them"""
    member = load_member(member_id, actor(), need="act")
    found = exports.DATASETS[dataset]
    return {"dataset": dataset, "title": found.title, "columns": found.headers,
            "rows": [[_cell(cell) for cell in row] for row in exports.rows(dataset, member.id)]}
