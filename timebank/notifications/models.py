"""In-app notifications and each person's email preferences."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import in_list, utcnow
from timebank.extensions import db

# What a notification is about; a person can turn email off per topic (the in-app list always shows it).
TOPICS = {
    "proposals": "New proposed exchanges and answers to them",
    "messages": "New messages in your exchanges' conversations",
    "exchanges": "Approvals, scheduling, deliveries and disputes",
    "bookings": "Room bookings and equipment loans, and reminders",
    "ledger": "Time credits posted, adjusted or donated",
    "members": "Vetting, invitations and requests to join",
    "listings": "Your listings: a week before one comes down from the directory",
}


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        CheckConstraint(in_list("topic", TOPICS), name="topic_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class EmailPreference(db.Model):
    """A topic a person has turned email off (or back on) for; no row means email is on."""

    __tablename__ = "email_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "topic"),
        CheckConstraint(in_list("topic", TOPICS), name="topic_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(20))
    by_email: Mapped[bool] = mapped_column(default=True)
