"""One set of figures: the impact page never contradicts itself, and needs met counts what a member would.

On a random history (tests/reports/conftest.py) and random periods: every completed exchange
counted brings at least one need met, needs met never exceeds the records of help, and both equal
what is worked out independently from the history's own rows.
"""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIRST, LAST = date(2025, 1, 1), date(2026, 12, 31)
days = st.integers(min_value=0, max_value=(LAST - FIRST).days).map(lambda n: FIRST + timedelta(days=n))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.none() | days, length=st.none() | st.integers(min_value=0, max_value=400))
def test_needs_met_and_exchanges_completed_agree_on_any_dates(app, history, start, length):
    from timebank.reports.figures import Period, dashboard

    end = start + timedelta(days=length) if start is not None and length is not None else None
    period = Period(start, end)

    def inside(day):
        return (start is None or day >= start) and (end is None or day <= end)

    legs = [leg for leg in history.legs if inside(leg["day"])]
    own = [b for b in history.bookings if inside(b["day"])] + [loan for loan in history.loans if inside(loan["day"])]
    with app.test_request_context():
        board = dashboard(period)
    # No help in this history has a need listing: each exchange (one part each) and each booking or
    # loan of its own answered one need of its receiver.
    assert board.needs_met == len(legs) + len(own) == board.records
    assert board.exchanges_completed == len(legs)
    assert board.exchanges_completed <= board.needs_met <= board.records
    if board.exchanges_completed:
        assert board.needs_met > 0 and board.records > 0


def test_a_need_answered_twice_counts_once_and_an_empty_completion_not_at_all(app, history, make_listing, categories):
    from sqlalchemy import select

    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.extensions import db
    from timebank.reports.figures import Period, dashboard

    member = history.members[1]
    with app.app_context():
        from timebank.members.models import Membership

        user_id = db.session.scalar(select(Membership.user_id).where(Membership.member_id == member))
    need = make_listing(member, user_id, direction="need", kind="time", category_id=categories["bookkeeping"],
                        partial_ok=True)
    with app.test_request_context():
        before = dashboard(Period())
        received = [leg["id"] for leg in history.legs if leg["receiver"] == member][:2]
        assert len(received) == 2
        for leg_id in received:  # two parts, in two exchanges, answered the one need
            db.session.get(Leg, leg_id).need_listing_id = need
        # An exchange marked completed whose only part was cancelled met nothing.
        empty = Exchange(shape="pair", status="completed", story="cancelled", completed_at=db.func.now())
        empty.parties = [Party(member_id=history.members[0], status="accepted"),
                         Party(member_id=member, status="accepted")]
        empty.legs = [Leg(position=0, giver_member_id=history.members[0], receiver_member_id=member, kind="time",
                          description="Cancelled", hours=2, status="cancelled")]
        db.session.add(empty)
        db.session.commit()
        after = dashboard(Period())
    assert after.needs_met == before.needs_met - 1
    assert after.exchanges_completed == before.exchanges_completed
    assert after.records == before.records


def test_the_public_page_names_its_figures(client, history):
    page = client.get("/impact/").get_data(as_text=True)
    assert "person-hours of time and skills given" in page and "needs met" in page
    assert "one person-hour given earns one credit" in page


def test_the_parts_csv_counts_in_the_reports_units(client, auth, history):
    import csv
    import io
    from decimal import Decimal

    member = history.members[0]
    auth.login(history.admins[member])
    text = client.get(f"/members/{member}/exports/legs.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    legs = {leg["id"]: leg for leg in history.legs}
    checked = 0
    for row in rows:
        leg = legs.get(int(row["id"]))
        if leg is None:
            continue  # the cancelled one
        assert row["unit"] == {"time": "person-hours", "skill": "person-hours", "room": "hours of room use",
                               "equipment": "days of loan"}[leg["kind"]]
        assert Decimal(row["amount"]) == leg["quantity"]  # hours each x people, as the reports count it
        checked += 1
    assert checked > 5
