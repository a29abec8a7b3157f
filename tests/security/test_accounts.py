"""Attacks on accounts: taking one over before it is confirmed, reusing and reading emailed links,
and finding out which addresses have accounts.

Each test is the attack, as an outside tester ran it against a fresh install. Timing is not
asserted here (bench/account_timing.py measures it); what makes the time equal is: each path does
the same password-hash work, which these tests count.
"""
import base64
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from timebank.accounts import passwords, services
from timebank.accounts.models import AccountLink, User
from timebank.db import utcnow
from timebank.extensions import db
from timebank.members.models import Invitation

VICTIM, ATTACKER = "victim's own password", "attacker's password"


def _links(mailbox, address: str) -> list[str]:
    return [re.search(r"http://exchange\.test(/\S+)", mailbox.body(m)).group(1) for m in mailbox.to(address)
            if re.search(r"http://exchange\.test/(confirm-email|reset-password|invitations)/", mailbox.body(m))]


def _sign_up(client, email: str, name: str, password: str):
    return client.post("/sign-up", data={"display_name": name, "email": email, "password": password,
                                         "confirm": password})


def _signs_in(app, email: str, password: str) -> bool:
    response = app.test_client().post("/sign-in", data={"email": email, "password": password})
    return response.status_code == 302


# -- taking over an account before it is confirmed ------------------------------------------------

def test_signing_up_again_with_someone_elses_address_does_not_change_their_account(app, client, mailbox):
    _sign_up(client, "owner@example.org", "Olive Owner", VICTIM)
    _sign_up(app.test_client(), "owner@example.org", "Mallory", ATTACKER)
    first, second = _links(mailbox, "owner@example.org")
    # The owner clicks the link from the first email, as in the report.
    page = client.post(first, data={"password": VICTIM}, follow_redirects=True)
    assert b"Your email address is confirmed" in page.data and b"Olive Owner" in page.data
    assert not _signs_in(app, "owner@example.org", ATTACKER)
    assert _signs_in(app, "owner@example.org", VICTIM)
    # And the attacker's link is dead.
    assert app.test_client().get(second).status_code == 404


def test_signing_up_first_with_someone_elses_address_gives_the_attacker_nothing(app, client, mailbox):
    _sign_up(app.test_client(), "early@example.org", "Mallory", ATTACKER)
    _sign_up(client, "early@example.org", "Eve Early", VICTIM)
    attackers, owners = _links(mailbox, "early@example.org")
    # The owner might click the attacker's email by mistake: without its password it confirms nothing.
    refused = client.post(attackers, data={"password": VICTIM})
    assert b"Enter the password you chose when you signed up" in refused.data
    client.post(owners, data={"password": VICTIM})
    with app.app_context():
        assert db.session.scalar(select(User.display_name).where(User.email == "early@example.org")) == "Eve Early"
    assert not _signs_in(app, "early@example.org", ATTACKER)
    assert _signs_in(app, "early@example.org", VICTIM)


def test_an_unconfirmed_sign_up_cannot_take_an_invitation_for_its_address(app, client, auth, make_member, mailbox):
    member_id, _ = make_member("Inviting Group", admin_email="inviter@example.org")
    _sign_up(app.test_client(), "invitee@example.org", "Mallory", ATTACKER)  # before the invitation
    auth.login("inviter@example.org")
    client.post(f"/members/{member_id}/people/invite", data={"email": "invitee@example.org", "role": "admin"})
    auth.logout()
    [invitation] = [link for link in _links(mailbox, "invitee@example.org") if "/invitations/" in link]
    joined = client.post(invitation, data={"display_name": "Ivy Invitee", "password": VICTIM, "confirm": VICTIM},
                         follow_redirects=True)
    assert b"Welcome to Inviting Group" in joined.data
    assert not _signs_in(app, "invitee@example.org", ATTACKER)
    assert _signs_in(app, "invitee@example.org", VICTIM)


# -- emailed links --------------------------------------------------------------------------------

def test_a_confirmation_link_works_once(app, client, mailbox):
    _sign_up(client, "once@example.org", "Oona", VICTIM)
    [link] = _links(mailbox, "once@example.org")
    client.post(link, data={"password": VICTIM})
    client.post("/sign-out")
    reused = app.test_client().post(link, data={"password": VICTIM})
    assert reused.status_code == 404 and b"already been used" in reused.data
    assert app.test_client().get(link).status_code == 404


