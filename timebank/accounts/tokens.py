"""A person's personal access tokens for the JSON API: made and revoked on the web or through the API, stored hashed.

They live with accounts, the people who own them: the API reads them to know who is calling, and
privacy erases and expires them, neither through the other.

A token is shown once, when it is made. The database keeps only its SHA-256 (a 32-byte random
secret needs no slow hash: nobody can guess it, so a fast one is as safe and costs nothing per
request) and a short prefix so that people can tell their tokens apart.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.db import in_list, utcnow
from timebank.errors import Conflict, DomainError, NotAllowed, NotFound
from timebank.extensions import db
from timebank.accounts.hashing import hash_secret

SCOPES = {
    "read": "Read only: see your organisations' data",
    "read-write": "Read and write: post listings, answer proposals, confirm help, book",
    "coordinator": "Coordinator: everything, and the coordinators' operations",
}
TOKEN_PREFIX = "tbk_"
# last_used_at is written at most this often, so that reading the API does not write on every call.
TOUCH_EVERY = timedelta(minutes=1)


class ApiToken(db.Model):
    """A person's personal access token: scoped read, read-write or coordinator; revocable."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(in_list("scope", SCOPES), name="scope_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16), default="read")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope in ("read-write", "coordinator")

    @property
    def scope_label(self) -> str:
        return SCOPES[self.scope].split(":")[0]


def hash_token(secret: str) -> str:
    return hash_secret(secret)


def create_token(user: User, *, name: str, scope: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it and its secret, which is never shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Enter a name, so you can tell your tokens apart", field="name")
    if len(name) > 80:
        raise DomainError("Name must be 80 characters or fewer", field="name")
    if scope not in SCOPES:
        raise DomainError("Choose what the token may do", field="scope")
    if scope == "coordinator" and not user.is_coordinator:
        raise NotAllowed("Only coordinators can make a coordinator token", field="scope")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, scope=scope, token_hash=hash_token(secret),
                     prefix=secret[:len(TOKEN_PREFIX) + 6])
    db.session.add(token)
    db.session.flush()
    record(user, "api_token.created", token, f"{user.display_name} made the API token \u201c{name}\u201d ({scope})")
    return token, secret


def load_token(token_id: int, user: User) -> ApiToken:
    """One of the person's own tokens; anyone else's is as good as missing."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"You have no token {token_id}")
    return token


def revoke_token(token: ApiToken, user: User) -> ApiToken:
    """Stop a token working at once. People revoke only their own tokens."""
    if token.user_id != user.id:
        raise NotAllowed("You can only revoke your own tokens")
    if token.revoked_at is not None:
        raise Conflict(f"\u201c{token.name}\u201d is already revoked")
    token.revoked_at = utcnow()
    db.session.flush()
    record(user, "api_token.revoked", token, f"{user.display_name} revoked the API token \u201c{token.name}\u201d")
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, working ones first, newest first."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                             ApiToken.id.desc())))


def find_active_token(secret: str) -> ApiToken | None:
    """The working token with this secret, whose person is not erased; None otherwise."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def touch(token: ApiToken, now: datetime | None = None) -> bool:
    """Note that the token was used; True when that changed the row (the caller commits)."""
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        return True
    return False
