"""The app starts on each database, answers /healthz with a real round trip, and shows error pages."""
import os

from timebank import create_app


def test_healthz_reports_the_database_it_checked(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": backend}


def test_healthz_is_503_when_the_database_cannot_be_reached(database_server, backend, tmp_path):
    if backend == "sqlite":
        # A directory where the database file should be: every connection fails.
        os.makedirs(tmp_path / "db.sqlite3")
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        name, url = database_server.new_database(empty=True)
        database_server.drop_database(name)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_foreign_keys_are_enforced_on_every_database(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from timebank.extensions import db
    from timebank.members.models import Membership

    with app.app_context():
        db.session.add(Membership(user_id=999_999, member_id=999_999, role="staff", status="active"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
