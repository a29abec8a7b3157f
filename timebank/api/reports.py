"""Reports: the sector summary, from the same figures as the public impact dashboard (no member names)."""
from __future__ import annotations

import marshmallow as ma

from timebank.api.core import (Day, blueprint, problems)
from timebank.reports import figures

bp = blueprint("reports", "The sector's figures, recorded through the exchange")


class PeriodArgs(ma.Schema):
    start = Day(data_key="from", metadata={"description": "First day counted (default: all time)"})
    end = Day(data_key="to", metadata={"description": "Last day counted"})

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ma.ValidationError("The end date must be on or after the start date", field_name="to")


class CountSchema(ma.Schema):
    name = ma.fields.String(required=True)
    records = ma.fields.Integer(required=True)
    quantity = ma.fields.Float(required=True, metadata={"description": "Hours (days for equipment loans)"})


class ValueSchema(ma.Schema):
    low = ma.fields.Float(required=True)
    central = ma.fields.Float(required=True)
    high = ma.fields.Float(required=True)


class SectorSummarySchema(ma.Schema):
    period = ma.fields.String(required=True, metadata={"description": "In words, like \u201call time\u201d"})
    hours = ma.fields.Float(required=True, metadata={"description": "Hours of time and skills given"})
    credits = ma.fields.Float(required=True, metadata={"description": "Time credits earned through exchanges"})
    gift_hours = ma.fields.Float(required=True)
    records = ma.fields.Integer(required=True, metadata={"description": "Records of help"})
    exchanges_completed = ma.fields.Integer(required=True)
    needs_met = ma.fields.Integer(required=True)
    active_members = ma.fields.Integer(required=True)
    time_value = ma.fields.Nested(ValueSchema, required=True, metadata={
        "description": "Replacement-cost value of the time and skills (GBP), low, central and high"})
    by_kind = ma.fields.List(ma.fields.Nested(CountSchema), required=True)
    by_town = ma.fields.List(ma.fields.Nested(CountSchema), required=True)
    by_month = ma.fields.List(ma.fields.Nested(CountSchema), required=True)


@bp.route("/reports/sector-summary")
@bp.arguments(PeriodArgs, location="query")
@bp.response(200, SectorSummarySchema)
@problems(422)
def sector_summary(args):
    """The sector summary: what was exchanged, where and when, and its value (as on the impact page)"""
    board = figures.dashboard(figures.Period(args.get("start"), args.get("end")))
    rows = lambda found: [{"name": name, "records": n, "quantity": q} for name, n, q in found]  # noqa: E731
    return {
        "period": board.period.label, "hours": board.hours, "credits": board.credits, "gift_hours": board.gift_hours,
        "records": board.records, "exchanges_completed": board.exchanges_completed, "needs_met": board.needs_met,
        "active_members": board.active_members,
        "time_value": {band: board.value.band_total(band) for band in figures.BANDS},
        "by_kind": rows(board.by_kind), "by_town": rows(board.by_town), "by_month": rows(board.by_month),
    }
