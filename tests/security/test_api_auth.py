"""Attacks through the API: guessing tokens, and a member confirming help it recorded itself.

Each test is the attack, as an outside tester ran it against a fresh install.
"""
import secrets

from sqlalchemy import select

from timebank import create_app
from timebank.accounts.models import User
from timebank.db import today
from timebank.extensions import db, limiter
from timebank.members.models import Membership


def _limited(app):
    limited = create_app({**app.config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    limiter.reset()
    return limited.test_client()


def test_made_up_tokens_from_one_address_are_limited(app, api_token):
    client = _limited(app)
    guesses = [client.get("/api/v1/me", headers={"Authorization": f"Bearer tbk_{secrets.token_urlsafe(32)}"},
                          environ_base={"REMOTE_ADDR": "203.0.113.66"}).status_code for _ in range(130)]
    assert guesses[:10] == [401] * 10
    assert set(guesses[10:]) == {429}
    refused = client.get("/api/v1/me", headers={"Authorization": "Bearer tbk_another-guess"},
                         environ_base={"REMOTE_ADDR": "203.0.113.66"})
    assert refused.content_type == "application/problem+json" and refused.get_json()["status"] == 429
    # A system at another address, with its real token, carries on.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"},
                      environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 200
    limiter.reset()


def test_requests_without_a_token_count_as_failures_too(app):
    client = _limited(app)
    answers = [client.get("/api/v1/me", environ_base={"REMOTE_ADDR": "203.0.113.67"}).status_code for _ in range(12)]
    assert answers[:10] == [401] * 10 and answers[10:] == [429, 429]
    limiter.reset()


def test_good_requests_do_not_use_up_the_failure_allowance(app, api_token):
    client = _limited(app)
    answers = [client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"},
                          environ_base={"REMOTE_ADDR": "203.0.113.68"}).status_code for _ in range(30)]
    assert answers == [200] * 30
    limiter.reset()


# -- only the other side confirms recorded help -----------------------------------------------------

def _record(client, token, member_id, other_id, *, we_gave=False):
    return client.post("/api/v1/exchanges", headers={"Authorization": f"Bearer {token}"}, json={
        "member_id": member_id, "other_member_id": other_id, "we_gave": we_gave, "kind": "time", "hours": 3,
        "description": "Helped us at the food bank", "happened_on": today().isoformat()})


def _balance(client, token, member_id) -> float:
    return client.get(f"/api/v1/members/{member_id}/balance", headers={"Authorization": f"Bearer {token}"}
                      ).get_json()["balance"]


def test_a_member_cannot_confirm_help_it_recorded_itself_through_the_api(app, client, api_member, make_member,
                                                                         make_user):
    recorder_id, _, token = api_member
    other_id, other_admin = make_member("The Helper")
    recorded = _record(client, token, recorder_id, other_id)  # "The Helper helped us for 3 hours"
    assert recorded.status_code == 201
    exchange = recorded.get_json()
    leg_id = exchange["legs"][0]["id"]
    headers = {"Authorization": f"Bearer {token}"}
    confirm = client.post(f"/api/v1/legs/{leg_id}/confirm", headers=headers, json={"actual_hours": 3})
    assert confirm.status_code == 409
    assert "said to be wrong, by the organisation that did not" in confirm.get_json()["detail"]
    accept = client.post(f"/api/v1/proposals/{exchange['id']}/accept", headers=headers, json={})
    assert accept.status_code in (403, 409)
    dispute = client.post(f"/api/v1/legs/{leg_id}/dispute", headers=headers, json={"reason": "never mind"})
    assert dispute.status_code == 409
    got = client.get(f"/api/v1/exchanges/{exchange['id']}", headers=headers).get_json()
    assert got["status"] == "proposed" and got["legs"][0]["status"] == "delivered"
    assert _balance(client, token, recorder_id) == 0


def test_a_member_cannot_confirm_help_it_recorded_itself_on_the_web(app, client, auth, make_member):
    recorder_id, _ = make_member("Recorder", admin_email="recorder@example.org")
    other_id, _ = make_member("Helper")
    auth.login("recorder@example.org")
    client.post(f"/members/{recorder_id}/record-help", data={
        "other_member_id": other_id, "direction": "got", "kind": "time", "hours": "3", "people": "1",
        "description": "Helped us at the food bank", "happened_on": today().isoformat()})
    from timebank.exchanges.models import Leg

    with app.app_context():
        leg = db.session.scalar(select(Leg))
        assert leg is not None and leg.receiver_member_id == recorder_id
        leg_id, exchange_id = leg.id, leg.exchange_id
    page = client.get(f"/exchanges/{exchange_id}").get_data(as_text=True)
    assert f"/legs/{leg_id}/confirm" not in page
    refused = client.post(f"/legs/{leg_id}/confirm", data={"actual_hours": "3", "actual_people": "1"})
    assert "said to be wrong, by the organisation that did not" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Leg, leg_id).status == "delivered"


def test_the_person_who_recorded_help_cannot_confirm_it_for_the_other_side(app, client, api_member, make_member):
    recorder_id, recorder_user, token = api_member
    other_id, _ = make_member("Both Sides")
    with app.app_context():  # the same person is staff of the other member too
        db.session.add(Membership(member_id=other_id, user_id=recorder_user, role="staff", status="active"))
        db.session.commit()
    exchange = _record(client, token, recorder_id, other_id).get_json()
    headers = {"Authorization": f"Bearer {token}"}
    accept = client.post(f"/api/v1/proposals/{exchange['id']}/accept", headers=headers, json={"member_id": other_id})
    assert accept.status_code == 403
    assert "someone else at Both Sides must answer it" in accept.get_json()["detail"]
    assert _balance(client, token, recorder_id) == 0


def test_the_other_side_confirms_recorded_help_and_credits_move(app, client, api_member, make_member):
    recorder_id, _, token = api_member
    other_id, other_admin = make_member("Willing Helper")
    exchange = _record(client, token, recorder_id, other_id).get_json()
    from timebank.accounts import tokens

    with app.test_request_context():
        _, other_token = tokens.create_token(db.session.get(User, other_admin), name="Theirs", scope="read-write")
        db.session.commit()
    accept = client.post(f"/api/v1/proposals/{exchange['id']}/accept", headers={"Authorization": f"Bearer {other_token}"},
                         json={})
    assert accept.status_code == 200 and accept.get_json()["status"] == "completed"
    assert _balance(client, other_token, other_id) == 3
    assert _balance(client, token, recorder_id) == -3
