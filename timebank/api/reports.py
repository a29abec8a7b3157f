"""Reports: the sector summary, from the same figures as the public impact dashboard (no member names)."""
from __future__ import annotations

import marshmallow as ma

from timebank import amounts
from timebank.api.core import Day, blueprint
from timebank.api.document import problems
from timebank.errors import InvalidInput
from timebank.reports import figures

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
