"""Coordinators' operations: vet members, approve or reject proposals, adjust the ledger.

The matcher's runs are in timebank/matcher/api.py.

Every route here needs a coordinator token, which only coordinators can make.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from flask import url_for
from sqlalchemy import select

from timebank.api.core import (LINK_HEADER, Day, Int, Moment, Number, PageArgs, StrictSchema, Text, UkClock, Utc,
                               actor, blueprint, page_schema, paged, paginate)
from timebank.api.document import problems
from timebank.api.exchanges import ExchangeSchema, LegSchema
from timebank.api.ledger import BalanceSchema, LedgerEntrySchema, balance_of, entry_answer
from timebank.api.members import MemberSchema
from timebank.bookings.models import uk_now
from timebank.exchanges import scheduling, services as exchanges
from timebank.exchanges.access import load_exchange, load_leg
from timebank.ledger import services as ledger
from timebank.listings.models import MOST_HOURS
from timebank.members import services as members
from timebank.members.access import load_member
from timebank.members.models import MEMBER_STATUSES, Member

bp = blueprint("coordinator", "Coordinators only (a coordinator token)", coordinator=True, tag="Members")
ID = "id"


class MemberArgs(PageArgs):
    status = ma.fields.String(load_default="pending", validate=validate.OneOf(MEMBER_STATUSES))


class ApproveMemberSchema(StrictSchema):
    credit_limit = Number(allow_none=True, validate=validate.Range(min=0, max=10000),
                          metadata={"description": "How far below zero its balance may go (default: unchanged)"})


class CreditLimitSchema(StrictSchema):
    credit_limit = Number(required=True, validate=validate.Range(min=0, max=10000), metadata={
        "description": "How far below zero its balance may go, at most 2 decimal places; never less than it owes "
                       "already plus what its approved exchanges have set aside"})
    reason = Text(required=True, min_length=1, max_length=2000,
                  metadata={"description": "Kept in the audit log and shown to the member's people"})


class DecisionSchema(StrictSchema):
    reason = Text(required=True, min_length=1, max_length=2000, metadata={"description": "Sent to the member(s)"})


class LegTimesSchema(StrictSchema):
    leg_id = Int(required=True)
    start = Moment(required=True)
    end = Moment(required=True)


class ApproveExchangeSchema(StrictSchema):
    schedule = ma.fields.List(ma.fields.Nested(LegTimesSchema), required=True,
                              validate=validate.Length(min=1, max=50),
                              metadata={"description": "A start and end for every leg (UK clock, in the future)"})
    override_reason = Text(max_length=2000, load_default=None, metadata={
        "description": "Why a leg is outside the window and weekly times its listings share (else refused)"})


class RescheduleSchema(ApproveExchangeSchema):
    schedule = ma.fields.List(ma.fields.Nested(LegTimesSchema), required=True,
                              validate=validate.Length(min=1, max=50),
                              metadata={"description": "New times for the legs that move (still to happen)"})
    reason = Text(required=True, min_length=1, max_length=2000, metadata={"description": "Everyone in it sees this"})


class SettleSchema(StrictSchema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(["confirm", "cancel"]))
    note = Text(required=True, min_length=1, max_length=2000, metadata={"description": "Both members see this"})
    actual_hours = Number(load_default=None, validate=validate.Range(min=0.01, max=MOST_HOURS))
    actual_people = Int(load_default=None, validate=validate.Range(min=1, max=500))
    happened_on = Day(load_default=None)


class AdjustmentSchema(StrictSchema):
    member_id = Int(required=True)
    amount = Number(required=True, validate=validate.Range(min=-10000, max=10000),
                    metadata={"description": "Credits into (+) or out of (-) the member, at most 2 decimal places"})
    reason = Text(required=True, min_length=1, max_length=2000, metadata={"description": "Shown to the member"})


class EntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    reason = ma.fields.String(allow_none=True, required=True)
    created_at = Utc(required=True)
    member_balance = ma.fields.Float(required=True, metadata={"description": "The member's balance after it"})


@bp.route("/coordinator/members")
@bp.arguments(MemberArgs, location="query")
@bp.response(200, page_schema(MemberSchema, "CoordinatorMember"), headers=LINK_HEADER)
@problems(422)
def list_members_by_status(args):
    """Members by status (pending by default: those waiting to be vetted), oldest first"""
    stmt = select(Member).where(Member.status == args["status"]).order_by(Member.created_at, Member.id)
    return paged(paginate(stmt, args["page"], args["per_page"]))


@bp.route(f"/coordinator/members/<{ID}:member_id>/approve", methods=["POST"])
@bp.arguments(ApproveMemberSchema, required=False)
@bp.response(200, MemberSchema)
@problems(400, 404, 409, 422)
def approve_member(values, member_id: int):
    """Approve a member; its admins are emailed"""
    member = load_member(member_id, actor(), need="manage")
    members.approve_member(member, actor(), credit_limit=values.get("credit_limit"))
    return member


@bp.route(f"/coordinator/members/<{ID}:member_id>/credit-limit", methods=["POST"], tags=["Ledger"])
@bp.arguments(CreditLimitSchema)
@bp.response(200, BalanceSchema)
@problems(400, 404, 409, 422)
def change_credit_limit(values, member_id: int):
    """Change a member's credit limit, saying why

    Never below what it owes already plus what its approved exchanges have set aside (409,
    credit-limit-below-balance). Its people are told, and the change is in the audit log."""
    member = load_member(member_id, actor(), need="manage")
    ledger.change_credit_limit(member, values["credit_limit"], values["reason"], actor())
    return balance_of(member)


@bp.route(f"/coordinator/members/<{ID}:member_id>/reject", methods=["POST"])
@bp.arguments(DecisionSchema)
@bp.response(200, MemberSchema)
@problems(400, 404, 409, 422)
def reject_member(values, member_id: int):
    """Reject a member waiting for a decision; the reason is emailed to its admins"""
    member = load_member(member_id, actor(), need="manage")
    members.reject_member(member, actor(), values["reason"])
    return member


@bp.route(f"/coordinator/exchanges/<{ID}:exchange_id>/approve", methods=["POST"], tags=["Exchanges"])
@bp.arguments(ApproveExchangeSchema)
@bp.response(200, ExchangeSchema)
@problems(400, 404, 409, 422)
def approve_exchange(values, exchange_id: int):
    """Approve an exchange every member accepted, scheduling each leg (rooms and items are booked)"""
    exchange = load_exchange(exchange_id, actor())
    exchanges.approve(exchange, actor(), {row["leg_id"]: (row["start"], row["end"]) for row in values["schedule"]},
                      override_reason=values["override_reason"])
    return exchange


class SuggestedLegSchema(ma.Schema):
    leg_id = ma.fields.Integer(required=True)
    start = UkClock(allow_none=True, required=True, metadata={"description": "None when the listings share no time"})
    end = UkClock(allow_none=True, required=True)
    shared = ma.fields.String(allow_none=True, required=True,
                              metadata={"description": "The window and weekly times both listings give"})


class SuggestedScheduleSchema(ma.Schema):
    schedule = ma.fields.List(ma.fields.Nested(SuggestedLegSchema), required=True)


@bp.route(f"/coordinator/exchanges/<{ID}:exchange_id>/suggested-schedule", tags=["Exchanges"])
@bp.response(200, SuggestedScheduleSchema)
@problems(404)
def get_suggested_schedule(exchange_id: int):
    """What the approve form starts from: for each leg, the first slot in the times both listings share, from
    tomorrow on, never on a public holiday, as long as the leg's hours"""
    exchange = load_exchange(exchange_id, actor())
    now = uk_now()
    rows = []
    for leg in exchange.legs:
        slot = scheduling.suggest(leg, now)
        rows.append({"leg_id": leg.id, "start": slot[0] if slot else None, "end": slot[1] if slot else None,
                     "shared": scheduling.shared(leg).describe() if (leg.offer or leg.need) else None})
    return {"schedule": rows}


