"""Accounts: sign-up with an emailed confirmation, sign-in with throttling, password reset."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from timebank.accounts.models import Coordinator, User
from timebank.db import utcnow
from timebank.errors import DomainError, NotFound
from timebank.extensions import db
from timebank.notifications.email import external_url, send_email
from timebank.notifications.services import remember_unread, unread_of

MIN_PASSWORD_LENGTH = 10


class AccountLocked(DomainError):
    status_code = 429


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    # scrypt (memory-hard) unless PASSWORD_HASH_METHOD says otherwise; the test suite uses a cheap
    # setting so that hundreds of sign-ins stay fast, and a test checks the default is scrypt.
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the id carries the session version, so a password change ends old sessions.

    Every signed-in page also asks whether the person is a coordinator and counts their unread
    notifications (both for the menu), so one query brings the user, its coordinator row and that
    count, which notifications.services keeps for the rest of the request.
    """
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    row = db.session.execute(select(User, unread_of(User.id).scalar_subquery())
                             .options(joinedload(User.coordinator)).where(User.id == uid)).first()
    if row is None:
        return None
    user, unread = row
    if user.session_version != version or not user.is_active:
        return None
    remember_unread(user, unread or 0)
    return user


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
    """Start a sign-up. The same thing happens whether or not the address is known: an email goes out."""
    existing = find_user(email)
    if existing is None:
        user = create_user(email, password, display_name)
        _send_confirmation(user)
    elif existing.email_confirmed_at is None:
        existing.password_hash = hash_password(password)
        existing.display_name = display_name.strip()
        _send_confirmation(existing)
    else:
        send_email(existing.email, "You already have an account", "account_exists",
                   user=existing, login_url=external_url("auth.login"),
                   reset_url=external_url("auth.forgot_password"))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"])


def make_token(user: User, purpose: str) -> str:
    return _serializer().dumps({"u": user.id, "v": user.session_version}, salt=purpose)


def read_token(token: str, purpose: str, max_age: int) -> User:
    """The user a token was made for; raises NotFound if it is forged, expired or already used."""
    try:
        data = _serializer().loads(token, salt=purpose, max_age=max_age)
    except SignatureExpired as exc:
        raise NotFound("That link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise NotFound("That link is not valid. Check you copied all of it, or ask for a new one.") from exc
    user = db.session.get(User, data.get("u"))
    if user is None or user.session_version != data.get("v") or not user.is_active:
        raise NotFound("That link has already been used. Ask for a new one.")
    return user


def _send_confirmation(user: User) -> None:
    url = external_url("auth.confirm_email", token=make_token(user, "confirm"))
    send_email(user.email, "Confirm your email address", "confirm_email", user=user, url=url)


def confirm_email(token: str) -> User:
    user = read_token(token, "confirm", max_age=7 * 24 * 3600)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User:
    """The user with this email and password, or DomainError with one message for every failure.

    After LOGIN_MAX_FAILURES wrong passwords in a row the account is locked for
    LOGIN_LOCKOUT_SECONDS, whatever password is tried.
    """
    failure = DomainError("Enter a correct email address and password", field="email")
    user = find_user(email)
    now = utcnow()
    if user is None or not user.is_active:
        # Spend the same time as a real check, so timing does not reveal which addresses exist.
        check_password_hash(_DUMMY_HASH, password)
        raise failure
    if user.locked_until and user.locked_until > now:
        raise AccountLocked("Too many attempts to sign in. Wait 15 minutes, then try again, "
                            "or reset your password.", field="email")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"])
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
    """Email a reset link if the address has an account; say nothing either way."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    url = external_url("auth.reset_password", token=make_token(user, "reset"))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    send_email(user.email, "Reset your password", "reset_password", user=user, url=url, minutes=minutes)


def reset_password(token: str, password: str) -> User:
    user = read_token(token, "reset", max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    set_password(user, password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # they proved they read the mailbox
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and end every other session and outstanding link."""
    user.password_hash = hash_password(password)
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None


def make_coordinator(user: User, appointed_by: User | None = None) -> Coordinator:
    if user.coordinator is not None:
        return user.coordinator
    coordinator = Coordinator(user=user, appointed_by_id=appointed_by.id if appointed_by else None)
    db.session.add(coordinator)
    db.session.flush()
    return coordinator
