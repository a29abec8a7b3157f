"""The coordinators' policy for direct exchanges: which of them wait for a coordinator's approval.

A coordinator chooses, on the coordinators' pages (and it is audited), whether the direct
exchanges members agree between themselves need approval: all of them, none, or only some: those
above a number of hours, those involving a room or equipment, those where a requirement (a DBS
check, insurance) is claimed. An accepted direct exchange that needs none is scheduled at the
dates its members agreed, by the same code and the same rules as an approval (credits held by the
credit rule, DBS cover counted per person, rooms and items never double-booked).

Until a coordinator has saved a policy, every direct exchange needs approval.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from timebank.accounts.access import require_coordinator
from timebank.audit.services import record
from timebank.db import in_list, utcnow
from timebank.errors import DomainError
from timebank.extensions import db

APPROVAL_CHOICES = {
    "all": "Every direct exchange needs a coordinator's approval",
    "none": "None: members agree between themselves",
    "some": "Only some: those I choose below",
}
MAX_HOURS = Decimal(10000)


class DirectPolicy(db.Model):
    """The one row of the coordinators' policy for direct exchanges."""

    __tablename__ = "direct_exchange_policy"
    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint(in_list("approval", APPROVAL_CHOICES), name="approval_known"),
        CheckConstraint("over_hours IS NULL OR over_hours > 0", name="over_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    approval: Mapped[str] = mapped_column(String(8), default="all")
    # With "some": above this many person-hours (or days of equipment); None means no limit by hours.
    over_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    rooms_and_equipment: Mapped[bool] = mapped_column(default=True)
    requirements: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Policy:
    """The policy as plain values (what the pages and the API show)."""

    approval: str = "all"
    over_hours: Decimal | None = None
    rooms_and_equipment: bool = True
    requirements: bool = True
    updated_at: datetime | None = None

    def describe(self) -> str:
        if self.approval != "some":
            return APPROVAL_CHOICES[self.approval]
        parts = []
        if self.over_hours is not None:
            parts.append(f"more than {self.over_hours.normalize():f} hours")
        if self.rooms_and_equipment:
            parts.append("a room or equipment")
        if self.requirements:
            parts.append("a requirement such as a DBS check or insurance")
        if not parts:
            return "None: members agree between themselves"
        return "Direct exchanges need a coordinator's approval when they involve " + _listed(parts)


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"


def current() -> Policy:
    row = db.session.get(DirectPolicy, 1)
    if row is None:
        return Policy()
    return Policy(row.approval, row.over_hours, row.rooms_and_equipment, row.requirements, row.updated_at)


def set_policy(coordinator, *, approval: str, over_hours: Decimal | None = None, rooms_and_equipment: bool = False,
               requirements: bool = False) -> Policy:
    """A coordinator changes the policy; the audit log keeps what it was and what it became."""
    require_coordinator(coordinator, "change the policy")
    if approval not in APPROVAL_CHOICES:
        raise DomainError("Choose which direct exchanges need your approval", field="approval")
    if over_hours is not None:
        over_hours = Decimal(over_hours)
        if not Decimal(0) < over_hours <= MAX_HOURS:
            raise DomainError("Enter a number of hours between 0.25 and 10,000, or leave it blank",
                              field="over_hours")
    if approval != "some":
        over_hours, rooms_and_equipment, requirements = None, False, False
    before = current()
    row = db.session.get(DirectPolicy, 1)
    if row is None:
        row = DirectPolicy(id=1)
        db.session.add(row)
    row.approval, row.over_hours = approval, over_hours
    row.rooms_and_equipment, row.requirements = bool(rooms_and_equipment), bool(requirements)
    row.updated_by_id, row.updated_at = coordinator.id, utcnow()
    db.session.flush()
    after = current()
    record(coordinator, "policy.direct_exchanges", row, f"Direct exchanges: {after.describe()}",
           before=_plain(before), after=_plain(after))
    return after


def _plain(policy: Policy) -> dict:
    return {"approval": policy.approval, "over_hours": None if policy.over_hours is None else str(policy.over_hours),
            "rooms_and_equipment": policy.rooms_and_equipment, "requirements": policy.requirements}


def approval_reasons(exchange, policy: Policy | None = None) -> list[str]:
    """Why this direct exchange needs a coordinator's approval, in words; empty when it needs none."""
    policy = policy or current()
    if policy.approval == "all":
        return ["the coordinators approve every direct exchange"]
    if policy.approval == "none":
        return []
    reasons = []
    legs = [leg for leg in exchange.legs if leg.status != "cancelled"]
    amount = sum((Decimal(leg.hours) * leg.people for leg in legs), Decimal(0))
    if policy.over_hours is not None and amount > policy.over_hours:
        reasons.append(f"it is more than {policy.over_hours.normalize():f} hours")
    if policy.rooms_and_equipment and any(leg.kind in ("room", "equipment") for leg in legs):
        reasons.append("it involves a room or equipment")
    if policy.requirements and any(leg.dbs_level or leg.insurance_needed for leg in legs):
        reasons.append("a requirement (a DBS check or insurance) is claimed")
    return reasons
