"""Exchanges: parties, legs, change requests, and remembered declines.

An Exchange is one cycle, gift chain or direct pair (or a direct exchange members record
themselves). Each Leg is one member giving one thing to another. Each Party is a member's
say in the exchange: it accepts or declines its part. The lifecycle:

    proposed -> accepted (every party) -> approved (coordinator) -> scheduled -> completed
            \\-> voided (a party declined)   \\-> rejected (coordinator)   \\-> expired (unanswered)
                                                                   \\-> cancelled (coordinator, or a party withdrew)

A scheduled matcher run whose policy says "wait for review" stores its proposals as `held`:
members neither see nor hear of them until a coordinator sends them on (`proposed`) or rejects them.

A direct exchange (`asked_by_member_id` set) is a pair one member asked for from a listing
(`timebank/exchanges/direct.py`): the asker has accepted the terms it proposed, the other side
accepts, declines or counter-proposes, and the coordinators' policy (`timebank/exchanges/policy.py`)
says whether, once accepted, it waits for approval or is scheduled at the agreed dates by itself.

How an approved exchange is paid for (credits reserved at approval, a ring settled net when its
last leg is confirmed) is in `timebank/exchanges/settlement.py` and docs/ledger.md.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import in_list, utcnow
from timebank.extensions import db
from timebank.notifications.links import Page

if TYPE_CHECKING:
    from timebank.listings.models import Listing
    from timebank.members.models import Member

SHAPES = {"cycle": "Exchange ring", "chain": "Gift chain", "pair": "Direct pair", "direct": "Recorded exchange"}
EXCHANGE_STATUSES = ("held", "proposed", "accepted", "approved", "scheduled", "completed", "voided", "rejected",
                     "expired", "cancelled")
LIVE_EXCHANGE_STATUSES = ("held", "proposed", "accepted", "approved", "scheduled")
# Once every member has accepted an exchange, they see each other's contact details; a proposal
# (from the matcher, or anyone's direct ask) shows none.
CONTACT_STATUSES = ("accepted", "approved", "scheduled")
PARTY_STATUSES = ("pending", "accepted", "declined")
LEG_STATUSES = ("proposed", "scheduled", "delivered", "confirmed", "disputed", "cancelled")


class Exchange(db.Model):
    __tablename__ = "exchanges"
    __table_args__ = (
        CheckConstraint(in_list("shape", SHAPES), name="shape_known"),
        CheckConstraint(in_list("status", EXCHANGE_STATUSES), name="status_known"),
        Index("ix_exchanges_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The matcher run that proposed it (timebank/matcher/models.py), None for a recorded exchange.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("matcher_runs.id", ondelete="SET NULL"), index=True)
    shape: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    story: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal(0))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Why the coordinator scheduled outside the window the listings share (None when it did not).
    schedule_override_reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]
    # The member that asked for it from a listing (a direct exchange); None for the matcher's.
    asked_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    # Optimistic locking: two coordinators approving at once cannot both win.
    version: Mapped[int] = mapped_column(default=1)

    asked_by: Mapped[Member | None] = relationship(foreign_keys=[asked_by_member_id])
    parties: Mapped[list[Party]] = relationship(back_populates="exchange", order_by="Party.id",
                                                cascade="all, delete-orphan")
    legs: Mapped[list[Leg]] = relationship(back_populates="exchange", order_by="Leg.position",
                                           cascade="all, delete-orphan")
    change_requests: Mapped[list[ChangeRequest]] = relationship(back_populates="exchange",
                                                                order_by="ChangeRequest.id",
                                                                cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def shape_label(self) -> str:
        return SHAPES[self.shape]

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_EXCHANGE_STATUSES

    @property
    def is_direct(self) -> bool:
        """Asked for from a listing by a member (not proposed by the matcher, not recorded help)."""
        return self.asked_by_member_id is not None


class Party(db.Model):
    """A member's say in an exchange: it accepts or declines its own part."""

    __tablename__ = "exchange_parties"
    __table_args__ = (
        UniqueConstraint("exchange_id", "member_id"),
        CheckConstraint(in_list("status", PARTY_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)

    exchange: Mapped[Exchange] = relationship(back_populates="parties")
    member: Mapped[Member] = relationship()


class Leg(db.Model):
    """One member giving one thing to another within an exchange."""

    __tablename__ = "legs"
    __table_args__ = (
        UniqueConstraint("exchange_id", "position"),
        CheckConstraint(in_list("status", LEG_STATUSES), name="status_known"),
        CheckConstraint("giver_member_id != receiver_member_id", name="giver_is_not_receiver"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("people >= 1", name="people_positive"),
        CheckConstraint("actual_hours IS NULL OR actual_hours > 0", name="actual_hours_positive"),
        CheckConstraint("actual_people IS NULL OR actual_people >= 1", name="actual_people_positive"),
        CheckConstraint("proposed_end IS NULL OR proposed_end > proposed_start", name="proposed_dates_ordered"),
        Index("ix_legs_offer", "offer_listing_id"),
        Index("ix_legs_need", "need_listing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    position: Mapped[int]
    giver_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    receiver_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    # A matched leg serves a need with an offer; a recorded (direct) leg may have neither.
    offer_listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="RESTRICT"))
    need_listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(String(300))
    # Planned amount: hours (time, skill, room) or days (equipment); people for time.
    hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    people: Mapped[int] = mapped_column(default=1)
    is_gift: Mapped[bool] = mapped_column(default=False)
    score: Mapped[Decimal] = mapped_column(Numeric(10, 3), default=Decimal(0))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    # A direct exchange's dates as asked for or counter-proposed (UK clock), until it is scheduled.
    proposed_start: Mapped[datetime | None]
    proposed_end: Mapped[datetime | None]
    # What the help must have beyond its need listing's requirements (asked for directly).
    min_dbs_level: Mapped[str | None] = mapped_column(String(20))
    needs_insurance: Mapped[bool] = mapped_column(default=False, server_default=false())
    actual_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    actual_people: Mapped[int | None]
    delivered_at: Mapped[datetime | None]
    # The day the help happened (UK): what the ledger and the reports date it by.
    happened_on: Mapped[date | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    # The giver's side of a dispute, asked for when the receiver disputes.
    giver_side: Mapped[str | None] = mapped_column(Text)
    giver_side_at: Mapped[datetime | None]
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    settlement_note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    exchange: Mapped[Exchange] = relationship(back_populates="legs")
    giver: Mapped[Member] = relationship(foreign_keys=[giver_member_id])
    receiver: Mapped[Member] = relationship(foreign_keys=[receiver_member_id])
    offer: Mapped[Listing | None] = relationship(foreign_keys=[offer_listing_id])
    need: Mapped[Listing | None] = relationship(foreign_keys=[need_listing_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def dbs_level(self) -> str | None:
        """The DBS level the giver's people must hold: the leg's own, else its need's."""
        return self.min_dbs_level or (self.need.min_dbs_level if self.need is not None else None)

    @property
    def insurance_needed(self) -> bool:
        return self.needs_insurance or (self.need is not None and self.need.needs_insurance)

    @property
    def credits(self) -> Decimal:
        """Time credits this leg moves from receiver to giver when confirmed (0 for gifts and assets)."""
        if self.is_gift or self.kind not in ("time", "skill"):
            return Decimal(0)
        hours = self.actual_hours if self.actual_hours is not None else self.hours
        people = self.actual_people if self.actual_people is not None else self.people
        return Decimal(hours) * people


class ChangeRequest(db.Model):
    """A party asks the coordinators to change an approved exchange (or one leg of it)."""

    __tablename__ = "exchange_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"), index=True)
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("legs.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    exchange: Mapped[Exchange] = relationship(back_populates="change_requests")
    member: Mapped[Member] = relationship()
    leg: Mapped[Leg | None] = relationship()


class DeclinedPair(db.Model):
    """An offer and a need that were proposed together and declined: never proposed together again."""

    __tablename__ = "declined_pairs"
    __table_args__ = (UniqueConstraint("offer_listing_id", "need_listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    need_listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    declined_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    exchange_id: Mapped[int | None] = mapped_column(ForeignKey("exchanges.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def title(exchange: Exchange) -> str:
    """How notifications name an exchange: "Exchange ring 12 (A, B and C)"."""
    names = [p.member.name for p in exchange.parties]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{exchange.shape_label} {exchange.id} ({listed})"


def exchange_page(exchange: Exchange | int, anchor: str | None = None) -> Page:
    """The exchange's page (notifications link to it, and opening it marks them read)."""
    return Page("exchanges.detail", exchange_id=exchange if isinstance(exchange, int) else exchange.id, anchor=anchor)
