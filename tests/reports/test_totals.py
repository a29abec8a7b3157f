"""Every total on the reports equals the sums worked out independently from the legs, the ledger's
postings and the booking and loan records (on SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

RATES = {  # (band, day) -> GBP per hour for time and skills, from shared/data/knowsley.md
    "low": lambda d: Decimal("12.21") if date(2025, 4, 1) <= d <= date(2026, 3, 31) else (
        Decimal("12.71") if d >= date(2026, 4, 1) else None),
    "central": lambda d: Decimal("13.45") if d >= date(2025, 4, 1) else None,
    "high": lambda d: Decimal("20.44") if d >= date(2025, 4, 1) else None,
}


def _expected_value(legs, band):
    total, unvalued = Decimal(0), Decimal(0)
    for leg in legs:
        rate = RATES[band](leg["day"])
        if rate is None:
            unvalued += leg["quantity"]
        else:
            total += leg["quantity"] * rate
    return total, unvalued


def test_dashboard_totals_equal_the_records(app, history):
    from timebank.extensions import db
    from timebank.ledger.models import LedgerEntry, Posting
    from timebank.reports.figures import Period, dashboard

    with app.test_request_context():
        board = dashboard(Period(), with_names=True)
        time_legs = [leg for leg in history.legs if leg["kind"] in ("time", "skill")]
        assert board.hours == sum(leg["quantity"] for leg in time_legs)
        # The credits are the ledger's own: the positive postings of leg entries.
        posted = db.session.scalar(select(func.sum(Posting.amount)).join(LedgerEntry)
                                   .where(LedgerEntry.kind == "leg", Posting.amount > 0))
        assert board.credits == Decimal(posted)
        assert board.credits == sum(leg["quantity"] for leg in time_legs if not leg["gift"])
        assert board.gift_hours == sum(leg["quantity"] for leg in time_legs if leg["gift"])
        room_hours = sum(leg["quantity"] for leg in history.legs if leg["kind"] == "room")
        room_hours += sum(b["hours"] for b in history.bookings)
        assert board.value.quantity["room"] == room_hours
        equipment_days = sum(leg["quantity"] for leg in history.legs if leg["kind"] == "equipment")
        equipment_days += sum(loan["days"] for loan in history.loans)
        assert board.value.quantity["equipment"] == equipment_days
        assert board.records == len(history.legs) + len(history.bookings) + len(history.loans)
        assert sum(n for _, n, _ in board.by_kind) == board.records
        assert sum(n for _, n, _ in board.by_town) == board.records
        assert sum(n for _, n, _ in board.by_ward) == board.records
        assert sum(n for _, n, _ in board.by_month) == board.records
        assert sum(h for _, _, h in board.by_month) == board.hours
        assert sum(h for _, _, h in board.by_town) == board.hours
        for band in ("low", "central", "high"):
            value, unvalued = _expected_value(time_legs, band)
            assert board.value.band_total(band) == value, band
            assert board.value.unvalued_total(band) == unvalued, band
        # No market rate is shipped for rooms or equipment: all of it is "not valued".
        assert board.value.band_total("central", ("room", "equipment")) == 0
        assert board.value.unvalued_total("central", ("room", "equipment")) == room_hours + equipment_days


def test_a_date_range_counts_only_its_days(app, history):
    from timebank.reports.figures import Period, dashboard

    period = Period(date(2025, 4, 1), date(2025, 12, 31))
    with app.test_request_context():
        board = dashboard(period)
    inside = [leg for leg in history.legs if period.start <= leg["day"] <= period.end]
    assert board.hours == sum(leg["quantity"] for leg in inside if leg["kind"] in ("time", "skill"))
    assert board.value.quantity["equipment"] == (
        sum(leg["quantity"] for leg in inside if leg["kind"] == "equipment")
        + sum(loan["days"] for loan in history.loans if period.start <= loan["day"] <= period.end))


def test_a_rate_change_values_each_day_at_its_own_rate(app, history):
    """A coordinator's room rate from 1 July 2025 values only the room use on or after that day."""
    from timebank.accounts.models import User
    from timebank.errors import Conflict
    from timebank.extensions import db
    from timebank.reports import rates
    from timebank.reports.figures import Period, dashboard

    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == history.coordinator))
        # The shipped empty room slot has no end: an overlapping rate is refused until it is ended.
        with pytest.raises(Conflict, match="already applies"):
            rates.add_rate(coordinator, name="Community hall hire, Knowsley", kind="room", unit="hour", band="central",
                           value="25.00", valid_from=date(2025, 7, 1), valid_to=None, region="Knowsley",
                           source="Hall hire price list", source_url="https://example.org/prices", licence="", note="",
                           category_id=None, measure_code=None)
        slot = db.session.scalar(select(rates.ValuationRate).where(rates.ValuationRate.kind == "room",
                                                                   rates.ValuationRate.band == "central"))
        rates.end_rate(slot, coordinator, date(2025, 6, 30))
        rates.add_rate(coordinator, name="Community hall hire, Knowsley", kind="room", unit="hour", band="central",
                       value="25.00", valid_from=date(2025, 7, 1), valid_to=None, region="Knowsley",
                       source="Hall hire price list", source_url="https://example.org/prices", licence="", note="",
                       category_id=None, measure_code=None)
        board = dashboard(Period())
    rooms = [(leg["day"], leg["quantity"]) for leg in history.legs if leg["kind"] == "room"]
    rooms += [(b["day"], b["hours"]) for b in history.bookings]
    assert board.value.value[("central", "room")] == sum(q * 25 for d, q in rooms if d >= date(2025, 7, 1))
    assert board.value.unvalued[("central", "room")] == sum(q for d, q in rooms if d < date(2025, 7, 1))
