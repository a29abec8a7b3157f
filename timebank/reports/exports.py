"""The records as CSV: every dataset for coordinators, a member's own rows for its people, a
member's subject-access download (a zip of CSVs), and erasing a person (pseudonymised, ledger intact)."""
from __future__ import annotations

import io
import secrets
import zipfile
from dataclasses import dataclass

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import aliased

from timebank import amounts
from timebank.accounts.models import Coordinator, User
from timebank.accounts.sessions import end_sessions
from timebank.audit.models import AuditEvent
from timebank.audit.services import record
from timebank.bookings.models import Booking, Loan
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.exchanges.models import Exchange, Leg, Party
from timebank.extensions import db
from timebank.ledger.models import Account, LedgerEntry, Posting
from timebank.listings.models import Category, Listing
from timebank.members.models import Asset, ComplianceRecord, Member, Membership
from timebank.notifications.models import EmailPreference, Notification
from timebank.reports.csv_export import csv_text
from timebank.saved_searches.models import SavedSearch


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    headers: list[str]
    query: object  # callable(member_id | None) -> rows


def _members(member_id):
    query = select(Member.id, Member.name, Member.type, Member.status, Member.town, Member.ward, Member.postcode,
                   Member.charity_number, Member.company_number, Member.website, Member.contact_email,
                   Member.contact_phone, Member.credit_limit, Member.created_at).order_by(Member.id)
    if member_id is not None:
        query = query.where(Member.id == member_id)
    return db.session.execute(query)


def _listings(member_id):
    query = (select(Listing.id, Listing.member_id, Member.name, Listing.direction, Listing.kind, Category.name,
                    Listing.title, Listing.description, Listing.quantity, Listing.people, Listing.available_from,
                    Listing.available_until, Listing.town, Listing.ward, Listing.postcode, Listing.is_gift,
                    Listing.urgency, Listing.status, Listing.expires_on, Listing.created_at)
             .join(Member, Member.id == Listing.member_id).join(Category, Category.id == Listing.category_id)
             .order_by(Listing.id))
    if member_id is not None:
        query = query.where(Listing.member_id == member_id)
    return db.session.execute(query)


def _exchanges(member_id):
    query = select(Exchange.id, Exchange.shape, Exchange.status, Exchange.story, Exchange.created_at,
                   Exchange.decided_at, Exchange.completed_at).order_by(Exchange.id)
    if member_id is not None:
        query = query.where(exists().where(Party.exchange_id == Exchange.id, Party.member_id == member_id))
    return db.session.execute(query)


def _legs(member_id):
    giver, receiver = aliased(Member), aliased(Member)
    query = (select(Leg.id, Leg.exchange_id, Leg.position, giver.name, receiver.name, Leg.kind, Category.name,
                    Leg.description, Leg.hours, Leg.people, Leg.actual_hours, Leg.actual_people, Leg.is_gift,
                    Leg.status, Leg.scheduled_start, Leg.confirmed_at, Leg.happened_on)
             .join(giver, giver.id == Leg.giver_member_id).join(receiver, receiver.id == Leg.receiver_member_id)
             .outerjoin(Category, Category.id == Leg.category_id).order_by(Leg.id))
    if member_id is not None:
        query = query.where(or_(Leg.giver_member_id == member_id, Leg.receiver_member_id == member_id))
    return [(*row, *_amount(row)) for row in db.session.execute(query)]


def _amount(row) -> tuple:
    """A part's amount as the reports count it, and the unit they name (timebank/amounts.py)."""
    hours = row.actual_hours if row.actual_hours is not None else row.hours
    people = row.actual_people if row.actual_people is not None else row.people
    amount = amounts.person_hours(hours, people) if row.kind in amounts.TIME_KINDS else hours
    return amount, amounts.UNITS[row.kind]


def _postings(member_id):
    query = (select(Posting.id, LedgerEntry.id, LedgerEntry.kind, Account.kind, Member.name, Posting.amount,
                    LedgerEntry.description, LedgerEntry.reason, LedgerEntry.leg_id, LedgerEntry.reverses_entry_id,
                    LedgerEntry.created_at, LedgerEntry.happened_on)
             .join(LedgerEntry, LedgerEntry.id == Posting.entry_id).join(Account, Account.id == Posting.account_id)
             .outerjoin(Member, Member.id == Account.member_id).order_by(Posting.id))
    if member_id is not None:
        query = query.where(Account.member_id == member_id)
    return db.session.execute(query)


