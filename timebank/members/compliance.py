"""A member's compliance records: safeguarding policy, public liability insurance, volunteers' DBS checks."""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, select

from timebank.accounts.models import User
from timebank.audit import services as audit
from timebank.db import today
from timebank.errors import DomainError, NotAllowed
from timebank.extensions import db
from timebank.members.access import can_act_for
from timebank.members.models import COMPLIANCE_KINDS, DBS_LEVELS, ComplianceRecord, Member


DBS_KEEP_MONTHS = 6  # the privacy notice: DBS records are kept no longer than 6 months after the decision
WARN_DAYS = 30  # records and PAT tests due within this many days get a warning tag
CERTIFICATE_NUMBER = re.compile(r"^[0-9]{12}$")
COMPLIANCE_FIELDS = {
    "safeguarding": ("policy_held", "expires_on"),
    "insurance": ("insurer", "cover_amount", "issued_on", "expires_on"),
    "dbs": ("holder", "dbs_level", "people", "certificate_number", "issued_on", "decision", "decided_on"),
}
MAX_PEOPLE = 999
COMPLIANCE_LABELS = {"safeguarding": "Safeguarding policy", "insurance": "Public liability insurance",
                     "dbs": "DBS check"}


def certificate_need() -> str:
    """Why this exchange keeps DBS certificate numbers (DBS_CERTIFICATE_NEED); empty: it keeps none."""
    return (current_app.config.get("DBS_CERTIFICATE_NEED") or "").strip()


def masked_certificate(number: str | None) -> str:
    """A stored certificate number as shown anywhere: only its last four digits."""
    return f"\u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 {number[-4:]}" if number else ""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter (31 Aug + 6 -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def dbs_delete_on(record: ComplianceRecord) -> date | None:
    """When a DBS record must be gone: 6 months after the decision (or after issue, if no decision yet)."""
    start = record.decided_on or record.issued_on
    return add_months(start, DBS_KEEP_MONTHS) if record.kind == "dbs" and start else None


def _clean_compliance(kind: str, fields: dict) -> dict:
    """Only the fields that belong to `kind`, checked; raises DomainError beside the field at fault."""
    if kind not in COMPLIANCE_KINDS:
        raise DomainError("Choose the kind of record", field="kind")
    values = {name: fields.get(name) for name in COMPLIANCE_FIELDS[kind]}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip() or None
    now = today()
    if kind == "safeguarding":
        if values["policy_held"] is None:
            raise DomainError("Say whether you have a safeguarding policy", field="policy_held")
        if values["policy_held"] and not values["expires_on"]:
            raise DomainError("Enter the date the policy is next due for review", field="expires_on")
    elif kind == "insurance":
        if not values["insurer"]:
            raise DomainError("Enter the name of the insurer", field="insurer")
        if not values["expires_on"]:
            raise DomainError("Enter the date the cover ends", field="expires_on")
        if values["cover_amount"] is not None and values["cover_amount"] <= 0:
            raise DomainError("Enter the amount of cover in pounds, like 5000000", field="cover_amount")
        if values["issued_on"] and values["issued_on"] >= values["expires_on"]:
            raise DomainError("The cover must end after it starts", field="expires_on")
    else:
        if values["dbs_level"] not in DBS_LEVELS:
            raise DomainError("Choose the level of the DBS check", field="dbs_level")
        if not values["holder"]:
            raise DomainError("Enter whose checks these are: a role or initials", field="holder")
        if values["people"] is None or not 1 <= values["people"] <= MAX_PEOPLE:
            raise DomainError(f"Enter how many people these checks cover, from 1 to {MAX_PEOPLE}", field="people")
        number = re.sub(r"\s+", "", values["certificate_number"] or "")
        if number and not certificate_need():
            raise DomainError("We do not keep DBS certificate numbers: leave it blank", field="certificate_number")
        if number and not CERTIFICATE_NUMBER.match(number):
            raise DomainError("Enter the 12-digit certificate number, like 001234567890", field="certificate_number")
        values["certificate_number"] = number or None
        if not values["issued_on"]:
            raise DomainError("Enter the date the certificate was issued", field="issued_on")
        if values["issued_on"] > now:
            raise DomainError("The issue date must be today or in the past", field="issued_on")
        if values["decided_on"] is not None:
            if not values["decision"]:
                raise DomainError("Enter the decision you made", field="decision")
            if values["decided_on"] > now:
                raise DomainError("The decision date must be today or in the past", field="decided_on")
            if values["decided_on"] < values["issued_on"]:
                raise DomainError("The decision must be on or after the date the certificate was issued",
                                  field="decided_on")
        elif values["decision"]:
            raise DomainError("Enter the date of the decision", field="decided_on")
        start = values["decided_on"] or values["issued_on"]
        if add_months(start, DBS_KEEP_MONTHS) <= now:
            raise DomainError(f"We keep DBS records for {DBS_KEEP_MONTHS} months after the decision, so a "
                              "decision this old cannot be recorded", field="decided_on" if values["decided_on"]
                              else "issued_on")
    return values


def add_compliance_record(member: Member, actor: User, **fields) -> ComplianceRecord:
    """Record a safeguarding policy, an insurance policy, or a volunteer's DBS check."""
    if not can_act_for(actor, member):
        raise NotAllowed("You can only add records to your own organisation")
    kind = fields.get("kind")
    record = ComplianceRecord(member_id=member.id, kind=kind, **_clean_compliance(kind, fields))
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "compliance.added", record, f"{actor.display_name} added a {COMPLIANCE_LABELS[kind]} "
                 f"record to {member.name}", member_id=member.id)
    return record


