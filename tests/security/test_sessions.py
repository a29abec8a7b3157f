"""Attacks on sessions and the secret key: forged cookies, cookies that outlive signing out, cached pages.

Each test is the attack, as an outside tester ran it against a fresh install (`scripts/serve`).
"""
import os
import re
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
    app = served_like_scripts_serve
    client = app.test_client()
    # The control: a cookie signed with the app's own key for a live session opens the page.
    _set_session(client, app.secret_key, _live_session(app, coordinator_id))
    assert client.get("/coordinator/").status_code == 200
    for user_id in (f"{coordinator_id}:1", str(coordinator_id)):
        _set_session(client, OLD_PUBLIC_KEY, user_id)
        response = client.get("/coordinator/")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def _set_session(client, key: str, user_id: str) -> None:
    client.set_cookie("session", _forged_session(key, {"_user_id": user_id, "_fresh": True}),
                      domain=client.application.config["SERVER_NAME"])


def _live_session(app, user_id: int) -> str:
    from timebank.accounts.models import User
    from timebank.accounts.sessions import start_session
    from timebank.extensions import db

    with app.test_request_context():
        secret = start_session(db.session.get(User, user_id))
        db.session.commit()
    return secret


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


# -- sessions end on the server -------------------------------------------------------------------

def _cookie(client, name: str) -> str:
    cookie = client.get_cookie(name, domain=client.application.config["SERVER_NAME"])
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _opens_account(app, **cookies) -> bool:
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value, domain=app.config["SERVER_NAME"])
    return thief.get("/account").status_code == 200


def _signed_in(app, email: str, *, remember: bool = False):
    from tests.conftest import PASSWORD

    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "remember": "y" if remember else ""})
    assert response.status_code == 302
    return client


def test_a_saved_session_cookie_stops_working_at_sign_out(app, make_user):
    make_user("leaver@example.org")
    client = _signed_in(app, "leaver@example.org")
    saved = _cookie(client, "session")
    assert _opens_account(app, session=saved)
    client.post("/sign-out")
    assert not _opens_account(app, session=saved)


def test_a_saved_keep_me_signed_in_cookie_stops_working_at_sign_out(app, make_user):
    make_user("rememberer@example.org")
    client = _signed_in(app, "rememberer@example.org", remember=True)
    remembered = _cookie(client, "remember_token")
    assert _opens_account(app, remember_token=remembered)  # alone, it signs a new browser in
    client.post("/sign-out")
    assert not _opens_account(app, remember_token=remembered)


def test_the_keep_me_signed_in_cookie_lasts_30_days_not_a_year(app, make_user):
    make_user("month@example.org")
    client = app.test_client()
    from tests.conftest import PASSWORD

    response = client.post("/sign-in", data={"email": "month@example.org", "password": PASSWORD, "remember": "y"})
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    from email.utils import parsedate_to_datetime
    from datetime import datetime, timezone

    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    days = (expires - datetime.now(timezone.utc)).days
    assert 29 <= days <= 30


def test_a_new_password_ends_every_other_session(app, make_user, mailbox):
    make_user("changer@example.org")
    laptop = _signed_in(app, "changer@example.org", remember=True)
    saved = {"session": _cookie(laptop, "session"), "remember_token": _cookie(laptop, "remember_token")}
    phone = app.test_client()
    phone.post("/forgot-password", data={"email": "changer@example.org"})
    link = re.search(r"http://exchange\.test(/\S+)", mailbox.body(mailbox.to("changer@example.org")[-1])).group(1)
    phone.post(link, data={"password": "a brand new password", "confirm": "a brand new password"})
    assert phone.get("/account").status_code == 200  # the device that changed it stays signed in
    assert laptop.get("/account").status_code == 302
    assert not _opens_account(app, **saved)
    assert not _opens_account(app, remember_token=saved["remember_token"])