def _bookings(member_id):
    lender, borrower = aliased(Member), aliased(Member)
    query = (select(Booking.id, Asset.name, lender.name, borrower.name, Booking.starts_at, Booking.ends_at,
                    Booking.status, Booking.leg_id, Booking.note, Booking.created_at, Booking.cancelled_at,
                    Booking.cancel_reason)
             .join(Asset, Asset.id == Booking.asset_id).join(lender, lender.id == Asset.member_id)
             .join(borrower, borrower.id == Booking.member_id).order_by(Booking.id))
    if member_id is not None:
        query = query.where(or_(Booking.member_id == member_id, Asset.member_id == member_id))
    return db.session.execute(query)


def _loans(member_id):
    lender, borrower = aliased(Member), aliased(Member)
    query = (select(Loan.id, Asset.name, lender.name, borrower.name, Loan.starts_on, Loan.due_on, Loan.status,
                    Loan.leg_id, Loan.checked_out_at, Loan.condition_out, Loan.pat_checked, Loan.returned_at,
                    Loan.condition_in, Loan.note, Loan.created_at)
             .join(Asset, Asset.id == Loan.asset_id).join(lender, lender.id == Asset.member_id)
             .join(borrower, borrower.id == Loan.member_id).order_by(Loan.id))
    if member_id is not None:
        query = query.where(or_(Loan.member_id == member_id, Asset.member_id == member_id))
    return db.session.execute(query)


DATASETS = {d.name: d for d in (
    Dataset("members", "Members", ["id", "name", "type", "status", "town", "ward", "postcode", "charity_number",
                                   "company_number", "website", "contact_email", "contact_phone", "credit_limit",
                                   "created_at"], _members),
    Dataset("listings", "Offers and needs", ["id", "member_id", "member", "direction", "kind", "category", "title",
                                             "description", "quantity", "people", "available_from",
                                             "available_until", "town", "ward", "postcode", "is_gift", "urgency",
                                             "status", "expires_on", "created_at"], _listings),
    Dataset("exchanges", "Exchanges", ["id", "shape", "status", "story", "created_at", "decided_at",
                                       "completed_at"], _exchanges),
    Dataset("legs", "Parts of exchanges (legs)", ["id", "exchange_id", "position", "giver", "receiver", "kind",
                                                  "category", "description", "planned_hours_each_or_days",
                                                  "planned_people", "actual_hours_each_or_days", "actual_people",
                                                  "is_gift", "status", "scheduled_start", "confirmed_at",
                                                  "happened_on", "amount", "unit"], _legs),
    Dataset("postings", "Time-credit postings", ["posting_id", "entry_id", "entry_kind", "account_kind", "member",
                                                 "amount", "description", "reason", "leg_id", "reverses_entry_id",
                                                 "created_at", "happened_on"], _postings),
    Dataset("bookings", "Room bookings", ["id", "room", "lender", "borrower", "starts_at", "ends_at", "status",
                                          "leg_id", "note", "created_at", "cancelled_at", "cancel_reason"], _bookings),
    Dataset("loans", "Equipment loans", ["id", "item", "lender", "borrower", "starts_on", "due_on", "status",
                                         "leg_id", "checked_out_at", "condition_out", "pat_checked", "returned_at",
                                         "condition_in", "note", "created_at"], _loans),
)}
# A member downloads its own rows of these (the members list is for coordinators).
MEMBER_DATASETS = ("listings", "exchanges", "legs", "postings", "bookings", "loans")


def rows(name: str, member_id: int | None = None):
    return DATASETS[name].query(member_id)


# -- subject access: everything about a member and its people -----------------------------------

def _people(member_id):
    return db.session.execute(
        select(User.id, User.display_name, User.email, User.phone, Membership.role, Membership.status,
               Membership.created_at, User.created_at, User.last_login_at, User.erased_at)
        .join(Membership, Membership.user_id == User.id).where(Membership.member_id == member_id).order_by(User.id))


def _compliance(member_id):
    return db.session.execute(
        select(ComplianceRecord.id, ComplianceRecord.kind, ComplianceRecord.policy_held, ComplianceRecord.insurer,
               ComplianceRecord.cover_amount, ComplianceRecord.dbs_level, ComplianceRecord.people,
               ComplianceRecord.certificate_number,
               ComplianceRecord.holder, ComplianceRecord.decision, ComplianceRecord.decided_on,
               ComplianceRecord.issued_on, ComplianceRecord.expires_on, ComplianceRecord.created_at)
        .where(ComplianceRecord.member_id == member_id).order_by(ComplianceRecord.id))


