"""People who sign in, and the coordinators among them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db

if TYPE_CHECKING:
    from timebank.members.models import Membership


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_confirmed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")
    coordinator: Mapped[Coordinator | None] = relationship(
        back_populates="user", foreign_keys="Coordinator.user_id"
    )

    # The secret of the login session this request runs in (set by accounts.sessions; never stored).
    session_secret = None  # type: str | None

    def get_id(self) -> str | None:
        """What Flask-Login keeps in the session and remember cookies: the login session's secret, not the user id."""
        return self.session_secret

    @property
    def is_coordinator(self) -> bool:
        return self.coordinator is not None

    @property
    def is_active(self) -> bool:
        return self.erased_at is None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Coordinator(db.Model):
    """A One Knowsley staff member: vets members, runs the matcher, approves exchanges."""

    __tablename__ = "coordinators"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    appointed_at: Mapped[datetime] = mapped_column(default=utcnow)
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="coordinator", foreign_keys=[user_id])


class LoginSession(db.Model):
    """One signed-in browser. Its cookie holds a random secret; the database keeps its SHA-256.

    Ending the row ends the session, whatever cookie the browser (or a thief) still holds:
    signing out, changing the password, "sign out everywhere" and erasure end rows.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


LINK_PURPOSES = ("confirm", "reset")


class AccountLink(db.Model):
    """An emailed link to confirm a sign-up or reset a password: random, stored hashed, expiring, used once.

    Each sign-up makes its own link carrying the name and password (hashed) typed in that sign-up,
    so confirming one sign-up can never give the account another sign-up's password.
    """

    __tablename__ = "account_links"
    __table_args__ = (CheckConstraint(in_list("purpose", LINK_PURPOSES), name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A sign-up's own choices, cleared when the link is used or another sign-up is confirmed.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
