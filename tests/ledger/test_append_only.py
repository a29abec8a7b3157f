"""Postings and entries cannot be changed or deleted, even in SQL: the database refuses."""
import pytest
from flask_migrate import upgrade
from sqlalchemy import Date, DateTime, Integer, Numeric, String, create_engine, text
from sqlalchemy.exc import DBAPIError

from timebank import create_app
from timebank.extensions import db
from timebank.ledger import services
from timebank.ledger.models import REWORDABLE_COLUMNS, LedgerEntry
from timebank.members.models import Member

def _changed(column) -> str:
    """SQL for a value of this column that differs from the stored one, whatever it is."""
    if isinstance(column.type, Integer):
        return f"COALESCE({column.name}, 0) + 1"
    if isinstance(column.type, String):
        return f"COALESCE({column.name}, '') || 'x'"
    if isinstance(column.type, DateTime):
        return "'2001-02-03 04:05:06'"
    if isinstance(column.type, Date):
        return "'2001-02-03'"
    if isinstance(column.type, Numeric):
        return f"COALESCE({column.name}, 0) + 1"
    raise AssertionError(f"ledger_entries.{column.name}: add a way to change a {column.type} here")


# Every column of an entry but its wording, and every posting, cannot change; nothing can be deleted.
CHANGES = [
    "UPDATE ledger_postings SET amount = amount * 2",
    "UPDATE ledger_postings SET account_id = 1",
    "DELETE FROM ledger_postings",
    "DELETE FROM ledger_entries",
    *[f"UPDATE ledger_entries SET {column.name} = {_changed(column)}"
      for column in LedgerEntry.__table__.columns if column.name not in REWORDABLE_COLUMNS],
]
REWORDING = "UPDATE ledger_entries SET description = 'Adjustment for Erased person 9', reason = 'Asked by Erased person 9'"


@pytest.fixture()
def posted(app, make_member, make_user):
    """One coordinator adjustment, committed."""
    member_id, _ = make_member()
    coordinator = make_user(coordinator=True)
    with app.test_request_context():
        from timebank.accounts.models import User

        services.adjust(db.session.get(Member, member_id), 3, "Opening balance", db.session.get(User, coordinator))
        db.session.commit()
        yield


@pytest.mark.parametrize("sql", CHANGES)
def test_update_or_delete_of_the_ledger_is_refused(app, posted, sql):
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(sql))
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM ledger_postings")) == 2
    assert db.session.scalar(text("SELECT sum(amount) FROM ledger_postings WHERE amount > 0")) == 3


def test_only_the_wording_of_an_entry_can_change_which_erasure_needs(app, posted):
    db.session.execute(text(REWORDING))
    db.session.commit()
    assert db.session.execute(text("SELECT description, reason FROM ledger_entries")).one() == (
        "Adjustment for Erased person 9", "Asked by Erased person 9")
    assert db.session.scalar(text("SELECT sum(amount) FROM ledger_postings WHERE amount > 0")) == 3


def test_emptying_a_whole_table_is_refused(app, posted):
    """PostgreSQL's TRUNCATE skips row triggers, so it has its own; SQLite's equivalent is a bare DELETE."""
    for table in ("ledger_postings", "ledger_entries"):
        sql = f"TRUNCATE {table} CASCADE" if app.backend == "postgresql" else f"DELETE FROM {table}"
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(sql))
        db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM ledger_entries")) == 1


@pytest.mark.parametrize("sql", CHANGES)
def test_the_migration_creates_the_same_triggers(database_server, sql):
    name, url = database_server.new_database(empty=True)
    try:
        with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}).app_context():
            upgrade()
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ledger_accounts (id, kind, created_at) VALUES "
                              "(1, 'pot', CURRENT_TIMESTAMP), (2, 'adjustments', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO ledger_entries (id, kind, description, reason, created_at, happened_on) "
                              "VALUES (1, 'grant', 'test', 'a reason', CURRENT_TIMESTAMP, CURRENT_DATE)"))
            conn.execute(text("INSERT INTO ledger_postings (entry_id, account_id, amount) VALUES (1, 1, 2), (1, 2, -2)"))
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(sql))
        with engine.begin() as conn:
            conn.execute(text(REWORDING))
        engine.dispose()
    finally:
        database_server.drop_database(name)
