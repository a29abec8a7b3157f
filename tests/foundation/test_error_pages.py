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


def test_domain_errors_a_view_does_not_catch_become_pages_and_undo_the_request(app, make_member):
    """A loader's NotFound is the 404 page, NotAllowed the 403 page with its reason, any other rule a
    page with its message and status; whatever the request changed before is not saved."""
    from timebank.errors import Conflict, NotAllowed, NotFound

    member_id, _ = make_member("Unchanged")
    raised = {"missing": NotFound("There is no exchange 9 of yours"),
              "refused": NotAllowed("Only a coordinator can open this page"),
              "taken": Conflict("Someone answered this already")}

    @app.route("/raise/<what>", methods=["POST"])
    def raise_it(what):
        db.session.get(Member, member_id).name = "Half Saved"
        db.session.flush()
        raise raised[what]

    client = app.test_client()
    missing = client.post("/raise/missing")
    assert missing.status_code == 404 and b"Page not found" in missing.data
    refused = client.post("/raise/refused")
    assert refused.status_code == 403 and b"Only a coordinator can open this page." in refused.data
    taken = client.post("/raise/taken")
    assert taken.status_code == 409 and b"Someone answered this already." in taken.data
    with app.app_context():
        assert db.session.scalar(select(Member.name).where(Member.id == member_id)) == "Unchanged"


def test_a_refusal_inside_a_formless_domain_errors_block_is_the_403_page_not_a_flash(app, make_member):
    """`with domain_errors():` (no form) flashes a rule over the redirect, but a refusal is answered as one."""
    from flask import redirect

    from timebank.errors import Conflict, NotAllowed
    from timebank.main.forms import domain_errors

    member_id, _ = make_member("Unchanged")
    raised = {"refused": NotAllowed("Only its author can delete it"), "taken": Conflict("It is already gone")}

    @app.route("/formless/<what>", methods=["POST"])
    def formless(what):
        with domain_errors():
            db.session.get(Member, member_id).name = "Half Saved"
            db.session.flush()
            raise raised[what]
        return redirect("/")

    client = app.test_client()
    refused = client.post("/formless/refused")
    assert refused.status_code == 403 and b"Only its author can delete it." in refused.data
    taken = client.post("/formless/taken", follow_redirects=True)
    assert taken.status_code == 200 and b"It is already gone" in taken.data
    with app.app_context():
        assert db.session.scalar(select(Member.name).where(Member.id == member_id)) == "Unchanged"


def test_the_api_still_answers_domain_errors_as_problems(client):
    response = client.get("/api/v1/exchanges/999999", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.content_type.startswith("application/problem+json")
