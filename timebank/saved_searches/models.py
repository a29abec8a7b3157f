"""A person's saved directory searches, each emailed weekly with the listings posted since."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.accounts.models import User
from timebank.db import in_list, utcnow
from timebank.extensions import db
from timebank.listings.models import DAYS, DIRECTIONS, KINDS

# The distances the directory offers ("within 5 km"), in km.
DISTANCES = (1, 2, 5, 10, 25)
# The days of the week the directory's "Can happen on" offers, as its query string says them.
WEEKDAYS = tuple(day.lower() for day in DAYS)


class SavedSearch(db.Model):
    """The directory's filters as a person chose them, and when its last digest covered up to."""

    __tablename__ = "saved_searches"
    __table_args__ = (
        CheckConstraint(f"kind IS NULL OR {in_list('kind', KINDS)}", name="kind_known"),
        CheckConstraint(f"direction IS NULL OR {in_list('direction', DIRECTIONS)}", name="direction_known"),
        CheckConstraint(f"within_km IS NULL OR within_km IN ({', '.join(map(str, DISTANCES))})", name="within_known"),
        CheckConstraint("(postcode IS NULL) = (within_km IS NULL)", name="within_goes_with_postcode"),
        CheckConstraint(f"day IS NULL OR {in_list('day', WEEKDAYS)}", name="day_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    keyword: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str | None] = mapped_column(String(16))
    direction: Mapped[str | None] = mapped_column(String(8))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    town: Mapped[str | None] = mapped_column(String(60))
    ward: Mapped[str | None] = mapped_column(String(60))
    postcode: Mapped[str | None] = mapped_column(String(8))
    within_km: Mapped[int | None]
    # "Can happen on": only listings that can happen on this day of the week.
    day: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The next digest lists the matching listings posted after this moment.
    covered_until: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<SavedSearch {self.id} {self.name!r}>"
