"""Right of access: a person's own download and a member's download hold every personal field the
database holds, one CSV per table, described in a README; the inventory matches the schema."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from sqlalchemy import select

from tests.privacy.conftest import EMAIL, NAME, PHONE
import timebank.models  # noqa: F401  (every table on the metadata)
from timebank.db import Base
from timebank.extensions import db
from timebank.privacy.downloads import MEMBER_ROWS, PERSON_ROWS
from timebank.privacy.inventory import BY_NAME, TABLES, schedule_markdown
from timebank.reports.csv_export import safe_cell


def _files(response) -> dict[str, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
             for name in archive.namelist() if name.endswith(".csv")}
    files["README.txt"] = archive.read("README.txt").decode()
    return files


def test_the_inventory_lists_every_table_and_column_of_the_schema():
    schema = {table.name: {c.name for c in table.columns} for table in Base.metadata.sorted_tables}
    assert set(BY_NAME) == set(schema), "add the table to timebank/privacy/inventory.py (and docs/privacy.md)"
    for name, columns in schema.items():
        table = BY_NAME[name]
        given = table.columns + list(table.withheld)
        assert len(given) == len(set(given)), f"{name}: a column is listed twice"
        assert set(given) == columns, (
            f"{name}: the schema has {sorted(columns - set(given))} that the downloads do not mention, and the "
            f"inventory names {sorted(set(given) - columns)} that do not exist. Add each new column to `export` "
            "in timebank/privacy/inventory.py (or to `withheld`, saying why it is not given).")


def test_every_table_says_which_rows_a_member_and_a_person_get():
    tables = {table.name for table in TABLES}
    assert set(MEMBER_ROWS()) == tables
    person = PERSON_ROWS()
    assert {t.name for t in TABLES if t.personal} <= set(person), (
        "a table holds personal data but the person's download neither gives its rows nor says why")


def test_docs_hold_the_retention_schedule_printed_from_the_inventory():
    docs = (Path(__file__).parents[2] / "docs" / "privacy.md").read_text()
    assert schedule_markdown() in docs, "run `flask privacy schedule` and paste its table into docs/privacy.md"


def _assert_whole(app, files, rules, key):
    """Each file has the inventory's columns, and every value the database holds for those rows."""
    with app.app_context():
        for table in TABLES:
            rule = rules.get(table.name)
            if not callable(rule):
                assert f"{table.name}.csv" not in files
                continue
            rows = files[f"{table.name}.csv"]
            db_table = Base.metadata.tables[table.name]
            expected = db.session.execute(select(*(db_table.c[c] for c in table.columns)).where(rule(key))).all()
            assert len(rows) == len(expected), table.name
            for column in table.columns:
                in_db = sorted(safe_cell(row._mapping[column]) for row in expected)
                in_file = sorted(row[column] for row in rows)
                assert in_file == in_db, f"{table.name}.{column}"


def test_a_members_download_holds_its_people_answers_reasons_actors_and_history(app, client, auth, everything):
    auth.login("admin@kirkby-youth.example")
    files = _files(client.get(f"/members/{everything.other_member_id}/exports/all-our-data.zip"))
    from timebank.privacy.downloads import _member_rows
    _assert_whole(app, files, _member_rows(), everything.other_member_id)
    people = {row["email"]: row for row in files["users.csv"]}
    assert people[EMAIL]["phone"] == PHONE and "password_hash" not in people[EMAIL]
    assert {"failed_logins", "locked_until", "email_confirmed_at", "last_login_at"} <= set(people[EMAIL])
    assert any(row["email"] == EMAIL and row["status"] == "accepted" for row in files["invitations.csv"])
    assert [row["name"] for row in files["api_tokens.csv"]] == [f"{NAME}'s spreadsheet"]
    assert [(row["topic"], row["by_email"]) for row in files["email_preferences.csv"]] == [("bookings", "no")]
    declined = [row for row in files["exchange_parties.csv"] if row["status"] == "declined"]
    assert declined[0]["reason"] == f"{NAME} is away that month" and declined[0]["responded_at"]
    leg = next(row for row in files["legs.csv"] if row["dispute_reason"])
    assert EMAIL in leg["dispute_reason"] and PHONE in leg["settlement_note"] and leg["settled_by_id"]
    assert all(row["created_by_id"] for row in files["bookings.csv"] + files["loans.csv"])
    assert files["loans.csv"][0]["checked_out_by_id"] == str(everything.user_id)
    assert any(row["created_by_id"] for row in files["ledger_entries.csv"])
    # The booking of Stockbridge's room is recorded under Stockbridge, the lender: Kirkby's history has it too.
    history = files["audit_events.csv"]
    assert any(row["action"] == "booking.created" and row["member_id"] == str(everything.member_id) for row in history)
    assert all(row["actor_id"] is not None and "details" in row for row in history)
    readme = files["README.txt"]
    for name in (n for n in files if n.endswith(".csv")):
        assert name in readme
    assert "Left out: password_hash" in readme and "Left out: token_hash" in readme


def test_every_person_downloads_everything_about_themselves_from_their_account(app, client, auth, everything):
    auth.login(EMAIL, "a-long-password-1")
    assert "Download everything we hold about you" in client.get("/account").get_data(as_text=True)
    response = client.get("/account/my-data.zip")
    assert response.headers["Cache-Control"] == "no-store"
    files = _files(response)
    from timebank.privacy.downloads import _person_rows
    _assert_whole(app, files, _person_rows(), everything.user_id)
    assert [(row["email"], row["phone"]) for row in files["users.csv"]] == [(EMAIL, PHONE)]
    assert len(files["memberships.csv"]) == 3 and files["notifications.csv"] and files["api_tokens.csv"]
    assert {row["email"] for row in files["invitations.csv"]} == {EMAIL, "new.volunteer@example.org"}
    assert files["loans.csv"][0]["checked_out_by_id"] == str(everything.user_id)
    assert any(row["reason"] == f"{NAME} is away that month" for row in files["exchange_parties.csv"])
    assert any(row["actor_id"] == str(everything.user_id) for row in files["audit_events.csv"])
    mentions = files["mentions.csv"]
    assert {"listings", "legs"} <= {row["table"] for row in mentions}
    assert "compliance_records.csv" not in files and "DBS records give a role or initials" in files["README.txt"]


def test_a_coordinator_downloads_a_persons_data_for_a_request_made_by_letter(app, client, auth, everything):
    auth.login("coordinator@oneknowsley.example")
    files = _files(client.get(f"/coordinator/people/{everything.user_id}/data.zip"))
    assert [row["email"] for row in files["users.csv"]] == [EMAIL]
