"""Upgrading from the previous release: its schema, holding its data, migrated up to this code's
head and back down again, loses nothing, and the upgraded exchange works (sign-in, pages, ledger).

The data is the demo sector as release 0.1.0 stored it (data/release-0.1.0.json.gz, written by
data/make_release_data.py at that release). CHANGELOG.md names each release's revision.
"""
from __future__ import annotations

import base64
import gzip
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, create_engine, func, select, text

from timebank import create_app

DATA = Path(__file__).with_name("data")
PREVIOUS = "0.1.0"


def _decode(value):
    if isinstance(value, dict) and "$type" in value:
        return {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "decimal": Decimal,
                "bytes": base64.b64decode}[value["$type"]](value["value"])
    return value


def _release(version: str) -> dict:
    with gzip.open(DATA / f"release-{version}.json.gz", "rt") as source:
        return json.load(source)


def _load(url: str, tables: dict) -> None:
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            rows = tables.get(table.name)
            if rows:
                connection.execute(table.insert(), [{k: _decode(v) for k, v in row.items()} for row in rows])
        if engine.dialect.name == "postgresql":  # rows came with their ids: move each sequence past them
            for table in metadata.sorted_tables:
                if "id" in table.c and tables.get(table.name):
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                            f"(SELECT max(id) FROM {table.name}))"))
    engine.dispose()


def _counts(url: str, names) -> dict:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {name: connection.execute(select(func.count()).select_from(text(f'"{name}"'))).scalar()
                  for name in names}
    engine.dispose()
    return counts


@pytest.fixture()
def previous_release(database_server):
    """An empty database migrated to the previous release's revision and filled with its data."""
    release = _release(PREVIOUS)
    name, url = database_server.new_database(empty=True)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_BACKEND": "locmem"})
    with app.app_context():
        upgrade(revision=release["revision"])
    _load(url, release["tables"])
    yield app, url, release
    from timebank.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    database_server.drop_database(name)


def test_the_changelog_names_the_previous_release_and_its_revision():
    changelog = (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text()
    release = _release(PREVIOUS)
    assert f"## {PREVIOUS}" in changelog and release["revision"] in changelog


def test_upgrade_from_the_previous_release_keeps_every_row_and_works(previous_release):
    app, url, release = previous_release
    before = {name: len(rows) for name, rows in release["tables"].items()}
    assert before["members"] > 10 and before["ledger_entries"] > 0 and before["exchanges"] > 0

    with app.app_context():
        upgrade()
    assert _counts(url, before) == before

    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    signed_in = client.post("/sign-in", data={"email": "coordinator@oneknowsley.example",
                                              "password": "demo-password-1"}, follow_redirects=True)
    assert signed_in.status_code == 200 and b"Sign out" in signed_in.data
    for page in ("/", "/listings", "/coordinator/matcher", "/healthz"):
        assert client.get(page).status_code == 200, page
    # The upgraded database takes new writes (its sequences are past the old rows).
    assert runner.invoke(args=["jobs", "run", "expire-listings"]).exit_code == 0

    # And back down to the previous release: its tables keep every row.
    from timebank.extensions import db

    with app.app_context():
        db.session.remove()
        downgrade(revision=release["revision"])
    assert _counts(url, before) == before
    with app.app_context():
        upgrade()
    assert _counts(url, before) == before
