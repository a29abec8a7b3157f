"""Retention as code: the daily job deletes what has passed its period, keeps what has not, and
writes each deletion to the audit log with its count."""
from __future__ import annotations

import os
import time as clock
from datetime import time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from timebank.accounts.models import User
from timebank.db import today, utcnow
from timebank.extensions import db

DAY = timedelta(days=1)


def test_the_daily_retention_job_deletes_what_is_past_its_period_and_audits_the_counts(
        app, runner, outbox, make_user, make_member):
    from timebank.accounts.models import AccountLink, LoginSession
    from timebank.accounts.tokens import ApiToken
    from timebank.audit.models import AuditEvent
    from timebank.bookings.models import Booking, BookingSeries, Loan
    from timebank.exchanges.models import Exchange, Leg, Party
    from timebank.matcher.models import MatcherRun
    from timebank.exchanges.reminders import Reminder
    from timebank.ledger import services as ledger
    from timebank.members.models import Asset, ComplianceRecord, Invitation, Member, Membership
    from timebank.members.compliance import add_months
    from timebank.notifications.models import Notification
    from timebank.operations.models import JobRun

    now = utcnow()
    long_ago = now - timedelta(days=6 * 366 + 2)
    member_id, admin_id = make_member("Huyton Allotments")
    other_id, _ = make_member("Kirkby Bowls")
    ids: dict[str, int] = {}
    with app.test_request_context():
        def person(key, **fields):
            user = User(email=f"{key}@example.org", password_hash="x", display_name=key.title(), **fields)
            db.session.add(user)
            db.session.flush()
            ids[key] = user.id
            return user

        person("unconfirmed_old", created_at=now - 31 * DAY)
        person("unconfirmed_new", created_at=now - 29 * DAY)
        person("dormant", email_confirmed_at=now - 4 * 365 * DAY, last_login_at=now - (3 * 365 + 1) * DAY)
        in_a_member = person("dormant_member", email_confirmed_at=now - 4 * 365 * DAY,
                             last_login_at=now - (3 * 365 + 1) * DAY)
        db.session.add(Membership(user_id=in_a_member.id, member_id=member_id, role="staff"))
        person("erased_unneeded", erased_at=now - DAY)
        named = person("erased_named_by_ledger", email_confirmed_at=now)
        from timebank.accounts.services import make_coordinator

        make_coordinator(named)
        ledger.adjust(db.session.get(Member, member_id), Decimal(2), "Opening balance", named)
        named.erased_at = now
        db.session.add_all([
            Notification(user_id=admin_id, topic="members", text="old", created_at=now - 366 * DAY),
            Notification(user_id=admin_id, topic="members", text="recent", created_at=now - 364 * DAY),
            Invitation(member_id=member_id, email="answered@example.org", status="accepted",
                       created_at=now - 100 * DAY, answered_at=now - 91 * DAY),
            Invitation(member_id=member_id, email="pending@example.org", created_at=now - 89 * DAY),
            ApiToken(user_id=admin_id, name="old", token_hash="a" * 64, prefix="tbk_a", revoked_at=now - 91 * DAY),
            ApiToken(user_id=admin_id, name="live", token_hash="b" * 64, prefix="tbk_b"),
            ComplianceRecord(member_id=member_id, kind="dbs", dbs_level="basic", people=1, holder="Cooks",
                             issued_on=add_months(today(), -8), decided_on=add_months(today(), -7), decision="OK"),
            ComplianceRecord(member_id=member_id, kind="dbs", dbs_level="basic", people=1, holder="Drivers",
                             issued_on=today() - 10 * DAY, decided_on=today() - 5 * DAY, decision="OK"),
            ComplianceRecord(member_id=member_id, kind="insurance", insurer="Long Gone Mutual",
                             expires_on=add_months(today(), -73)),
            ComplianceRecord(member_id=member_id, kind="insurance", insurer="Last Year Mutual",
                             expires_on=today() - 365 * DAY),
            Member(name="Rejected Long Ago", type="charity", postcode="L36 9YS", town="Huyton", latitude=53.41,
                   longitude=-2.84, status="rejected", decided_at=now - 366 * DAY),
            Member(name="Rejected Lately", type="charity", postcode="L36 9YS", town="Huyton", latitude=53.41,
                   longitude=-2.84, status="rejected", decided_at=now - 300 * DAY),
            MatcherRun(status="done", created_at=now - 800 * DAY, finished_at=now - 731 * DAY),
            MatcherRun(status="done", created_at=now - 30 * DAY, finished_at=now - 30 * DAY),
            AuditEvent(action="test.old", subject_type="members", subject_id=member_id, summary="old", at=long_ago),
            JobRun(name="expire-listings", outcome="ok", started_at=now - 400 * DAY, finished_at=now - 400 * DAY),
            JobRun(name="expire-listings", outcome="ok", started_at=now - 300 * DAY, finished_at=now - 300 * DAY),
            # Signed-in sessions: ended 31 days ago, expired 31 days ago (never ended), ended lately, live.
            LoginSession(user_id=admin_id, secret_hash="1" * 64, created_at=now - 40 * DAY,
                         expires_at=now + 300 * DAY, ended_at=now - 31 * DAY),
            LoginSession(user_id=admin_id, secret_hash="2" * 64, created_at=now - 32 * DAY,
                         expires_at=now - 31 * DAY),
            LoginSession(user_id=admin_id, secret_hash="3" * 64, created_at=now - 32 * DAY,
                         expires_at=now - 20 * DAY, ended_at=now - 29 * DAY),
            LoginSession(user_id=admin_id, secret_hash="4" * 64, remember=True, expires_at=now + 30 * DAY),
            # Emailed links: used 31 days ago, expired 31 days ago unused, used lately.
            AccountLink(user_id=admin_id, purpose="reset", secret_hash="5" * 64, created_at=now - 32 * DAY,
                        expires_at=now - 31 * DAY + timedelta(hours=1), used_at=now - 31 * DAY),
            AccountLink(user_id=admin_id, purpose="confirm", secret_hash="6" * 64, created_at=now - 40 * DAY,
                        expires_at=now - 31 * DAY),
            AccountLink(user_id=admin_id, purpose="reset", secret_hash="7" * 64, created_at=now - 2 * DAY,
                        expires_at=now - DAY, used_at=now - 2 * DAY),
        ])
        voided = Exchange(shape="pair", status="voided", story="", decided_at=now - 366 * DAY)
        voided.parties.append(Party(member_id=member_id, status="declined", reason="Not now"))
        voided.legs.append(Leg(position=0, giver_member_id=member_id, receiver_member_id=other_id, kind="skill",
                               description="Old proposal", hours=Decimal(1)))
        recent = Exchange(shape="pair", status="voided", story="", decided_at=now - 300 * DAY)
        room = Asset(member_id=member_id, kind="room", name="Hut", capacity=4)
        gazebo = Asset(member_id=member_id, kind="equipment", name="Gazebo")
        db.session.add_all([voided, recent, room, gazebo])
        db.session.flush()
        # Reminders about an exchange that is kept: one sent 366 days ago goes, one 364 days ago stays.
        db.session.add_all([Reminder(kind="answer", exchange_id=recent.id, member_id=member_id,
                                     sent_on=(now - age).date(), sent_at=now - age) for age in (366 * DAY, 364 * DAY)])
        # Weekly bookings: one made long ago (its booking goes, then it does), one whose booking is kept.
        old_series, kept_series = (BookingSeries(asset_id=room.id, member_id=other_id, first_day=made.date(),
                                                 starts_time=time(9), ends_time=time(10), times=2, note="Choir",
                                                 created_at=made) for made in (long_ago - 8 * DAY, long_ago - 7 * DAY))
        db.session.add_all([old_series, kept_series])
        db.session.flush()
        db.session.add_all([
            Booking(asset_id=room.id, member_id=other_id, starts_at=long_ago - DAY, ends_at=long_ago,
                    series_id=old_series.id),
            Booking(asset_id=room.id, member_id=other_id, starts_at=now - 30 * DAY, ends_at=now - 29 * DAY,
                    series_id=kept_series.id),
            Loan(asset_id=gazebo.id, member_id=other_id, starts_on=(long_ago - 3 * DAY).date(),
                 due_on=(long_ago - DAY).date(), status="returned", returned_at=long_ago),
        ])
        db.session.commit()
        ids.update(voided=voided.id, recent=recent.id, kept_series=kept_series.id)
    outbox.mkdir(parents=True, exist_ok=True)
    old_mail, new_mail = outbox / "old.log", outbox / "new.log"
    old_mail.write_text("To: someone@example.org\n\nOld news\n")
    new_mail.write_text("To: someone@example.org\n\nNew news\n")
    month_ago = clock.time() - 31 * 24 * 3600
    os.utime(old_mail, (month_ago, month_ago))

    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0 and "1  notifications older than 12 months (would go)" in dry.output
    assert old_mail.exists()

    result = runner.invoke(args=["jobs", "run", "retention"])
    assert result.exit_code == 0, result.output
    assert "retention: ok: retention: dbs-records 1, lapsed-compliance 1, notifications 1" in result.output

    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))
        assert "unconfirmed_old@example.org" not in emails and "unconfirmed_new@example.org" in emails
        assert "dormant_member@example.org" in emails and "dormant@example.org" not in emails
        assert db.session.get(User, ids["erased_unneeded"]) is None
        assert db.session.get(User, ids["erased_named_by_ledger"]) is not None  # the ledger names it
        # The dormant person was erased first, then, named by nothing, their row went too.
        assert db.session.get(User, ids["dormant"]) is None
        assert "old" not in {n.text for n in db.session.scalars(select(Notification))}
        assert "recent" in {n.text for n in db.session.scalars(select(Notification))}
        assert set(db.session.scalars(select(Invitation.email))) == {"pending@example.org"}
        assert set(db.session.scalars(select(ApiToken.name))) == {"live"}
        assert set(db.session.scalars(select(func.coalesce(ComplianceRecord.holder, ComplianceRecord.insurer)))) == {
            "Drivers", "Last Year Mutual"}
        assert set(db.session.scalars(select(Member.name).where(Member.status == "rejected"))) == {"Rejected Lately"}
        assert db.session.scalar(select(func.count()).select_from(MatcherRun)) == 1
        assert db.session.get(Exchange, ids["voided"]) is None and db.session.get(Exchange, ids["recent"])
        assert db.session.scalar(select(func.count()).select_from(Leg)) == 0  # went with its exchange
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        assert db.session.scalar(select(func.count()).select_from(Loan)) == 0
        assert list(db.session.scalars(select(BookingSeries.id))) == [ids["kept_series"]]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "test.old")) == 0
        assert db.session.scalar(select(func.count()).select_from(JobRun).where(
            JobRun.started_at < now - 365 * DAY)) == 0
        assert db.session.scalar(select(func.count()).select_from(JobRun).where(
            JobRun.name == "expire-listings")) == 1
        assert sorted(db.session.scalars(select(LoginSession.secret_hash))) == ["3" * 64, "4" * 64]
        assert list(db.session.scalars(select(AccountLink.secret_hash))) == ["7" * 64]
        assert [r.sent_on for r in db.session.scalars(select(Reminder))] == [(now - 364 * DAY).date()]
        audited = {e.details["rule"]: e.details["count"] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.applied"))}
        assert audited == {"dbs-records": 1, "lapsed-compliance": 1, "notifications": 1, "invitations": 1,
                           "login-sessions": 2, "account-links": 2,
                           "revoked-tokens": 1, "unconfirmed-accounts": 1, "dormant-accounts": 1,
                           "erased-people": 2, "rejected-members": 1, "matcher-runs": 1, "ended-exchanges": 1,
                           "reminders": 1, "bookings": 1, "booking-series": 1, "loans": 1, "audit-events": 1,
                           "job-runs": 1, "outbox": 1}
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.erased")) == 1
    assert not old_mail.exists() and new_mail.exists()

    again = runner.invoke(args=["jobs", "run", "retention"])
    assert "retention: ok: retention: nothing past its period" in again.output


def test_erasures_are_applied_again_after_a_restore(app, runner, make_user, tmp_path):
    from timebank.privacy.erasure import erase_person

    person, coordinator = make_user("restored@example.org"), make_user(coordinator=True)
    with app.test_request_context():
        erase_person(db.session.get(User, person), db.session.get(User, coordinator), "Asked by email")
        db.session.commit()
    listing = runner.invoke(args=["privacy", "erasures"]).output
    assert listing.split() == [str(person)]
    with app.app_context():  # as if an older backup came back, from before the erasure
        user = db.session.get(User, person)
        user.erased_at, user.email, user.display_name = None, "restored@example.org", "Restored Person"
        db.session.commit()
    path = tmp_path / "erasures.txt"
    path.write_text(listing)
    result = runner.invoke(args=["privacy", "erase-again", str(path)])
    assert "1 people erased again." in result.output
    with app.app_context():
        assert db.session.get(User, person).email == f"erased-{person}@invalid"
