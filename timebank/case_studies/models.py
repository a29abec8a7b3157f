"""Case studies: a short outcome or quote a member attaches to help in a completed exchange, shown
in reports only once the other side of that help has agreed (and never after it withdraws)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db

if TYPE_CHECKING:
    from timebank.exchanges.models import Leg
    from timebank.members.models import Member

CASE_STUDY_KINDS = {"outcome": "An outcome: what changed because of this help", "quote": "A quote: what someone said about it"}
CONSENT_STATUSES = {"asked": "Waiting for their answer", "given": "Agreed: shown in reports",
                    "refused": "Not agreed: not shown", "withdrawn": "Agreement withdrawn: not shown"}
MAX_TEXT = 600


class CaseStudy(db.Model):
    """One member's outcome or quote about one part (leg) of a completed exchange it gave or received."""

    __tablename__ = "case_studies"
    __table_args__ = (
        UniqueConstraint("leg_id", "author_member_id"),
        CheckConstraint(in_list("kind", CASE_STUDY_KINDS), name="kind_known"),
        CheckConstraint(in_list("consent", CONSENT_STATUSES), name="consent_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leg_id: Mapped[int] = mapped_column(ForeignKey("legs.id", ondelete="CASCADE"), index=True)
    author_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(MAX_TEXT))
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The other side of the help: asked when the text is written or changed; only "given" is shown.
    consent: Mapped[str] = mapped_column(String(16), default="asked")
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_at: Mapped[datetime | None]

    leg: Mapped[Leg] = relationship()
    author: Mapped[Member] = relationship()

    @property
    def other_member_id(self) -> int:
        """The member whose agreement it needs: the other side of the help."""
        return self.leg.receiver_member_id if self.leg.giver_member_id == self.author_member_id \
            else self.leg.giver_member_id

    @property
    def other(self) -> Member:
        return self.leg.receiver if self.leg.giver_member_id == self.author_member_id else self.leg.giver

    @property
    def shown(self) -> bool:
        return self.consent == "given"

    @property
    def consent_label(self) -> str:
        return CONSENT_STATUSES[self.consent]
