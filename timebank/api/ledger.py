"""Time credits: a member's balance and statement (its own people and coordinators), its entries, and
its gifts to the community pot (the coordinators' corrections and grants are in coordinator.py)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select

from flask import url_for

from timebank.api.core import (LINK_HEADER, Number, Page, PageArgs, QueryInt, StrictSchema, Utc, actor, blueprint,
                               page_schema, paged)
from timebank.api.document import problems
from timebank.members.access import load_member
from timebank.extensions import db
from timebank.ledger import services
from timebank.ledger.models import ACCOUNT_KINDS, ENTRY_KINDS, LedgerEntry

bp = blueprint("ledger", "Time credits: balances and statements", tag="Ledger")
ID = "id"


class BalanceSchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    balance = ma.fields.Float(required=True, metadata={"description": "Time credits now"})
    credit_limit = ma.fields.Float(required=True, metadata={
        "description": "The credit limit: how far below zero the balance may go (0 or more; set by a coordinator)"})


class StatementLineSchema(ma.Schema):
    posting_id = ma.fields.Integer(required=True)
    entry_id = ma.fields.Function(lambda line: line.entry.id, required=True, metadata={"type": "integer"})
    created_at = Utc(attribute="at", required=True, metadata={
        "description": "When the entry was made and its credits posted: the order of the statement"})
    happened_on = ma.fields.Date(required=True, metadata={
        "description": "The day it counts on: for help, the day it happened; reports filter on it"})
    kind = ma.fields.Function(lambda line: line.entry.kind, required=True, metadata={"enum": list(ENTRY_KINDS)})
    description = ma.fields.Function(lambda line: line.entry.description, required=True, metadata={"type": "string"})
    reason = ma.fields.Function(lambda line: line.entry.reason, required=True, metadata={"type": ["string", "null"]})
    leg_id = ma.fields.Function(lambda line: line.entry.leg_id, required=True, metadata={"type": ["integer", "null"]})
    amount = ma.fields.Float(required=True, metadata={"description": "Credits in (+) or out (-)"})
    balance = ma.fields.Float(required=True, metadata={"description": "The balance after this line"})
    reversed_by_id = ma.fields.Integer(allow_none=True, required=True,
                                       metadata={"description": "The entry that reversed this one, if any"})


StatementPage = page_schema(StatementLineSchema, "StatementLine")


class PostingSchema(ma.Schema):
    account = ma.fields.String(attribute="account.kind", required=True, metadata={"enum": list(ACCOUNT_KINDS)})
    member_id = ma.fields.Integer(attribute="account.member_id", allow_none=True, required=True,
                                  metadata={"description": "The member, for a member's account"})
    amount = ma.fields.Float(required=True, metadata={"description": "Credits in (+) or out (-) of the account"})


class LedgerEntrySchema(ma.Schema):
    """One entry of the ledger: its postings sum to zero; it is never changed (a reversal is a new entry)."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(ENTRY_KINDS)})
    description = ma.fields.String(required=True)
    reason = ma.fields.String(allow_none=True, required=True)
    created_at = Utc(required=True)
    happened_on = ma.fields.Date(required=True, metadata={"description": "The day it counts on (reports filter on it)"})
    leg_id = ma.fields.Integer(allow_none=True, required=True)
    reverses_entry_id = ma.fields.Integer(allow_none=True, required=True)
    reversed_by_id = ma.fields.Method("_reversed_by", required=True, metadata={"type": ["integer", "null"]})
    postings = ma.fields.List(ma.fields.Nested(PostingSchema), required=True)

    def _reversed_by(self, entry: LedgerEntry):
        return db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_entry_id == entry.id))


class GiftSchema(StrictSchema):
    amount = Number(required=True, validate=validate.Range(min=0.01, max=10000), metadata={
        "description": "Credits to give, at most 2 decimal places, never more than the member has"})


def entry_answer(entry: LedgerEntry):
    """A new entry as a 201 answer, with where to read it."""
    return entry, 201, {"Location": url_for("api_ledger.get_ledger_entry", entry_id=entry.id)}


class StatementArgs(PageArgs):
    per_page = QueryInt(load_default=services.STATEMENT_PAGE_SIZE, validate=validate.Range(min=1, max=100))


@bp.route(f"/members/<{ID}:member_id>/balance")
@bp.response(200, BalanceSchema)
@problems(404)
def get_balance(member_id: int):
    """Your member's time-credit balance and credit limit"""
    return balance_of(load_member(member_id, actor(), need="act"))


def balance_of(member) -> dict:
    """A member's balance and credit limit as GET /members/{id}/balance answers them."""
    return {"member_id": member.id, "balance": services.balance(member), "credit_limit": member.credit_limit}


@bp.route(f"/members/<{ID}:member_id>/statement")
@bp.arguments(StatementArgs, location="query")
@bp.response(200, StatementPage, headers=LINK_HEADER)
@problems(404, 422)
def get_statement(args, member_id: int):
    """Your member's statement: credits in and out, latest posted first, each with the balance after it

    Lines are in the order their credits were posted (`created_at`), which is the order the balance
    moved in; `happened_on`, the day the help happened, may be earlier.
    """
    member = load_member(member_id, actor(), need="act")
    found = services.statement(member, page=args["page"], per_page=args["per_page"])
    return paged(Page(found.lines if found.page == args["page"] else [], found.total_lines, args["page"],
                      args["per_page"]))


@bp.route(f"/ledger/entries/<{ID}:entry_id>")
@bp.response(200, LedgerEntrySchema)
@problems(404)
def get_ledger_entry(entry_id: int):
    """One ledger entry, for the people of a member it moved credits for, and coordinators"""
    return services.load_entry(entry_id, actor())


@bp.route(f"/members/<{ID}:member_id>/gifts", methods=["POST"])
@bp.arguments(GiftSchema)
@bp.response(201, LedgerEntrySchema)
@problems(400, 404, 409, 422)
def give_credits(values, member_id: int):
    """Give some of your member's credits (never more than it has) to the community pot (its admins)"""
    member = load_member(member_id, actor())
    return entry_answer(services.donate_to_pot(member, values["amount"], actor()))