@bp.route(f"/coordinator/exchanges/<{ID}:exchange_id>/reschedule", methods=["POST"], tags=["Exchanges"])
@bp.arguments(RescheduleSchema)
@bp.response(200, ExchangeSchema)
@problems(400, 404, 409, 422)
def reschedule_exchange(values, exchange_id: int):
    """Move legs of an approved exchange that are still to happen (bookings and loans move too)"""
    exchange = load_exchange(exchange_id, actor())
    exchanges.reschedule(exchange, actor(), {row["leg_id"]: (row["start"], row["end"]) for row in values["schedule"]},
                         reason=values["reason"], override_reason=values["override_reason"])
    return exchange


@bp.route(f"/coordinator/exchanges/<{ID}:exchange_id>/cancel", methods=["POST"], tags=["Exchanges"])
@bp.arguments(DecisionSchema)
@bp.response(200, ExchangeSchema)
@problems(400, 404, 409, 422)
def cancel_exchange(values, exchange_id: int):
    """Call off an approved exchange: the legs still to happen are cancelled, bookings and loans freed"""
    exchange = load_exchange(exchange_id, actor())
    exchanges.cancel_exchange(exchange, actor(), values["reason"])
    return exchange


@bp.route(f"/coordinator/legs/<{ID}:leg_id>/cancel", methods=["POST"], tags=["Legs"])
@bp.arguments(DecisionSchema)
@bp.response(200, LegSchema)
@problems(400, 404, 409, 422)
def cancel_leg(values, leg_id: int):
    """Cancel one leg; credits it posted are reversed with the reason"""
    leg = load_leg(leg_id, actor())
    exchanges.cancel_leg(leg, actor(), values["reason"])
    return leg


