"""Rates are evidence: a rate with a value has a source, and a change is a new version from a date,
so a report on earlier days keeps the value it had and names the version it used."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from timebank.reports.models import ValuationRate

ROOM_RATE = dict(name="Community hall hire, Knowsley", kind="room", unit="hour", band="central", value="25.00",
                 valid_from=date(2025, 4, 1), valid_to=None, region="Knowsley", source="Hall hire price list",
                 source_url="https://example.org/prices", licence="", note="", category_id=None, measure_code=None)


def _coordinator(history):
    from timebank.accounts.models import User
    from timebank.extensions import db

    return db.session.scalar(select(User).where(User.email == history.coordinator))


def _room_rows(history):
    rooms = [(leg["day"], leg["quantity"]) for leg in history.legs if leg["kind"] == "room"]
    return rooms + [(b["day"], b["hours"]) for b in history.bookings]


def _count():
    from timebank.extensions import db

    return db.session.scalar(select(func.count()).select_from(ValuationRate))


def test_a_rate_with_a_value_needs_a_source_on_the_page_and_in_the_service(app, client, auth, history):
    from timebank.errors import DomainError
    from timebank.reports import rates

    auth.login(history.coordinator)
    with app.app_context():
        before = _count()
    response = client.post("/coordinator/rates/new", data={
        "name": "Skilled help, Knowsley", "band": "central", "kind": "", "category_id": history_category(app),
        "value": "30.00", "unit": "hour", "measure_code": "", "valid_from": "2026-01-01", "region": "Knowsley",
        "source": "  ", "source_url": "", "licence": "", "note": ""})
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Enter the source of the rate" in page
    assert 'value="Skilled help, Knowsley"' in page  # what was typed is kept
    with app.test_request_context():
        assert _count() == before
        with pytest.raises(DomainError, match="Enter the source") as refused:
            rates.add_rate(_coordinator(history), **{**ROOM_RATE, "source": ""})
        assert refused.value.field == "source"
        # An empty slot (no value) is not a rate yet: it needs no source.
        slot = rates.add_rate(_coordinator(history), **{**ROOM_RATE, "kind": None, "unit": "hour",
                                                        "category_id": history_category(app), "value": None,
                                                        "source": ""})
        assert slot.value is None


def history_category(app):
    from timebank.extensions import db
    from timebank.listings.models import Category

    with app.app_context():
        return db.session.scalar(select(Category.id).where(Category.slug == "payroll"))


def test_a_new_version_keeps_earlier_reports_and_each_report_names_its_version(app, client, auth, history):
    from timebank.extensions import db
    from timebank.reports import rates
    from timebank.reports.figures import Period, dashboard

    change = date(2026, 1, 1)
    with app.test_request_context():
        coordinator = _coordinator(history)
        slot = db.session.scalar(select(ValuationRate).where(ValuationRate.kind == "room",
                                                             ValuationRate.band == "central"))
        # The shipped empty slot is filled in from its first day (no report ever used it) ...
        first = rates.new_version(slot, coordinator, **{k: ROOM_RATE[k] for k in rates.VERSION_FIELDS})
        assert (first.id, first.version, first.value) == (slot.id, 1, Decimal("25.00"))
        db.session.commit()
        before = Period(date(2025, 4, 1), change - timedelta(days=1))
        old_report = dashboard(before).value.value[("central", "room")]
        # ... and then changed from a date: a new version.
        second = rates.new_version(first, coordinator, name=first.name, value="40.00", valid_from=change,
                                   valid_to=None, region="Knowsley", source="Hall hire price list 2026",
                                   source_url="https://example.org/prices-2026", licence="", note="")
        db.session.commit()
        first_id, second_id = first.id, second.id
        assert (second.version, second.series_id, first.valid_to) == (2, first.id, date(2025, 12, 31))
        # The report on days before the change is exactly what it was.
        assert dashboard(before).value.value[("central", "room")] == old_report
        board = dashboard(Period())
    rooms = _room_rows(history)
    assert old_report == sum(q * 25 for d, q in rooms if date(2025, 4, 1) <= d < change)
    assert board.value.value[("central", "room")] == (sum(q * 25 for d, q in rooms if date(2025, 4, 1) <= d < change)
                                                      + sum(q * 40 for d, q in rooms if d >= change))
    assert {u.rate.id for u in board.value.rates_used if u.rate.kind == "room"} == {first_id, second_id}
    auth.login(history.coordinator)
    page = client.get("/coordinator/impact?from=2025-04-01&to=2025-12-31").get_data(as_text=True)
    assert "Community hall hire, Knowsley (Rooms), version 1, from 1 April 2025" in page
    assert "version 2" not in page
    page = client.get("/coordinator/impact").get_data(as_text=True)
    assert "version 2, from 1 January 2026" in page
    listing = client.get("/coordinator/rates").get_data(as_text=True)
    assert "Replaced by a later version" in listing


def test_a_version_must_start_after_the_one_it_follows_and_only_the_newest_changes(app, client, auth, history):
    from timebank.errors import Conflict, DomainError
    from timebank.extensions import db
    from timebank.reports import rates

    with app.test_request_context():
        coordinator = _coordinator(history)
        nlw = db.session.scalars(select(ValuationRate).where(ValuationRate.name.like("National Living Wage%"),
                                                             ValuationRate.kind == "time")
                                 .order_by(ValuationRate.valid_from)).all()
        # The shipped National Living Wage: April 2026's value is version 2 of April 2025's.
        assert [(r.version, r.series) for r in nlw] == [(1, nlw[0].id), (2, nlw[0].id)]
        values = dict(name=nlw[1].name, value="13.00", valid_to=None, region="UK", source="UK government",
                      source_url="", licence="", note="")
        with pytest.raises(Conflict, match="change the newest, version 2"):
            rates.new_version(nlw[0], coordinator, valid_from=date(2026, 6, 1), **values)
        with pytest.raises(DomainError, match="enter 2 April 2026 or later") as refused:
            rates.new_version(nlw[1], coordinator, valid_from=date(2026, 4, 1), **values)
        assert refused.value.field == "valid_from"
        with pytest.raises(DomainError, match="Enter the source"):
            rates.new_version(nlw[1], coordinator, valid_from=date(2027, 4, 1), **{**values, "source": ""})
        with pytest.raises(DomainError, match="enter yesterday"):
            rates.end_rate(nlw[1], coordinator, date(2026, 4, 30))
        db.session.rollback()
        count, old_id = _count(), nlw[1].id
    # On the page: the error beside the field, what was typed kept, nothing saved.
    auth.login(history.coordinator)
    response = client.post(f"/coordinator/rates/{old_id}/versions/new", data={
        "name": "National Living Wage (21 and over)", "value": "13.10", "valid_from": "2026-03-01", "valid_to": "",
        "region": "UK", "source": "UK government", "source_url": "", "licence": "", "note": ""})
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "enter 2 April 2026 or later" in page and 'value="13.10"' in page
    response = client.post(f"/coordinator/rates/{old_id}/versions/new", data={
        "name": "National Living Wage (21 and over)", "value": "13.10", "valid_from": "2027-04-01", "valid_to": "",
        "region": "UK", "source": "UK government", "source_url": "", "licence": "", "note": ""},
        follow_redirects=True)
    assert "version 3, from 1 April 2027" in response.get_data(as_text=True)
    with app.app_context():
        assert _count() == count + 1
        old = db.session.get(ValuationRate, old_id)
        assert old.valid_to == date(2027, 3, 31) and old.value == Decimal("12.71")


def test_the_migration_links_a_rate_that_continues_another(app):
    """Rates added before versions existed: a continuation under the same name becomes version 2."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from timebank.extensions import db

    path = next(Path("migrations/versions").glob("*_valuation_rate_versions.py"))
    spec = importlib.util.spec_from_file_location("rate_versions", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        common = dict(kind="time", unit="hour", band="low", region="UK", source="s", licence="", note="")
        rows = [ValuationRate(name="Wage", value=Decimal("10"), valid_from=date(2024, 4, 1), valid_to=date(2025, 3, 31),
                              **common),
                ValuationRate(name="Wage", value=Decimal("11"), valid_from=date(2025, 4, 1), valid_to=None, **common),
                ValuationRate(name="Other", value=Decimal("9"), valid_from=date(2025, 4, 1), valid_to=None,
                              **{**common, "band": "high"})]
        db.session.add_all(rows)
        db.session.flush()
        db.session.execute(db.update(ValuationRate).values(series_id=None, version=1))
        with Operations.context(MigrationContext.configure(db.session.connection())):
            migration._link_continuations()
        db.session.expire_all()
        assert [(r.series_id, r.version) for r in rows] == [(None, 1), (rows[0].id, 2), (None, 1)]


def test_the_api_summary_names_the_rate_versions_it_used(app, client, history):
    from timebank.accounts.tokens import create_token
    from timebank.extensions import db

    with app.test_request_context():
        _, secret = create_token(_coordinator(history), name="Council dashboard", scope="read")
        db.session.commit()
    summary = client.get("/api/v1/reports/sector-summary?from=2026-04-01",
                         headers={"Authorization": f"Bearer {secret}"}).json
    low = [r for r in summary["rates_used"] if r["band"] == "low" and r["values"] == "Volunteer time"]
    assert [(r["name"], r["version"], r["valid_from"]) for r in low] == [
        ("National Living Wage (21 and over)", 2, "2026-04-01")]
    assert low[0]["source"] and low[0]["quantity_valued"] > 0
