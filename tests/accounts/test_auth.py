"""Sign-up by emailed link, sign-in with throttling, password reset without user enumeration."""
import re

from sqlalchemy import select

from tests.conftest import PASSWORD
from timebank.accounts.models import User
from timebank.extensions import db


def _link(mailbox, address: str) -> str:
    body = mailbox.body(mailbox.to(address)[-1])
    return re.search(r"http://exchange\.test(/\S+)", body).group(1)


def test_sign_up_sends_a_confirmation_link_that_signs_you_in(client, mailbox):
    response = client.post("/sign-up", data={"display_name": "Ada", "email": "Ada@Example.org",
                                             "password": PASSWORD, "confirm": PASSWORD})
    assert b"Check your email" in response.data
    assert len(mailbox.to("ada@example.org")) == 1
    # Not confirmed yet: signing in is refused with a clear message.
    refused = client.post("/sign-in", data={"email": "ada@example.org", "password": PASSWORD})
    assert b"Confirm your email address first" in refused.data
    link = _link(mailbox, "ada@example.org")
    page = client.get(link)
    assert b"type the password you chose when you signed up" in page.data
    wrong = client.post(link, data={"password": "not the password"})
    assert b"Enter the password you chose when you signed up" in wrong.data
    confirmed = client.post(link, data={"password": PASSWORD}, follow_redirects=True)
    assert b"Your email address is confirmed" in confirmed.data
    assert b"Signed in as <strong>Ada</strong>" in confirmed.data


def test_sign_up_with_a_known_address_looks_the_same_and_warns_the_owner(client, mailbox, make_user):
    make_user("taken@example.org")
    response = client.post("/sign-up", data={"display_name": "Someone", "email": "taken@example.org",
                                             "password": PASSWORD, "confirm": PASSWORD})
    assert b"Check your email" in response.data
    [message] = mailbox.to("taken@example.org")
    assert message["Subject"] == "You already have an account"


def test_bad_sign_up_input_is_shown_beside_fields_and_kept(client, app):
    response = client.post("/sign-up", data={"display_name": "Bea <b>", "email": "not-an-email",
                                             "password": "short", "confirm": "different"})
    page = response.data.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter an email address in the right format" in page
    assert "Password must be at least 10 characters" in page
    assert 'value="not-an-email"' in page
    assert 'value="Bea &lt;b&gt;"' in page  # kept, and escaped
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "not-an-email")) is None


def test_sign_in_and_out(client, auth, make_user):
    make_user("ben@example.org", name="Ben")
    page = auth.login("ben@example.org").data.decode()
    assert "Signed in as Ben" in page
    assert client.get("/dashboard").status_code == 200
    auth.logout()
    assert client.get("/dashboard").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, auth, make_user):
    make_user("cat@example.org")
    wrong = auth.login("cat@example.org", "wrong password").data.decode()
    unknown = auth.login("nobody@example.org", "wrong password").data.decode()
    message = "Enter a correct email address and password"
    assert message in wrong and message in unknown


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, auth, make_user, app):
    make_user("dan@example.org")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("dan@example.org", "wrong password")
    response = auth.login("dan@example.org")
    # The same answer as any wrong password or unknown address (see tests/security/test_accounts.py).
    assert response.status_code == 200
    assert b"Enter a correct email address and password. After 5 wrong passwords in a row" in response.data
    assert client.get("/dashboard").status_code == 302


def test_password_reset_link_works_once(client, auth, mailbox, make_user):
    make_user("eve@example.org")
    response = client.post("/forgot-password", data={"email": "eve@example.org"})
    assert b"Check your email" in response.data
    link = _link(mailbox, "eve@example.org")
    new_password = "a brand new password"
    done = client.post(link, data={"password": new_password, "confirm": new_password}, follow_redirects=True)
    assert b"Your password has been changed" in done.data
    auth.logout()
    assert b"Enter a correct email" in auth.login("eve@example.org", PASSWORD).data
    assert b"Signed in as" in auth.login("eve@example.org", new_password).data
    reused = client.get(link)
    assert reused.status_code == 404
    assert b"already been used" in reused.data


def test_password_reset_for_an_unknown_address_says_the_same_and_tells_the_mailbox(client, mailbox):
    response = client.post("/forgot-password", data={"email": "ghost@example.org"})
    assert b"If <strong>ghost@example.org</strong> has an account" in response.data
    [message] = mailbox.to("ghost@example.org")  # one email either way, so timing says nothing either
    assert "there is no account with this address" in mailbox.body(message)
    assert "/reset-password/" not in mailbox.body(message)


def test_a_forged_reset_link_is_refused(client):
    response = client.get("/reset-password/not-a-real-token")
    assert response.status_code == 404
    assert b"not valid" in response.data


def test_next_parameter_cannot_send_you_off_site(client, make_user):
    make_user("fay@example.org")
    response = client.post("/sign-in?next=https://evil.example/", data={"email": "fay@example.org",
                                                                         "password": PASSWORD})
    assert response.headers["Location"] == "/dashboard"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user("gus@example.org")
    response = client.post("/sign-in", data={"email": "gus@example.org", "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_create_coordinator_command(runner, app):
    result = runner.invoke(args=["create-coordinator", "boss@example.org", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
        assert user.is_coordinator


def test_passwords_are_hashed_with_scrypt_by_default(app):
    from timebank.accounts.services import hash_password
    from timebank.config import from_environment

    assert from_environment()["PASSWORD_HASH_METHOD"] == "scrypt"
    app.config["PASSWORD_HASH_METHOD"] = from_environment()["PASSWORD_HASH_METHOD"]
    with app.app_context():
        hashed = hash_password("correct horse battery")
    assert hashed.startswith("scrypt:") and "correct horse" not in hashed
