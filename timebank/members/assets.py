"""A member's rooms and equipment: what can be booked out or lent, and on what terms."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from timebank.accounts.models import User
from timebank.audit import services as audit
from timebank.db import today
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.extensions import db
from timebank.members.access import can_act_for
from timebank.members.compliance import WARN_DAYS
from timebank.members.models import (ASSET_KINDS, BOOK_AHEAD_DAYS, EQUIPMENT_CONDITIONS, LONGEST_BOOKING_HOURS,
                                     LONGEST_LOAN_DAYS, Asset, Member)


ASSET_FIELDS = {
    "room": ("name", "description", "capacity", "step_free", "facilities", "opening_hours", "book_ahead_days",
             "longest_booking_hours"),
    "equipment": ("name", "description", "condition", "electrical", "pat_tested_on", "pat_result", "pat_due_on",
                  "deposit", "insurance_required", "book_ahead_days", "longest_loan_days"),
}


def _bound(values: dict, name: str, limits: tuple[int, int], words: str) -> None:
    """An owner's bound: left out it is the default; otherwise a whole number from 1 to the most allowed."""
    value = values.get(name)
    if value is None:
        values[name] = limits[0]
    elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits[1]:
        raise DomainError(f"Enter {words} between 1 and {limits[1]:,}", field=name)


def _clean_asset(kind: str, fields: dict) -> dict:
    if kind not in ASSET_KINDS:
        raise DomainError("Choose room or equipment", field="kind")
    values = {name: fields.get(name) for name in ASSET_FIELDS[kind]}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    if not values["name"]:
        raise DomainError("Enter a name for it", field="name")
    values["description"] = values["description"] or ""
    _bound(values, "book_ahead_days", BOOK_AHEAD_DAYS, "how many days ahead it can be booked,")
    if kind == "room":
        _bound(values, "longest_booking_hours", LONGEST_BOOKING_HOURS, "the longest booking in hours,")
    else:
        _bound(values, "longest_loan_days", LONGEST_LOAN_DAYS, "the longest loan in days,")
    if kind == "room":
        if not values["capacity"] or values["capacity"] < 1:
            raise DomainError("Enter how many people the room holds", field="capacity")
        values["step_free"] = bool(values["step_free"])
        values["facilities"] = values["facilities"] or ""
        values["opening_hours"] = values["opening_hours"] or ""
        return values
    if values["condition"] not in EQUIPMENT_CONDITIONS:
        raise DomainError("Choose the condition it is in", field="condition")
    if values["deposit"] is not None and values["deposit"] < 0:
        raise DomainError("Enter a deposit of £0 or more", field="deposit")
    values["electrical"] = bool(values["electrical"])
    values["insurance_required"] = bool(values["insurance_required"])
    if not values["electrical"]:
        values.update(pat_tested_on=None, pat_result=None, pat_due_on=None)
        return values
    values["pat_result"] = values["pat_result"] or None
    if values["pat_result"] not in (None, "pass", "fail"):
        raise DomainError("Choose pass or fail", field="pat_result")
    tested, due = values["pat_tested_on"], values["pat_due_on"]
    if (tested is None) != (values["pat_result"] is None):
        raise DomainError("Enter both the date of the last PAT test and its result, or neither",
                          field="pat_tested_on" if tested is None else "pat_result")
    if tested is not None and tested > today():
        raise DomainError("The PAT test date must be today or in the past", field="pat_tested_on")
    if tested is not None and due is None:
        raise DomainError("Enter when the next PAT test is due", field="pat_due_on")
    if tested is not None and due <= tested:
        raise DomainError("The next test must be due after the last one", field="pat_due_on")
    return values


def add_asset(member: Member, actor: User, **fields) -> Asset:
    """Record a room or an item of equipment the member can book out or lend."""
    if not can_act_for(actor, member):
        raise NotAllowed("You can only add assets to your own organisation")
    kind = fields.get("kind")
    asset = Asset(member_id=member.id, kind=kind, **_clean_asset(kind, fields))
    db.session.add(asset)
    db.session.flush()
    audit.record(actor, "asset.added", asset, f"{actor.display_name} added {asset.name} to {member.name}",
                 member_id=member.id)
    return asset


def update_asset(asset: Asset, actor: User, **fields) -> Asset:
    if not can_act_for(actor, asset.member):
        raise NotAllowed("You can only change your own organisation's assets")
    for name in ("book_ahead_days", "longest_booking_hours", "longest_loan_days"):
        if fields.get(name) is None:
            fields[name] = getattr(asset, name)  # a bound left out or blank stays as it is
    for name, value in _clean_asset(asset.kind, fields).items():
        setattr(asset, name, value)
    db.session.flush()
    audit.record(actor, "asset.changed", asset, f"{actor.display_name} changed {asset.name}",
                 member_id=asset.member_id)
    return asset


def remove_asset(asset: Asset, actor: User) -> None:
    """Remove a room or item; refused while an open offer still points at it."""
    from timebank.listings.models import Listing

    if not can_act_for(actor, asset.member):
        raise NotAllowed("You can only remove your own organisation's assets")
    offer = db.session.scalar(select(Listing).where(Listing.asset_id == asset.id, Listing.status.in_(("open", "matched")))
                              .order_by(Listing.id).limit(1))
    if offer is not None:
        raise Conflict(f"Your offer \u201c{offer.title}\u201d is for this {asset.kind}. Withdraw it first.")
    audit.record(actor, "asset.removed", asset, f"{actor.display_name} removed {asset.name}",
                 member_id=asset.member_id)
    db.session.delete(asset)
    db.session.flush()


def assets_of(member: Member) -> list[Asset]:
    return list(db.session.scalars(select(Asset).where(Asset.member_id == member.id)
                                   .order_by(Asset.kind.desc(), Asset.name)))


def asset_warning(asset: Asset, on: date | None = None) -> tuple[str, str] | None:
    """(status, words) for an electrical item whose PAT test failed, is overdue, due soon, or missing."""
    if asset.kind != "equipment" or not asset.electrical:
        return None
    on = on or today()
    if asset.pat_result == "fail":
        return "expired", "Failed PAT test"
    if asset.pat_tested_on is None or asset.pat_due_on is None:
        return "expired", "No PAT test recorded"
    if asset.pat_due_on < on:
        return "expired", "PAT test overdue"
    if asset.pat_due_on <= on + timedelta(days=WARN_DAYS):
        return "due", "PAT test due soon"
    return None
