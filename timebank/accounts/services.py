"""Accounts: sign-up with an emailed confirmation, sign-in with throttling, password reset."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from timebank.accounts import passwords
from timebank.accounts.models import AccountLink, Coordinator, User
from timebank.accounts.sessions import end_sessions
from timebank.db import utcnow
from timebank.errors import DomainError, NotFound
from timebank.extensions import db
from timebank.notifications.email import external_url, send_email
from timebank.accounts.hashing import hash_secret

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    # scrypt (memory-hard) unless PASSWORD_HASH_METHOD says otherwise; the test suite uses a cheap
    # setting so that hundreds of sign-ins stay fast, and a test checks the default is scrypt.
    return passwords.make_hash(password, current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, display_name: str, *, confirmed: bool = False) -> User:
    """Create an account. Seeds and invitations pass confirmed=True; sign-up confirms by email."""
    email = normalise_email(email)
    if find_user(email) is not None:
        raise DomainError("An account with that email address already exists", field="email")
    user = User(email=email, password_hash=hash_password(password), display_name=display_name.strip(),
                email_confirmed_at=utcnow() if confirmed else None)
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(email: str, password: str, display_name: str) -> None:
    """Start a sign-up. Whether or not the address is known, the same work is done and one email goes out.

    A new address gets an unconfirmed account. Each sign-up of an unconfirmed address makes its own
    link carrying the name and password typed in it: the account is changed only when that link is
    used, with that password typed again (`confirm_email`), so signing up again with someone
    else's address never changes their account. A confirmed address's owner is told instead.
    """
    email = normalise_email(email)
    password_hash = hash_password(password)  # on every path, so the time taken says nothing
    display_name = display_name.strip()
    existing = find_user(email)
    if existing is not None and existing.email_confirmed_at is not None:
        send_email(existing.email, "You already have an account", "account_exists",
                   user=existing, login_url=external_url("auth.login"),
                   reset_url=external_url("auth.forgot_password"))
        return
    user = existing
    if user is None:
        user = User(email=email, password_hash=password_hash, display_name=display_name)
        db.session.add(user)
        db.session.flush()
    secret = make_link(user, "confirm", CONFIRM_MAX_AGE, password_hash=password_hash, display_name=display_name)
    send_email(email, "Confirm your email address", "confirm_email", name=display_name, days=CONFIRM_MAX_AGE // 86400,
               url=external_url("auth.confirm_email", token=secret))


# -- emailed links -------------------------------------------------------------------------------

CONFIRM_MAX_AGE = 7 * 24 * 3600  # seconds a sign-up's confirmation link works for


def make_link(user: User, purpose: str, max_age: int, **sign_up) -> str:
    """A new emailed link for `user`; returns its secret, which only the email holds."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(AccountLink(user_id=user.id, purpose=purpose, secret_hash=hash_secret(secret), created_at=now,
                               expires_at=now + timedelta(seconds=max_age), **sign_up))
    db.session.flush()
    return secret


def read_link(secret: str, purpose: str) -> AccountLink:
    """The live link with this secret; NotFound (saying why) if it is unknown, used or expired."""
    link = db.session.scalar(select(AccountLink).where(
        AccountLink.secret_hash == hash_secret(secret or ""), AccountLink.purpose == purpose)) \
        if secret and len(secret) <= 100 else None
    if link is None:
        raise NotFound("That link is not valid. Check you copied all of it, or ask for a new one.")
    user = db.session.get(User, link.user_id)
    if link.used_at is not None or not user.is_active:
        raise NotFound("That link has already been used. Ask for a new one.")
    if link.expires_at <= utcnow():
        raise NotFound("That link has expired. Ask for a new one.")
    return link


def _use_links(user: User, *purposes: str) -> None:
    """Every live link of `user` for these purposes stops working; sign-ups' choices are forgotten."""
    db.session.execute(update(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.purpose.in_(purposes), AccountLink.used_at.is_(None))
        .values(used_at=utcnow(), password_hash=None, display_name=None))


def confirm_email(secret: str, password: str) -> User:
    """Confirm the sign-up this link was sent for: its name and password become the account's.

    The password typed at that sign-up must be typed again, so a link sent for someone else's
    sign-up with your address (which you might click) cannot sign you in to an account they know
    the password of.
    """
    link = read_link(secret, "confirm")
    if not passwords.check(link.password_hash or _DUMMY_HASH, password or ""):
        raise DomainError("Enter the password you chose when you signed up", field="password")
    user = db.session.get(User, link.user_id)
    user.password_hash, user.display_name = link.password_hash, link.display_name or user.display_name
    user.email_confirmed_at = utcnow()
    _use_links(user, "confirm")
    return user


def claim_unconfirmed(user: User, password: str, display_name: str) -> User:
    """An unconfirmed account is taken by someone who proved they read its mailbox (an invitation link)."""
    user.password_hash = hash_password(password)
    user.display_name = display_name.strip()
    user.email_confirmed_at = utcnow()
    _use_links(user, "confirm")
    end_sessions(user)
    return user


def authenticate(email: str, password: str) -> User:
    """The user with this email and password, or DomainError with one message for every failure.

    After LOGIN_MAX_FAILURES wrong passwords in a row the account is locked for
    LOGIN_LOCKOUT_SECONDS, whatever password is tried. An unknown address, a wrong password and a
    locked account get the same message, status and work (one password check), so neither the
    answer nor its timing says which addresses have accounts.
    """
    config = current_app.config
    failure = DomainError(f"Enter a correct email address and password. After {config['LOGIN_MAX_FAILURES']} wrong "
                          f"passwords in a row, an account waits {config['LOGIN_LOCKOUT_SECONDS'] // 60} minutes "
                          "before it can be signed in to again.", field="email")
    user = find_user(email)
    now = utcnow()
    known = user is not None and user.is_active
    password_ok = passwords.check(user.password_hash if known else _DUMMY_HASH, password or "")
    if not known:
        raise failure
    if user.locked_until and user.locked_until > now:
        raise failure
    if not password_ok:
        user.failed_logins += 1
        if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"])
            user.failed_logins = 0
        raise failure
    if user.email_confirmed_at is None:
        raise DomainError("Confirm your email address first: we sent you a link when you signed up",
                          field="email")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


_DUMMY_HASH = generate_password_hash("not a real password")


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account, and say there is none if not (one email either way)."""
    email = normalise_email(email)
    user = find_user(email)
    if user is None or not user.is_active:
        send_email(email, "Resetting a password", "no_account", signup_url=external_url("auth.signup"))
        return
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    url = external_url("auth.reset_password", token=make_link(user, "reset", max_age))
    send_email(user.email, "Reset your password", "reset_password", user=user, url=url, minutes=max_age // 60)


def reset_password(secret: str, password: str) -> User:
    user = db.session.get(User, read_link(secret, "reset").user_id)
    set_password(user, password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # they proved they read the mailbox
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and end every session and outstanding link of the account."""
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    _use_links(user, "confirm", "reset")
    end_sessions(user)


def make_coordinator(user: User, appointed_by: User | None = None) -> Coordinator:
    if user.coordinator is not None:
        return user.coordinator
    coordinator = Coordinator(user=user, appointed_by_id=appointed_by.id if appointed_by else None)
    db.session.add(coordinator)
    db.session.flush()
    return coordinator
