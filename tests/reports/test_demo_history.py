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


def test_demo_credits_are_dated_when_the_help_happened_so_reports_agree_with_the_ledger(app):
    from datetime import date, timedelta

    from seed.demo import load_demo
    from timebank.db import today
    from timebank.exchanges.models import Leg
    from timebank.ledger.models import LedgerEntry, Posting
    from timebank.reports.figures import Period, leg_credits

    with app.test_request_context():
        load_demo(log=lambda *_: None)
        db.session.commit()
        entries = db.session.execute(select(LedgerEntry.happened_on, Leg.happened_on, Leg.scheduled_start)
                                     .join(Leg, Leg.id == LedgerEntry.leg_id)).all()
        # Recorded help keeps only its day (no scheduled time); the rest were scheduled on that day.
        assert entries and all(entry == leg == (start.date() if start else leg) for entry, leg, start in entries)
        assert any(start is None for _, _, start in entries)
        assert all(entry < today() for entry, _, _ in entries)  # not the day the seed ran
        months = {date(d.year, d.month, 1) for d, _, _ in entries}
        assert len(months) >= 3
        for first in months:
            last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            period = Period(first, last - timedelta(days=1))
            ledger_sum = Decimal(db.session.scalar(
                select(func.sum(Posting.amount)).join(LedgerEntry)
                .where(LedgerEntry.kind == "leg", Posting.amount > 0, LedgerEntry.happened_on >= period.start,
                       LedgerEntry.happened_on <= period.end)) or 0).quantize(Decimal("0.01"))
            assert leg_credits(period) == ledger_sum
