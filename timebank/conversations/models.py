"""A message in an exchange's conversation."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import utcnow
from timebank.extensions import db

if TYPE_CHECKING:
    from timebank.accounts.models import User
    from timebank.exchanges.models import Exchange
    from timebank.members.models import Member

MAX_LENGTH = 2000


class Message(db.Model):
    """One message, kept with its exchange (deleted with it) and written for one of its members,
    or by a coordinator (`member_id` None). Plain text: pages escape it, nothing renders it."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"length(body) BETWEEN 1 AND {MAX_LENGTH}", name="body_length"),
        Index("ix_messages_exchange_at", "exchange_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    exchange: Mapped[Exchange] = relationship()
    author: Mapped[User | None] = relationship()
    member: Mapped[Member | None] = relationship()