def update_compliance_record(record: ComplianceRecord, actor: User, **fields) -> ComplianceRecord:
    if not can_act_for(actor, record.member):
        raise NotAllowed("You can only change your own organisation's records")
    values = _clean_compliance(record.kind, fields)
    if record.kind == "dbs" and values["certificate_number"] is None and certificate_need():
        values["certificate_number"] = record.certificate_number  # shown masked, so a blank box keeps it
    for name, value in values.items():
        setattr(record, name, value)
    db.session.flush()
    audit.record(actor, "compliance.changed", record, f"{actor.display_name} changed a "
                 f"{COMPLIANCE_LABELS[record.kind]} record of {record.member.name}", member_id=record.member_id)
    return record


def delete_compliance_record(record: ComplianceRecord, actor: User) -> None:
    if not can_act_for(actor, record.member):
        raise NotAllowed("You can only delete your own organisation's records")
    audit.record(actor, "compliance.deleted", record, f"{actor.display_name} deleted a "
                 f"{COMPLIANCE_LABELS[record.kind]} record of {record.member.name}", member_id=record.member_id)
    db.session.delete(record)
    db.session.flush()


def compliance_records(member: Member) -> dict[str, list[ComplianceRecord]]:
    """The member's records by kind, soonest to lapse first."""
    grouped: dict[str, list[ComplianceRecord]] = {kind: [] for kind in COMPLIANCE_KINDS}
    for record in db.session.scalars(select(ComplianceRecord).where(ComplianceRecord.member_id == member.id)
                                     .order_by(ComplianceRecord.expires_on, ComplianceRecord.id)):
        grouped[record.kind].append(record)
    return grouped


def compliance_warning(record: ComplianceRecord, on: date | None = None) -> tuple[str, str] | None:
    """(status, words) when the record lapses within WARN_DAYS or has lapsed: ("due" | "expired", ...)."""
    on = on or today()
    if record.kind == "safeguarding" and not record.policy_held:
        return "expired", "No safeguarding policy"
    lapse = dbs_delete_on(record) if record.kind == "dbs" else record.expires_on
    if lapse is None:
        return None
    words = {"safeguarding": ("Review overdue", "Review due soon"), "insurance": ("Expired", "Expires soon"),
             "dbs": ("Past its deletion date", "Deleted soon")}[record.kind]
    if lapse < on:
        return "expired", words[0]
    if lapse <= on + timedelta(days=WARN_DAYS):
        return "due", words[1]
    return None


DBS_LEVEL_NAMES = {"basic": "basic", "standard": "standard", "enhanced": "enhanced",
                   "enhanced_barred": "enhanced with barred list"}


def dbs_people(member_id: int, level: str, on: date) -> int:
    """How many of a member's people hold DBS checks at `level` or above, valid on `on`.

    The matcher counts the same way (matching.marketplace: MemberInput.dbs_people_on), so a need for
    six DBS-checked volunteers is met only where the records cover six.
    """
    wanted = DBS_LEVELS[level]
    return sum(record.people or 1 for record in db.session.scalars(select(ComplianceRecord).where(
        ComplianceRecord.member_id == member_id, ComplianceRecord.kind == "dbs"))
        if DBS_LEVELS[record.dbs_level] >= wanted and (record.expires_on is None or record.expires_on >= on))


def check_dbs_cover(member: Member, level: str, people: int, on: date) -> str:
    """What was checked, in words; raises DomainError when the member's checks cover too few people."""
    covered = dbs_people(member.id, level, on)
    owner = f"{member.name}'" if member.name.endswith("s") else f"{member.name}'s"
    words = (f"{owner} DBS checks at {DBS_LEVEL_NAMES[level]} level or above cover {covered} "
             f"{'person' if covered == 1 else 'people'} on {on.day} {on:%B %Y}; {people} "
             f"{'is' if people == 1 else 'are'} needed")
    if covered < people:
        raise DomainError(words + ". Ask them to record their volunteers' checks, or send fewer people.")
    return words


def insured_on(member: Member, on: date) -> bool:
    """Whether the member has public liability insurance recorded that is valid on `on` (as the matcher reads it)."""
    return db.session.scalar(select(ComplianceRecord.id).where(
        ComplianceRecord.member_id == member.id, ComplianceRecord.kind == "insurance",
        ComplianceRecord.expires_on >= on).limit(1)) is not None


def purge_dbs_records(on: date | None = None) -> int:
    """Delete every DBS record kept for 6 months after its decision (or its issue, with no decision)."""
    on = on or today()
    expired = [record.id for record in db.session.scalars(select(ComplianceRecord).where(
        ComplianceRecord.kind == "dbs")) if dbs_delete_on(record) <= on]
    if expired:
        db.session.execute(delete(ComplianceRecord).where(ComplianceRecord.id.in_(expired)))
    return len(expired)


def describe_record(record: ComplianceRecord) -> str:
    if record.kind == "dbs":
        people = record.people or 1
        return f"DBS checks: {record.holder or 'volunteers'} ({people} {'person' if people == 1 else 'people'})"
    if record.kind == "insurance":
        return f"Public liability insurance: {record.insurer}"
    return "Safeguarding policy"
