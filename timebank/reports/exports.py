"""The records as CSV: every dataset for coordinators, and a member's own rows for its people.
(A member's or a person's whole download, and erasure, are in timebank/privacy.)"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from timebank import amounts
from timebank.bookings.models import Booking, Loan
from timebank.exchanges.models import Exchange, Leg, Party
from timebank.exchanges.visibility import shown_to_members
from timebank.extensions import db
from timebank.ledger.models import Account, LedgerEntry, Posting
from timebank.listings.models import Category, Listing
from timebank.members.models import Asset, Member


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
    if member_id is not None:  # never a proposal held for review that never reached its members
        query = query.where(exists().where(Party.exchange_id == Exchange.id, Party.member_id == member_id),
                            shown_to_members())
    return db.session.execute(query)


def _legs(member_id):
    giver, receiver = aliased(Member), aliased(Member)
    query = (select(Leg.id, Leg.exchange_id, Leg.position, giver.name, receiver.name, Leg.kind, Category.name,
                    Leg.description, Leg.hours, Leg.people, Leg.actual_hours, Leg.actual_people, Leg.is_gift,
                    Leg.status, Leg.scheduled_start, Leg.confirmed_at, Leg.happened_on)
             .join(giver, giver.id == Leg.giver_member_id).join(receiver, receiver.id == Leg.receiver_member_id)
             .outerjoin(Category, Category.id == Leg.category_id).order_by(Leg.id))
    if member_id is not None:
        query = query.where(or_(Leg.giver_member_id == member_id, Leg.receiver_member_id == member_id),
                            Leg.exchange_id.in_(select(Exchange.id).where(shown_to_members())))
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
