"""A matcher run: who started it, its policy, its progress, and what it found."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.exchanges.models import Exchange
from timebank.extensions import db

RUN_STATUSES = ("queued", "running", "done", "failed")
IN_PROGRESS = ("queued", "running")


class MatcherRun(db.Model):
    """One run of the matcher, started by a coordinator, done in the background."""

    __tablename__ = "matcher_runs"
    __table_args__ = (
        CheckConstraint(in_list("status", RUN_STATUSES), name="status_known"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    policy: Mapped[dict] = mapped_column(JSON, default=dict)
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(300), default="Waiting to start")
    # Figures the run reports: objective, gap, timings, needs met at K = 2, 3, 4, 6 ...
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    # The exchanges it proposed (Exchange.run_id); an exchange knows its run only by id, so that
    # exchanges/ never needs the matcher.
    exchanges: Mapped[list[Exchange]] = relationship(order_by=Exchange.id, viewonly=True)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS
