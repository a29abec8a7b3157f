"""The demo sector comes with a few months of finished exchanges, so its reports have figures."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from timebank.extensions import db


def test_the_demo_has_months_of_history_and_a_second_run_adds_nothing(app):
    from seed.demo import load_demo
    from timebank.bookings.models import Booking, Loan
    from timebank.db import today
    from timebank.exchanges.models import Exchange, Leg
    from timebank.ledger import services as ledger
    from timebank.members.models import Member
    from timebank.reports.figures import Period, dashboard
    from timebank.reports.social_value import social_value

    with app.test_request_context():
        load_demo(log=lambda *_: None)
        db.session.commit()
        counts = [db.session.scalar(select(func.count()).select_from(t)) for t in (Exchange, Leg, Booking, Loan)]
        load_demo(log=lambda *_: None)
        db.session.commit()
        assert [db.session.scalar(select(func.count()).select_from(t)) for t in (Exchange, Leg, Booking, Loan)] \
            == counts

        board = dashboard(Period())
        assert board.exchanges_completed >= 20
        # The demo's help has no need listings behind it; each piece still answered a need.
        assert board.needs_met >= board.exchanges_completed
        assert {kind for kind, _, _ in board.by_kind} == {"time", "skill", "room", "equipment"}
        assert len(board.by_month) >= 4  # spread over months, not all on the day the seed ran
        days = db.session.scalars(select(Leg.confirmed_at).where(Leg.status == "confirmed")).all()
        assert min(days).date() < today().replace(day=1) and max(days).date() <= today()
        assert db.session.scalar(select(func.count()).select_from(Loan).where(Loan.status == "returned")) >= 2

        business = db.session.scalar(select(Member).where(Member.name == "Merseyside Accountancy Partners Ltd"))
        report = social_value(business, Period())
        assert report.hours > 0 and report.organisations_supported >= 3
        assert report.given.quantity["skill"] > 0 and report.given.quantity["time"] > 0
        assert all(line.signed_off_on is not None for line in report.lines)

        for member in db.session.scalars(select(Member).where(Member.status == "active")):
            assert ledger.balance(member) >= -member.credit_limit
        assert board.credits > Decimal(0)  # organisations helped each other for credits too
