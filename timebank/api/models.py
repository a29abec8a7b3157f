"""The API's own tables: the answers kept for Idempotency-Key retries, and the origins allowed by CORS."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import utcnow
from timebank.extensions import db


class IdempotentRequest(db.Model):
    """A POST sent with an Idempotency-Key, and the answer it got (kept a day, per token).

    The row is added in the same transaction as the request's own changes, before them: a second
    request with the same key waits for the first to commit (the unique key), then gets its answer.
    A request that failed leaves no row, so the same key may be used again.
    """

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (
        UniqueConstraint("token_id", "key", name="uq_api_idempotent_requests_token_key"),
        Index("ix_api_idempotent_requests_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AllowedOrigin(db.Model):
    """A web origin (scheme, host and port) whose pages may call the API from a browser (CORS)."""

    __tablename__ = "api_allowed_origins"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(255), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