def test_a_confirmation_link_expires(app, client, mailbox):
    _sign_up(client, "late@example.org", "Lee", VICTIM)
    [link] = _links(mailbox, "late@example.org")
    with app.app_context():
        db.session.execute(update(AccountLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    expired = client.post(link, data={"password": VICTIM})
    assert expired.status_code == 404 and b"expired" in expired.data


def test_a_reset_link_expires_and_a_new_password_kills_the_others(app, client, make_user, mailbox):
    make_user("resets@example.org")
    client.post("/forgot-password", data={"email": "resets@example.org"})
    client.post("/forgot-password", data={"email": "resets@example.org"})
    first, second = _links(mailbox, "resets@example.org")
    client.post(second, data={"password": "a new long password", "confirm": "a new long password"})
    assert app.test_client().get(first).status_code == 404  # the older link died with the change
    client.post("/forgot-password", data={"email": "resets@example.org"})
    third = _links(mailbox, "resets@example.org")[-1]
    with app.app_context():
        db.session.execute(update(AccountLink).where(AccountLink.used_at.is_(None))
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert b"expired" in app.test_client().get(third).data


def test_an_invitation_link_expires(app, client, auth, make_member, mailbox):
    member_id, _ = make_member("Slow Group", admin_email="slow@example.org")
    auth.login("slow@example.org")
    client.post(f"/members/{member_id}/people/invite", data={"email": "later@example.org", "role": "staff"})
    [link] = _links(mailbox, "later@example.org")
    with app.app_context():
        db.session.execute(update(Invitation).values(created_at=utcnow() - timedelta(days=15)))
        db.session.commit()
    assert b"expired" in app.test_client().get(link).data


def _readable(token: str) -> str:
    """Whatever an eavesdropper can read out of a token: its base64 parts, decoded."""
    text = token
    for part in re.split(r"[.:]", token):
        try:
            text += base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("latin-1")
        except ValueError:
            pass
    return text


def test_links_in_emails_carry_nothing_readable(app, client, auth, make_member, make_user, mailbox):
    member_id, admin_id = make_member("Link Group", admin_email="links.admin@example.org")
    user_id = make_user("reader@example.org")
    _sign_up(app.test_client(), "newbie@example.org", "Nell", VICTIM)
    app.test_client().post("/forgot-password", data={"email": "reader@example.org"})
    auth.login("links.admin@example.org")
    client.post(f"/members/{member_id}/people/invite", data={"email": "guest@example.org", "role": "staff"})
    tokens = {email: _links(mailbox, email)[-1].rsplit("/", 1)[1]
              for email in ("newbie@example.org", "reader@example.org", "guest@example.org")}
    with app.app_context():
        newbie = db.session.scalar(select(User.id).where(User.email == "newbie@example.org"))
    for email, token in tokens.items():
        readable = _readable(token)
        assert email not in readable and email.split("@")[0] not in readable, email
        assert f'"u":{user_id}' not in readable and f'"u":{newbie}' not in readable and '"e":' not in readable
        assert len(token) >= 43  # 32 random bytes
    assert len(set(tokens.values())) == 3


@pytest.mark.parametrize("path", ["/confirm-email/{}", "/reset-password/{}", "/invitations/{}"])
def test_a_made_up_link_is_refused(client, path):
    response = client.get(path.format("A" * 43))
    assert response.status_code == 404


# -- which addresses have accounts ----------------------------------------------------------------

def _answer(response) -> tuple[int, str]:
    page = response.get_data(as_text=True)
    page = re.sub(r'name="csrf_token" value="[^"]*"', "", page)  # differs on every page
    return response.status_code, re.sub(r'value="[^"]*@[^"]*"', 'value=""', page)


def test_a_locked_account_answers_like_an_unknown_address(app, make_user):
    make_user("locked@example.org")
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/sign-in", data={"email": "locked@example.org", "password": "wrong password"})
    locked = client.post("/sign-in", data={"email": "locked@example.org", "password": "wrong password"})
    unknown = app.test_client().post("/sign-in", data={"email": "nobody@example.org", "password": "wrong password"})
    assert _answer(locked) == _answer(unknown)
    assert locked.status_code == 200


class _Counting:
    """Counts calls of a password-hash function (the slow part of each path), calling the real one."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def test_sign_in_does_one_password_check_whoever_is_asked_about(app, make_user, monkeypatch):
    make_user("known@example.org")
    check = _Counting(passwords.check)
    monkeypatch.setattr(passwords, "check", check)
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):  # the last one is locked
        for email in ("known@example.org", "nobody@example.org"):
            before = check.calls
            client.post("/sign-in", data={"email": email, "password": "wrong password"})
            assert check.calls - before == 1, email


def test_sign_up_for_a_registered_address_looks_and_works_like_a_new_one(app, make_user, mailbox, monkeypatch):
    make_user("registered@example.org")
    hashing = _Counting(passwords.make_hash)
    monkeypatch.setattr(passwords, "make_hash", hashing)
    answers = []
    for email in ("registered@example.org", "brand.new@example.org"):
        before, sent = hashing.calls, len(mailbox.messages)
        response = _sign_up(app.test_client(), email, "Someone", VICTIM)
        answers.append(_answer(response)[0])
        assert hashing.calls - before == 1, email  # the same hashing work either way
        assert len(mailbox.messages) - sent == 1, email  # and one email either way
    assert answers == [200, 200]


def test_password_reset_sends_one_email_whether_or_not_there_is_an_account(client, make_user, mailbox):
    make_user("has.account@example.org")
    pages = [client.post("/forgot-password", data={"email": email}) for email in
             ("has.account@example.org", "no.account@example.org")]
    assert [page.status_code for page in pages] == [200, 200]
    assert len(mailbox.to("has.account@example.org")) == 1 and len(mailbox.to("no.account@example.org")) == 1