def _assets(member_id):
    return db.session.execute(
        select(Asset.id, Asset.kind, Asset.name, Asset.description, Asset.capacity, Asset.step_free,
               Asset.facilities, Asset.opening_hours, Asset.condition, Asset.electrical, Asset.pat_tested_on,
               Asset.pat_result, Asset.pat_due_on, Asset.deposit, Asset.insurance_required)
        .where(Asset.member_id == member_id).order_by(Asset.id))


def _notifications(member_id):
    people = select(Membership.user_id).where(Membership.member_id == member_id)
    return db.session.execute(
        select(Notification.id, Notification.user_id, Notification.topic, Notification.text, Notification.url,
               Notification.created_at, Notification.read_at)
        .where(Notification.user_id.in_(people)).order_by(Notification.id))


def _audit(member_id):
    return db.session.execute(
        select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.summary)
        .where(AuditEvent.member_id == member_id).order_by(AuditEvent.id))


SUBJECT_ACCESS = [
    ("member.csv", DATASETS["members"].headers, _members),
    ("people.csv", ["user_id", "name", "email", "phone", "role", "membership_status", "joined_at", "account_created_at",
                    "last_sign_in_at", "erased_at"], _people),
    ("compliance_records.csv", ["id", "kind", "policy_held", "insurer", "cover_amount", "dbs_level", "people",
                                "certificate_number", "holder", "decision", "decided_on", "issued_on", "expires_on",
                                "created_at"], _compliance),
    ("rooms_and_equipment.csv", ["id", "kind", "name", "description", "capacity", "step_free", "facilities",
                                 "opening_hours", "condition", "electrical", "pat_tested_on", "pat_result",
                                 "pat_due_on", "deposit", "insurance_required"], _assets),
    *[(f"{name}.csv", DATASETS[name].headers, DATASETS[name].query) for name in MEMBER_DATASETS],
    ("notifications.csv", ["id", "user_id", "topic", "text", "url", "created_at", "read_at"], _notifications),
    ("history.csv", ["id", "at", "action", "summary"], _audit),
]


def subject_access_zip(member: Member) -> bytes:
    """A zip of CSVs: everything the exchange holds about the member and its people."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, headers, query in SUBJECT_ACCESS:
            archive.writestr(filename, "\ufeff" + csv_text(headers, query(member.id)))
        archive.writestr("README.txt", (
            f"Everything the Social Sector Exchange holds about {member.name} and its people, "
            f"as CSV files, made on {utcnow():%d %B %Y at %H:%M} UTC.\r\n"
            "Time-credit postings are kept for the ledger's integrity; a person who is erased is "
            "pseudonymised in them, not deleted.\r\n"))
    return buffer.getvalue()


# -- erasing a person -------------------------------------------------------------------------------

def erase_person(user: User, actor: User, reason: str) -> User:
    """Pseudonymise a person: no name, email, phone or password is left; the ledger is untouched."""
    if actor is None or not actor.is_coordinator:
        raise NotAllowed("Only a coordinator can erase a person")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter the reason (for example, the date of the person's erasure request)", field="reason")
    if len(reason) > 2000:
        raise DomainError("Reason must be 2,000 characters or fewer", field="reason")
    if user.id == actor.id:
        raise Conflict("You cannot erase yourself: ask another coordinator", field="reason")
    if user.erased_at is not None:
        raise Conflict("This person was already erased", field="reason")
    user.email = f"erased-{user.id}@invalid"
    user.display_name = f"Erased person {user.id}"
    # A hash of nothing anyone knows: no password can ever match it.
    user.password_hash = "!erased:" + secrets.token_hex(16)
    user.phone = None
    user.erased_at = utcnow()
    end_sessions(user)
    user.failed_logins = 0
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(EmailPreference).where(EmailPreference.user_id == user.id))
    db.session.execute(delete(Coordinator).where(Coordinator.user_id == user.id))
    db.session.execute(delete(SavedSearch).where(SavedSearch.user_id == user.id))  # their words and places
    db.session.flush()
    record(actor, "person.erased", user, f"Erased person {user.id}", reason=reason)
    return user