@bp.route(f"/coordinator/legs/<{ID}:leg_id>/settle", methods=["POST"], tags=["Legs"])
@bp.arguments(SettleSchema)
@bp.response(200, LegSchema)
@problems(400, 404, 409, 422)
def settle_leg(values, leg_id: int):
    """Settle a disputed leg, having heard both sides: confirm it with the agreed amounts, or cancel it"""
    leg = load_leg(leg_id, actor())
    exchanges.settle_dispute(leg, actor(), outcome=values["outcome"], note=values["note"],
                             actual_hours=values["actual_hours"], actual_people=values["actual_people"],
                             happened_on=values["happened_on"])
    return leg


@bp.route(f"/coordinator/exchanges/<{ID}:exchange_id>/reject", methods=["POST"], tags=["Exchanges"])
@bp.arguments(DecisionSchema)
@bp.response(200, ExchangeSchema)
@problems(400, 404, 409, 422)
def reject_exchange(values, exchange_id: int):
    """Reject a proposed or accepted exchange, with the reason the members will see"""
    exchange = load_exchange(exchange_id, actor())
    exchanges.reject(exchange, actor(), values["reason"])
    return exchange


@bp.route("/coordinator/ledger/adjustments", methods=["POST"], tags=["Ledger"])
@bp.arguments(AdjustmentSchema)
@bp.response(201, EntrySchema)
@problems(400, 404, 409, 422)
def adjust(values):
    """Correct a member's time credits with a stated reason (a new entry; nothing is ever changed)"""
    member = load_member(values["member_id"], actor(), need="manage")
    entry = ledger.adjust(member, values["amount"], values["reason"], actor())
    return {"id": entry.id, "kind": entry.kind, "description": entry.description, "reason": entry.reason,
            "created_at": entry.created_at, "member_balance": ledger.balance(member)}, 201, \
        {"Location": url_for("api_ledger.get_ledger_entry", entry_id=entry.id)}


class GrantSchema(StrictSchema):
    member_id = Int(required=True)
    amount = Number(required=True, validate=validate.Range(min=0.01, max=10000),
                    metadata={"description": "Credits from the pot to the member, at most 2 decimal places"})
    reason = Text(required=True, min_length=1, max_length=2000, metadata={"description": "Shown to the member"})


@bp.route("/coordinator/ledger/grants", methods=["POST"], tags=["Ledger"])
@bp.arguments(GrantSchema)
@bp.response(201, LedgerEntrySchema)
@problems(400, 404, 409, 422)
def grant_credits(values):
    """Give a member credits from the community pot, with a stated reason"""
    member = load_member(values["member_id"], actor(), need="manage")
    return entry_answer(ledger.grant_from_pot(member, values["amount"], values["reason"], actor()))


@bp.route(f"/coordinator/ledger/entries/<{ID}:entry_id>/reverse", methods=["POST"], tags=["Ledger"])
@bp.arguments(DecisionSchema)
@bp.response(201, LedgerEntrySchema)
@problems(400, 404, 409, 422)
def reverse_ledger_entry(values, entry_id: int):
    """Reverse an entry with a stated reason: a new entry with the opposite postings (each entry once)"""
    return entry_answer(ledger.reverse(ledger.load_entry(entry_id, actor()), values["reason"], actor()))
