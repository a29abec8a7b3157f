"""Plain-English error pages; a server error rolls back and shows no traceback."""
from sqlalchemy import select

from timebank.extensions import db
from timebank.members.models import Member


def test_404_is_plain_english(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_500_rolls_back_and_shows_a_friendly_page(app, make_member):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    member_id, _ = make_member("Before The Crash")

    @app.route("/boom")
    def boom():
        db.session.get(Member, member_id).name = "Half Saved"
        db.session.flush()
        raise RuntimeError("something broke")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.data
    assert b"RuntimeError" not in response.data
    with app.app_context():
        assert db.session.scalar(select(Member.name).where(Member.id == member_id)) == "Before The Crash"
