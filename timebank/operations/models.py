"""The outcome of each run of a daily job, which metrics and `flask jobs list` report."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import in_list, utcnow
from timebank.extensions import db

JOB_OUTCOMES = ("ok", "failed")


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint(in_list("outcome", JOB_OUTCOMES), name="outcome_known"),
        Index("ix_job_runs_name_started_at", "name", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(10))
    # What the job did ("12 listings expired") or why it failed; never personal data.
    detail: Mapped[str] = mapped_column(String(300), default="")
