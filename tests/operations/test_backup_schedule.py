"""Backups encrypted to an age key, kept by a retention rule, proven by a restore drill; and a
SQLite restore refused while another process has the database open."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from timebank.backup import kept
from timebank.extensions import db
from timebank.members.models import Member


@pytest.fixture()
def age_keys(tmp_path):
    from pyrage import x25519

    identity = x25519.Identity.generate()
    path = tmp_path / "backup-key.txt"
    path.write_text(f"# the backups' secret key\n{identity}\n")
    return str(identity.to_public()), str(path)


@pytest.fixture()
def backups(app, age_keys, tmp_path):
    recipient, identity_file = age_keys
    app.config.update(BACKUP_DIR=str(tmp_path / "backups"), BACKUP_AGE_RECIPIENTS=recipient,
                      BACKUP_AGE_IDENTITY_FILE=identity_file)
    return tmp_path / "backups"


def _names(app):
    with app.app_context():
        return sorted(db.session.scalars(select(Member.name)))


def test_an_encrypted_backup_holds_no_readable_data_and_restores(app, runner, make_member, backups):
    make_member("Huyton Bereavement Circle")
    target = backups / "by-hand.backup.age"
    assert runner.invoke(args=["backup", "create", str(target)]).exit_code == 0
    data = target.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    assert b"Huyton Bereavement" not in data
    make_member("Added Later")
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert _names(app) == ["Huyton Bereavement Circle"]


def test_restoring_with_the_wrong_key_fails_and_changes_nothing(app, runner, make_member, backups, tmp_path):
    from pyrage import x25519

    make_member("Kept")
    target = backups / "by-hand.backup.age"
    runner.invoke(args=["backup", "create", str(target)])
    make_member("Still Here")
    other = tmp_path / "other-key.txt"
    other.write_text(f"{x25519.Identity.generate()}\n")
    app.config["BACKUP_AGE_IDENTITY_FILE"] = str(other)
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 1 and "could not be decrypted" in result.output
    app.config["BACKUP_AGE_IDENTITY_FILE"] = str(tmp_path / "no-such-key.txt")
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 1 and "could not be read" in result.output
    assert _names(app) == ["Kept", "Still Here"]


def test_the_backup_job_needs_a_key_and_a_folder(app, runner):
    app.config.update(BACKUP_DIR=None)
    result = runner.invoke(args=["jobs", "run", "backup"])
    assert result.exit_code == 1 and "BACKUP_DIR is not set" in result.output
    app.config.update(BACKUP_DIR="/tmp/not-used", BACKUP_AGE_RECIPIENTS=None)
    result = runner.invoke(args=["jobs", "run", "backup"])
    assert result.exit_code == 1 and "BACKUP_AGE_RECIPIENTS is not set" in result.output


def test_the_backup_job_keeps_what_the_retention_rule_says(app, runner, make_member, backups):
    make_member()
    backups.mkdir()
    now = datetime.now(UTC)
    # Two backups a day for the last 100 days, as if the job had run that long.
    for hours in range(12, 100 * 24, 12):
        stamp = (now - timedelta(hours=hours)).strftime("%Y%m%dT%H%M%SZ")
        (backups / f"exchange-{stamp}.backup.age").write_bytes(b"old")
    (backups / "notes.txt").write_text("not a backup: left alone")
    result = runner.invoke(args=["jobs", "run", "backup"])
    assert result.exit_code == 0, result.output
    left = sorted(p.name for p in backups.glob("exchange-*"))
    stamps = [datetime.strptime(name[9:25], "%Y%m%dT%H%M%SZ") for name in left]
    days = {s.date() for s in stamps}
    assert len(left) == len(days)  # one a day at most
    assert now.date() in days and len([d for d in days if (now.date() - d).days < 7]) == 7
    assert (now.date() - min(days)).days > 60  # monthly ones reach back
    assert len(left) <= 7 + 5 + 12
    assert (backups / "notes.txt").exists()
    assert left[-1].endswith(".backup.age") and (backups / left[-1]).read_bytes().startswith(b"age-")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)), max_size=60,
                unique=True),
       st.integers(0, 10), st.integers(0, 6), st.integers(0, 14))
def test_retention_keeps_the_newest_and_never_more_than_asked(stamps, daily, weekly, monthly):
    keep = kept(stamps, daily, weekly, monthly)
    assert keep <= set(stamps)
    assert len(keep) <= daily + weekly + monthly
    if stamps and (daily or weekly or monthly):
        assert max(stamps) in keep
    # Every day among the newest `daily` days with a backup keeps one.
    days = sorted({s.date() for s in stamps}, reverse=True)[:daily]
    assert days == sorted({s.date() for s in keep if s.date() in days}, reverse=True)


def test_the_restore_drill_restores_into_a_scratch_database_and_checks_the_ledger(
        app, runner, make_member, backups):
    make_member("Prescot Men's Shed")
    assert runner.invoke(args=["jobs", "run", "backup"]).exit_code == 0
    result = runner.invoke(args=["backup", "drill"])
    assert result.exit_code == 0, result.output
    assert "members: 1 rows" in result.output and "The ledger balances" in result.output
    result = runner.invoke(args=["jobs", "run", "restore-drill"])
    assert result.exit_code == 0 and "restore-drill: ok" in result.output, result.output
    assert _names(app) == ["Prescot Men's Shed"]  # the live database was not touched
    if app.backend == "postgresql":
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        with psycopg.connect(dbname=url.database, user=url.username, host=url.query.get("host") or url.host,
                             port=url.port) as connection:
            names = [row[0] for row in connection.execute("SELECT datname FROM pg_database")]
        assert not [name for name in names if "_drill_" in name]


def test_a_drill_of_a_backup_whose_ledger_does_not_balance_fails(app, runner, backups):
    from timebank.ledger.models import LedgerEntry

    with app.app_context():
        db.session.add(LedgerEntry(kind="adjustment", description="no postings", reason="a test"))
        db.session.commit()
    runner.invoke(args=["jobs", "run", "backup"])
    result = runner.invoke(args=["jobs", "run", "restore-drill"])
    assert result.exit_code == 1
    assert "does not balance" in result.output


def test_a_sqlite_restore_is_refused_while_another_process_has_the_database_open(app, runner, make_member,
                                                                                tmp_path):
    if app.backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL restores in one transaction beside running connections")
    make_member("Before")
    target = tmp_path / "exchange.backup"
    runner.invoke(args=["backup", "create", str(target)])
    make_member("After")
    from sqlalchemy.engine import make_url

    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys, time\n"
                               "c = sqlite3.connect(sys.argv[1]); c.execute('select 1 from members').fetchall()\n"
                               "print('open', flush=True); time.sleep(60)", path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
        assert result.exit_code == 1
        assert f"open in process {holder.pid}" in result.output and "stop the app" in result.output
        assert _names(app) == ["After", "Before"]
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert _names(app) == ["Before"]
