"""The migration that minimised DBS data: numbers removed, holders as roles or initials, one person each."""
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from timebank import create_app

BEFORE, AFTER = "0b86794a22b6", "bb2b9e909e56"


def test_existing_dbs_records_lose_numbers_and_names_and_count_one_person(database_server):
    name, url = database_server.new_database(empty=True)
    engine = create_engine(url)
    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision=BEFORE)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO members (id, name, type, description, areas_served, postcode, town, latitude, longitude,"
                " status, credit_limit, created_at) VALUES (1, 'Kirkby Food Bank', 'charity', '', '', 'L32 8RR',"
                " 'Kirkby', 53.48, -2.89, 'active', 10, '2026-11-01 10:00:00')"))
            for holder, kind in [("Jane Smith", "dbs"), ("Jane", "dbs"), ("Volunteer driver", "dbs"),
                                 ("Mary-Ann O'Neill", "dbs"), (None, "insurance")]:
                connection.execute(text(
                    "INSERT INTO compliance_records (member_id, kind, dbs_level, certificate_number, holder, insurer,"
                    " issued_on, expires_on, created_at) VALUES (1, :kind, :level, :number, :holder, :insurer,"
                    " '2026-11-01', :expires, '2026-11-01 10:00:00')"),
                    {"kind": kind, "level": "enhanced" if kind == "dbs" else None,
                     "number": "001234567890" if kind == "dbs" else None, "holder": holder,
                     "insurer": "Community Mutual" if kind == "insurance" else None,
                     "expires": "2027-11-01" if kind == "insurance" else None})
        with app.app_context():
            upgrade(revision=AFTER)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT kind, holder, people, certificate_number FROM compliance_records"
                                           " ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [
            ("dbs", "J.S.", 1, None), ("dbs", "J.", 1, None), ("dbs", "Volunteer driver", 1, None),
            ("dbs", "M.O.", 1, None), ("insurance", None, None, None)]
    finally:
        engine.dispose()
        database_server.drop_database(name)
