"""Login sessions held on the server: every signed-in browser is a row that can be ended.

The session cookie (and the "keep me signed in" cookie) carry only the session's random secret;
`load_user` finds the row by the secret's SHA-256 and refuses an ended or expired one. So signing
out, changing the password, "sign out everywhere" and erasing a person end sessions at once,
whatever cookies are still out there, and a cookie signed with a stolen SECRET_KEY names no user.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, g
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import joinedload

from timebank.accounts.models import LoginSession, User
from timebank.db import utcnow
from timebank.extensions import db
from timebank.notifications.services import remember_unread, unread_of
from timebank.accounts.hashing import hash_secret


def lifetime(remember: bool) -> timedelta:
    config = current_app.config
    return timedelta(days=config["REMEMBER_DAYS"]) if remember else timedelta(hours=config["SESSION_HOURS"])


def start_session(user: User, *, remember: bool = False) -> str:
    """A new login session for `user`; returns its secret (what the cookie will hold)."""
    now = utcnow()
    # The person's ended and expired sessions are of no more use: keep the table to live ones.
    db.session.execute(delete(LoginSession).where(
        LoginSession.user_id == user.id, or_(LoginSession.ended_at.is_not(None), LoginSession.expires_at <= now)))
    secret = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, secret_hash=hash_secret(secret), remember=remember,
                                created_at=now, expires_at=now + lifetime(remember)))
    db.session.flush()
    return secret


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a session and give this browser its cookie (the caller commits)."""
    user.session_secret = start_session(user, remember=remember)
    login_user(user, remember=remember, duration=lifetime(remember))


def end_sessions(user: User) -> int:
    """End every session of `user` (sign out everywhere, a new password, erasure); returns how many."""
    result = db.session.execute(update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)).values(ended_at=utcnow()))
    return result.rowcount


def sign_out() -> None:
    """End this browser's session on the server and clear its cookies (the caller commits)."""
    current_user._get_current_object()  # loads the session (from either cookie), noting its row in g
    session_id = g.get("login_session_id")
    if session_id is not None:
        db.session.execute(update(LoginSession).where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
                           .values(ended_at=utcnow()))
    logout_user()


def sign_out_everywhere(user: User) -> int:
    count = end_sessions(user)
    logout_user()
    return count


def load_user(secret: str) -> User | None:
    """Flask-Login's loader: the user of the live session with this secret, or None.

    Every signed-in page also asks whether the person is a coordinator and counts their unread
    notifications (both for the menu), so one query brings the session's user, its coordinator
    row and that count, which notifications.services keeps for the rest of the request.
    """
    if not secret or len(secret) > 100:
        return None
    row = db.session.execute(
        select(User, unread_of(User.id).scalar_subquery(), LoginSession.id)
        .join(LoginSession, LoginSession.user_id == User.id)
        .options(joinedload(User.coordinator))
        .where(LoginSession.secret_hash == hash_secret(secret), LoginSession.ended_at.is_(None),
               LoginSession.expires_at > utcnow())).first()
    if row is None:
        return None
    user, unread, session_id = row
    if not user.is_active:
        return None
    user.session_secret = secret
    g.login_session_id = session_id
    remember_unread(user, unread or 0)
    return user


def live_sessions(user: User) -> int:
    """How many browsers are signed in to the account now."""
    return db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None), LoginSession.expires_at > utcnow()))