def test_sign_out_everywhere_ends_every_session_of_the_account(app, make_user):
    make_user("everywhere@example.org")
    office = _signed_in(app, "everywhere@example.org", remember=True)
    lost_phone = _signed_in(app, "everywhere@example.org", remember=True)
    stolen = {"remember_token": _cookie(lost_phone, "remember_token")}
    assert b"signed in on 2 devices" in office.get("/account").data
    done = office.post("/sign-out-everywhere", follow_redirects=True)
    assert b"You have signed out on every device (2 in all)" in done.data
    assert lost_phone.get("/account").status_code == 302
    assert office.get("/account").status_code == 302
    assert not _opens_account(app, **stolen)


def test_an_erased_persons_saved_cookies_open_nothing(app, make_user):
    make_user("erased@example.org")
    make_user("coordinator@example.org", coordinator=True)
    person = _signed_in(app, "erased@example.org", remember=True)
    saved = {"session": _cookie(person, "session"), "remember_token": _cookie(person, "remember_token")}
    coordinator = _signed_in(app, "coordinator@example.org")
    with app.app_context():
        from sqlalchemy import select

        from timebank.accounts.models import LoginSession, User
        from timebank.extensions import db

        user_id = db.session.scalar(select(User.id).where(User.email == "erased@example.org"))
    coordinator.post(f"/coordinator/people/{user_id}/erase", data={"reason": "Asked by email", "confirm": "yes"})
    with app.app_context():
        assert db.session.scalar(select(User.erased_at).where(User.id == user_id)) is not None
        # Erasure deletes the person's sessions (sign-in records are theirs): none is left live.
        assert db.session.scalars(select(LoginSession.id).where(LoginSession.user_id == user_id,
                                                                LoginSession.ended_at.is_(None))).all() == []
    assert not _opens_account(app, **saved)


def test_a_person_removed_from_a_member_cannot_go_on_using_its_pages(app, make_member, make_user):
    from sqlalchemy import select

    from timebank.accounts.models import User
    from timebank.extensions import db
    from timebank.members.models import Membership

    member_id, _ = make_member("Removing Group", admin_email="remover@example.org")
    staff_id = make_user("removed@example.org")
    with app.app_context():
        membership = Membership(member_id=member_id, user_id=staff_id, role="staff", status="active")
        db.session.add(membership)
        db.session.commit()
        membership_id = membership.id
    staff = _signed_in(app, "removed@example.org")
    assert staff.get(f"/members/{member_id}/people").status_code == 200
    admin = _signed_in(app, "remover@example.org")
    admin.post(f"/members/{member_id}/people/{membership_id}/remove")
    with app.app_context():
        assert db.session.scalar(select(Membership).where(Membership.user_id == staff_id)) is None
        assert db.session.get(User, staff_id) is not None
    assert staff.get(f"/members/{member_id}/people").status_code in (403, 404)
    assert staff.get(f"/members/{member_id}/listings/new").status_code in (403, 404)


def test_a_session_ends_when_it_expires(app, make_user):
    from sqlalchemy import update

    from timebank.accounts.models import LoginSession
    from timebank.db import utcnow
    from timebank.extensions import db

    make_user("expiring@example.org")
    client = _signed_in(app, "expiring@example.org")
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=utcnow()))
        db.session.commit()
    assert client.get("/account").status_code == 302


def test_a_cookie_forged_with_the_real_key_still_names_no_session(app, make_user):
    """Even someone holding SECRET_KEY cannot sign in as a person: the cookie must name a live session."""
    user_id = make_user("keyholder@example.org", coordinator=True)
    client = app.test_client()
    _set_session(client, app.secret_key, _live_session(app, user_id))
    assert client.get("/coordinator/").status_code == 200  # the control
    for forged in (str(user_id), f"{user_id}:1", "A" * 43):
        _set_session(client, app.secret_key, forged)
        assert client.get("/coordinator/").status_code == 302
