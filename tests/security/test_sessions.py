"""Attacks on sessions and the secret key: forged cookies, cookies that outlive signing out, cached pages.

Each test is the attack, as an outside tester ran it against a fresh install (`scripts/serve`).
"""
import os
import stat

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from timebank import config, create_app

# The key every install ran on before it made its own (it was written in the source).
OLD_PUBLIC_KEY = "dev-only-not-secret"


def _forged_session(secret: str, payload: dict) -> str:
    forger = Flask("forger")
    forger.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


@pytest.fixture()
def served_like_scripts_serve(app, monkeypatch):
    """The app as `scripts/serve` builds it: no SECRET_KEY anywhere (on the test's database)."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TIMEBANK_ENV", raising=False)
    settings = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "MAIL_BACKEND", "MAIL_SERVER",
                                                 "MAIL_PORT", "SERVER_NAME", "BASE_URL", "PASSWORD_HASH_METHOD",
                                                 "RATELIMIT_ENABLED")}
    return create_app({**settings, "SECRET_KEY": None})


def test_a_cookie_forged_with_the_old_public_key_opens_nothing(served_like_scripts_serve, make_user):
    coordinator_id = make_user("coordinator@example.org", coordinator=True)
    assert served_like_scripts_serve.secret_key != OLD_PUBLIC_KEY
    client = served_like_scripts_serve.test_client()
    for user_id in (f"{coordinator_id}:1", str(coordinator_id)):
        client.set_cookie("session", _forged_session(OLD_PUBLIC_KEY, {"_user_id": user_id, "_fresh": True}))
        response = client.get("/coordinator/")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_generated_key_is_random_private_and_kept(tmp_path):
    first = config.instance_secret(tmp_path / "one")
    assert first == config.instance_secret(tmp_path / "one")  # kept across restarts
    assert first != config.instance_secret(tmp_path / "two")  # each install its own
    assert len(first) >= config.MIN_SECRET_KEY_LENGTH
    mode = stat.S_IMODE(os.stat(tmp_path / "one" / "secret_key").st_mode)
    assert mode == 0o600


def test_without_its_own_key_the_app_answers_only_this_machine(served_like_scripts_serve):
    client = served_like_scripts_serve.test_client()
    assert client.get("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    refused = client.get("/", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert refused.status_code == 503
    assert b"SECRET_KEY" in refused.data
    api = client.get("/api/v1/me", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert api.status_code == 503 and api.content_type == "application/problem+json"


@pytest.mark.parametrize("weak", [OLD_PUBLIC_KEY, "short", "test-secret"])
def test_a_public_or_short_key_is_refused_beyond_this_machine(app, weak):
    weak_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                           "SECRET_KEY": weak})
    assert weak_app.test_client().get("/", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 503


def test_with_its_own_key_the_app_answers_other_machines(client):
    assert client.get("/", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


@pytest.mark.parametrize("weak", [OLD_PUBLIC_KEY, "a-real-secret-for-this-test"])
def test_production_refuses_to_start_on_a_public_or_short_key(app, monkeypatch, weak):
    monkeypatch.setenv("TIMEBANK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be at least"):
        create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})


def test_signed_in_pages_are_not_stored_by_browsers_or_caches(client, auth, make_user):
    make_user("cache@example.org")
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")  # public pages may be kept
    auth.login("cache@example.org")
    for path in ("/dashboard", "/account", "/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_api_reads_are_not_stored(client, api_token):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
