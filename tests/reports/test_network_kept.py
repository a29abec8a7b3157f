"""The network figures are kept, not worked out on every request: kept whole (JSON and back), read
while younger than NETWORK_FIGURES_HOURS, worked out again when older or when a coordinator asks,
and worked out for the usual periods by the daily job."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from timebank.reports.network import Help, from_json, measure, to_json


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 12), st.integers(1, 12)), max_size=30))
def test_figures_kept_as_json_come_back_the_same(records):
    help_ = [Help(a, b, Decimal(hours) / 4, date(2025, month, 1)) for a, b, hours, month in records]
    figures = measure(list(range(10)), help_)
    assert from_json(json.loads(json.dumps(to_json(figures)))) == figures


def _links(page: str) -> int:
    found = re.search(r"Links \(giver to receiver\)</th>\s*<td[^>]*>([\d,]+)</td>", page)
    assert found, page[page.find("network-figures"):][:1500]
    return int(found.group(1).replace(",", ""))


def _new_link(app, history) -> None:
    """Confirmed help between the two members with no link yet (or another record if all are linked)."""
    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.extensions import db

    linked = {(leg["giver"], leg["receiver"]) for leg in history.legs}
    giver, receiver = next(((a, b) for a in history.members for b in history.members
                            if a != b and (a, b) not in linked))
    with app.app_context():
        exchange = Exchange(shape="direct", status="completed", story="new help", completed_at=datetime(2025, 8, 1))
        exchange.parties = [Party(member_id=giver, status="accepted"), Party(member_id=receiver, status="accepted")]
        exchange.legs = [Leg(position=0, giver_member_id=giver, receiver_member_id=receiver, kind="time", is_gift=True,
                             description="New help", hours=Decimal(2), people=1, status="confirmed",
                             confirmed_at=datetime(2025, 8, 1, 12))]
        db.session.add(exchange)
        db.session.commit()


def test_the_dashboard_reads_kept_figures_until_they_are_worked_out_again(app, client, auth, history):
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    auth.login(history.coordinator)
    page = client.get("/coordinator/impact").get_data(as_text=True)
    links = _links(page)
    assert "The network is worked out once a day" in page
    with app.app_context():
        kept = db.session.scalar(select(NetworkFigureSet).where(NetworkFigureSet.key == ".."))
        assert kept.figures["links"] == links
    _new_link(app, history)
    # Kept: the new link is not there yet, on the dashboard or the network page (the same set).
    assert _links(client.get("/coordinator/impact").get_data(as_text=True)) == links
    assert _links(client.get("/coordinator/network").get_data(as_text=True)) == links
    # A coordinator works them out again: the new link shows at once.
    page = client.post("/coordinator/network/work-out", follow_redirects=True).get_data(as_text=True)
    assert "worked out again just now" in page and _links(page) == links + 1
    assert _links(client.get("/coordinator/impact").get_data(as_text=True)) == links + 1


def test_figures_older_than_their_hours_are_worked_out_again_on_the_next_request(app, client, auth, history):
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    links = _links(client.get("/impact/?from=2025-01-01&to=2025-12-31").get_data(as_text=True))
    _new_link(app, history)
    assert _links(client.get("/impact/?from=2025-01-01&to=2025-12-31").get_data(as_text=True)) == links
    with app.app_context():
        kept = db.session.scalar(select(NetworkFigureSet).where(NetworkFigureSet.key == "2025-01-01..2025-12-31"))
        kept.computed_at -= timedelta(hours=app.config["NETWORK_FIGURES_HOURS"] + 1)
        db.session.commit()
    assert _links(client.get("/impact/?from=2025-01-01&to=2025-12-31").get_data(as_text=True)) == links + 1


def test_the_daily_job_works_out_all_time_and_five_quarters(app, runner, client, history):
    from timebank.db import today
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet
    from timebank.reports.network import usual_periods

    result = runner.invoke(args=["jobs", "run", "network-figures"])
    assert result.exit_code == 0, result.output
    assert "network figures worked out for 6 periods" in result.output
    with app.app_context():
        kept = {row.key: row.computed_at for row in db.session.scalars(select(NetworkFigureSet))}
    periods = usual_periods(today())
    assert set(kept) == {".."} | {f"{p.start}..{p.end}" for p in periods[1:]}
    # The public dashboard reads the job's set: nothing is worked out again.
    client.get("/impact/")
    with app.app_context():
        assert db.session.scalar(select(NetworkFigureSet.computed_at).where(NetworkFigureSet.key == "..")) == kept[".."]


def test_a_cut_by_a_grant_is_kept_apart(app, client, auth, history):
    from timebank.accounts.models import User
    from timebank.extensions import db
    from timebank.funding import services
    from timebank.reports.models import NetworkFigureSet

    with app.test_request_context():
        coordinator = db.session.scalar(select(User).where(User.email == history.coordinator))
        grant = services.create_tag(coordinator, code="G-1", name="A grant", kind="grant", funder="F",
                                    starts_on=date(2025, 1, 1), ends_on=None, open_to_all=False)
        db.session.commit()
        grant_id = grant.id
    auth.login(history.coordinator)
    whole = _links(client.get("/coordinator/network").get_data(as_text=True))
    cut = client.get(f"/coordinator/network?tag={grant_id}").get_data(as_text=True)
    assert _links(cut) == 0 < whole  # nothing is tagged with it
    with app.app_context():
        keys = set(db.session.scalars(select(NetworkFigureSet.key)))
    assert keys == {"..", f".. tag {grant_id}"}


def test_the_public_pages_keep_only_whole_months_quarters_and_years(app, client, history):
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    for query in ("from=2025-03-07&to=2025-05-02", "from=2025-05-01&to=2025-07-31", "to=2025-06-30"):
        assert client.get(f"/impact/?{query}").status_code == 200
        assert client.get(f"/impact/network?{query}").status_code == 200
    client.get("/impact/network?from=2025-04-01&to=2025-06-30")
    with app.app_context():
        assert set(db.session.scalars(select(NetworkFigureSet.key))) == {"2025-04-01..2025-06-30"}


def test_the_public_pages_keep_no_sets_for_months_before_the_first_help_or_after_today(app, client, history):
    """Each kept set holds every active member's id: a visitor looping over the months of 1901 (or
    of 2099) must not fill the table. Those pages still answer, worked out and not kept."""
    from timebank.db import today
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    next_year = today().year + 1
    for first, last in (("1901-01-01", "1901-01-31"), ("1901-04-01", "1901-06-30"), ("1901-01-01", "1901-12-31"),
                        ("2025-01-01", "2025-01-31"),  # before the first help (from February 2025 on)
                        (f"{next_year}-01-01", f"{next_year}-01-31")):
        assert client.get(f"/impact/network?from={first}&to={last}").status_code == 200
        assert client.get(f"/impact/?from={first}&to={last}").status_code == 200
    client.get("/impact/network?from=2025-04-01&to=2025-06-30")  # a quarter with help is kept
    with app.app_context():
        assert set(db.session.scalars(select(NetworkFigureSet.key))) == {"2025-04-01..2025-06-30"}


def test_the_daily_job_deletes_sets_past_their_hours(app, runner, client, auth, history):
    from timebank.extensions import db
    from timebank.reports.models import NetworkFigureSet

    auth.login(history.coordinator)
    client.get("/coordinator/impact?from=2025-03-07&to=2025-05-02")
    with app.app_context():
        old = db.session.scalar(select(NetworkFigureSet).where(NetworkFigureSet.key == "2025-03-07..2025-05-02"))
        old.computed_at -= timedelta(hours=app.config["NETWORK_FIGURES_HOURS"] + 1)
        db.session.commit()
    result = runner.invoke(args=["jobs", "run", "network-figures"])
    assert "1 older sets deleted" in result.output
    with app.app_context():
        assert "2025-03-07..2025-05-02" not in set(db.session.scalars(select(NetworkFigureSet.key)))
