"""Time credits: a member's balance and statement (its own people and coordinators)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from timebank.api.core import LINK_HEADER, Page, PageArgs, QueryInt, Utc, blueprint, page_schema, paged
from timebank.api.document import problems
from timebank.api.members import load_member
from timebank.ledger import services
from timebank.ledger.models import ENTRY_KINDS

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
    created_at = Utc(attribute="at", required=True, metadata={"description": "When the entry was made"})
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


class StatementArgs(PageArgs):
    per_page = QueryInt(load_default=services.STATEMENT_PAGE_SIZE, validate=validate.Range(min=1, max=100))


@bp.route(f"/members/<{ID}:member_id>/balance")
@bp.response(200, BalanceSchema)
@problems(404)
def get_balance(member_id: int):
    """Your member's time-credit balance and credit limit"""
    member = load_member(member_id, need="act")
    return {"member_id": member.id, "balance": services.balance(member), "credit_limit": member.credit_limit}


@bp.route(f"/members/<{ID}:member_id>/statement")
@bp.arguments(StatementArgs, location="query")
@bp.response(200, StatementPage, headers=LINK_HEADER)
@problems(404, 422)
def get_statement(args, member_id: int):
    """Your member's statement: credits in and out, newest first, each with the balance after it"""
    member = load_member(member_id, need="act")
    found = services.statement(member, page=args["page"], per_page=args["per_page"])
    return paged(Page(found.lines if found.page == args["page"] else [], found.total_lines, args["page"],
                      args["per_page"]))
