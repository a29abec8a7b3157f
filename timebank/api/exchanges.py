"""Exchanges: list yours, see one, confirm or dispute a delivered leg, record help given outside the matcher."""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import validate

from timebank.amounts import describe as describe_amount
from timebank.api.core import (LINK_HEADER, MAX_ID, Bool, Day, Int, Number, PageArgs, QueryInt, StrictSchema, Text,
                               Page, UkClock, Utc, actor, blueprint, page_of, page_schema, paged)
from timebank.api.document import problems
from timebank.members.access import load_member
from timebank.errors import NotFound
from timebank.exchanges import queue, services
from timebank.exchanges.access import acting_member, load_change_request, load_exchange, load_leg
from timebank.exchanges.models import EXCHANGE_STATUSES, LEG_STATUSES, PARTY_STATUSES, SHAPES, Exchange
from timebank.extensions import db
from timebank.listings.models import LEAST_HOURS, MOST_HOURS
from timebank.funding import services as funding
from timebank.members.models import Member
from timebank.members.access import members_of

bp = blueprint("exchanges", "Exchanges you are part of: confirm or dispute help, record help given directly",
               tag="Exchanges")
ID = "id"


class PartySchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    member_name = ma.fields.Function(lambda p: p.member.name, required=True, metadata={"type": "string"})
    status = ma.fields.String(required=True, metadata={"enum": list(PARTY_STATUSES)})
    reason = ma.fields.String(allow_none=True, required=True)


class LegSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True)
    giver_member_id = ma.fields.Integer(required=True)
    giver_name = ma.fields.Function(lambda leg: leg.giver.name, required=True, metadata={"type": "string"})
    receiver_member_id = ma.fields.Integer(required=True)
    receiver_name = ma.fields.Function(lambda leg: leg.receiver.name, required=True, metadata={"type": "string"})
    offer_listing_id = ma.fields.Integer(allow_none=True, required=True)
    need_listing_id = ma.fields.Integer(allow_none=True, required=True)
    kind = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    hours = ma.fields.Float(required=True, metadata={"description": "Planned hours each person gives (days for equipment)"})
    people = ma.fields.Integer(required=True)
    amount = ma.fields.Function(lambda leg: describe_amount(leg.kind, leg.hours, leg.people), required=True,
                                metadata={"type": "string",
                                          "description": "In words, as on the pages: \u201c18 person-hours (6 people x 3 hours)\u201d"})
    is_gift = ma.fields.Boolean(required=True)
    credits = ma.fields.Float(required=True, metadata={
        "description": "Time credits it moves when confirmed: one per person-hour of time or skills, none for gifts"})
    reason = ma.fields.String(required=True, metadata={"description": "Why the matcher proposed it"})
    status = ma.fields.String(required=True, metadata={"enum": list(LEG_STATUSES)})
    scheduled_start = UkClock(allow_none=True, required=True)
    scheduled_end = UkClock(allow_none=True, required=True)
    proposed_start = UkClock(allow_none=True, required=True, metadata={
        "description": "A direct exchange's start as asked for or counter-proposed, until it is scheduled"})
    proposed_end = UkClock(allow_none=True, required=True)
    actual_hours = ma.fields.Float(allow_none=True, required=True)
    actual_people = ma.fields.Integer(allow_none=True, required=True)
    happened_on = ma.fields.Date(allow_none=True, required=True, metadata={
        "description": "The day the help happened (UK); the ledger and reports date it by this"})
    dispute_reason = ma.fields.String(allow_none=True, required=True, metadata={"description": "The receiver's side"})
    giver_side = ma.fields.String(allow_none=True, required=True, metadata={"description": "The giver's side"})
    settlement_note = ma.fields.String(allow_none=True, required=True,
                                       metadata={"description": "How a coordinator settled the dispute"})
    cancel_reason = ma.fields.String(allow_none=True, required=True)


class ExchangeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    shape = ma.fields.String(required=True, metadata={"enum": list(SHAPES)})
    status = ma.fields.String(required=True, metadata={"enum": list(EXCHANGE_STATUSES)})
    story = ma.fields.String(required=True)
    created_at = Utc(required=True)
    expires_at = Utc(allow_none=True, required=True)
    decided_at = Utc(allow_none=True, required=True)
    decision_reason = ma.fields.String(allow_none=True, required=True)
    completed_at = Utc(allow_none=True, required=True)
    schedule_override_reason = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "Why it was scheduled outside the times its listings share"})
    asked_by_member_id = ma.fields.Integer(allow_none=True, required=True, metadata={
        "description": "The member that asked for it directly from a listing; null for the matcher's and recorded help"})
    parties = ma.fields.List(ma.fields.Nested(PartySchema), required=True)
    legs = ma.fields.List(ma.fields.Nested(LegSchema), required=True)
    tags = ma.fields.Function(lambda exchange: _tags(exchange), required=True, metadata={
            "type": "array", "items": {"$ref": "#/components/schemas/TagRef"},
            "description": "The programmes, funds and grants it is tagged with (all of its help counts under them; "
                           "its help also counts under the tags of the listings it answers). Set them with "
                           "PUT /exchanges/{id}/tags"})


def with_tags(page: Page) -> Page:
    """Read the tags of a page of exchanges in one query."""
    tags = funding.exchange_tags([exchange.id for exchange in page.items])
    for exchange in page.items:
        exchange.funding_tags_read = tags.get(exchange.id, [])
    return page


def _tags(exchange: Exchange) -> list[dict]:
    tags = getattr(exchange, "funding_tags_read", None)
    if tags is None:
        tags = funding.exchange_tags([exchange.id]).get(exchange.id, [])
    return [{"id": t.id, "code": t.code, "name": t.name} for t in tags]


class ExchangeArgs(PageArgs):
    status = ma.fields.String(validate=validate.OneOf(EXCHANGE_STATUSES))
    member_id = QueryInt(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Only this one of your members"})


class ConfirmSchema(StrictSchema):
    actual_hours = Number(required=True, validate=validate.Range(min=float(LEAST_HOURS), max=MOST_HOURS),
                          metadata={"description": "How many hours (days for equipment) it actually was"})
    actual_people = Int(load_default=1, validate=validate.Range(min=1, max=500))
    happened_on = Day(load_default=None, metadata={
        "description": "The day it happened (default: the day it was scheduled to start)"})


class ReasonSchema(StrictSchema):
    reason = Text(required=True, min_length=1, max_length=2000)


class SideSchema(StrictSchema):
    side = Text(required=True, min_length=1, max_length=2000, metadata={"description": "What happened, as the giver saw it"})


class PartyReasonSchema(StrictSchema):
    member_id = Int(metadata={"description": "Which of your members; needed only if several of them are in it"})
    reason = Text(required=True, min_length=1, max_length=2000, metadata={"description": "Everyone in it sees this"})


class ChangeRequestSchema(PartyReasonSchema):
    leg_id = Int(metadata={"description": "The part to change (default: the whole exchange)"})


class ChangeRequestOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    exchange_id = ma.fields.Integer(required=True)
    leg_id = ma.fields.Integer(allow_none=True, required=True)
    member_id = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True)
    created_at = Utc(required=True)


class RecordSchema(StrictSchema):
    member_id = Int(required=True, metadata={"description": "Your member, which records it"})
    other_member_id = Int(required=True)
    we_gave = Bool(required=True, metadata={"description": "True: your member gave the help; false: it received it"})
    kind = ma.fields.String(required=True, validate=validate.OneOf(["time", "skill"]))
    hours = Number(required=True, validate=validate.Range(min=float(LEAST_HOURS), max=MOST_HOURS))
    people = Int(load_default=1, validate=validate.Range(min=1, max=500))
    description = Text(required=True, min_length=1, max_length=300)
    happened_on = Day(required=True, metadata={
        "description": "The day it happened (UK); only the day is kept, so its leg has no scheduled times"})


@bp.route("/exchanges")
@bp.arguments(ExchangeArgs, location="query")
@bp.response(200, page_schema(ExchangeSchema, "Exchange"), headers=LINK_HEADER)
@problems(404, 422)
def list_exchanges(args):
    """Exchanges your members are part of (with a coordinator token: every exchange), newest first"""
    statuses = [args["status"]] if args.get("status") else None
    if args.get("member_id"):
        member_ids = [load_member(args["member_id"], actor(), need="act").id]
    elif actor().is_coordinator:
        return paged(with_tags(page_of(queue.all_exchanges(statuses), args)))
    else:
        member_ids = [m.id for m in members_of(actor())]
    found = services.exchanges_for(member_ids, statuses) if member_ids else []
    return paged(with_tags(page_of(found, args)))


@bp.route(f"/exchanges/<{ID}:exchange_id>")
@bp.response(200, ExchangeSchema)
@problems(404)
def get_exchange(exchange_id: int):
    """One exchange: its parties and legs"""
    return load_exchange(exchange_id, actor())


@bp.route("/exchanges", methods=["POST"])
@bp.arguments(RecordSchema)
@bp.response(201, ExchangeSchema)
@problems(400, 404, 409, 422)
def record_help(values):
    """Record help given outside the matcher; it counts once the other member confirms it (as a proposal)"""
    member = load_member(values["member_id"], actor(), need="act")
    other = db.session.get(Member, values["other_member_id"])
    if other is None:
        raise NotFound("Choose the organisation", field="other_member_id")
    exchange = services.record_direct(
        member, other, actor(), we_gave=values["we_gave"], kind=values["kind"], hours=values["hours"],
        people=values["people"], description=values["description"],
        happened_on=values["happened_on"])
    return exchange, 201, {"Location": url_for("api_exchanges.get_exchange", exchange_id=exchange.id)}


@bp.route(f"/legs/<{ID}:leg_id>", tags=["Legs"])
@bp.response(200, LegSchema)
@problems(404)
def get_leg(leg_id: int):
    """One part of an exchange of yours: who gives what to whom, when, and its state"""
    return load_leg(leg_id, actor())


@bp.route(f"/legs/<{ID}:leg_id>/confirm", methods=["POST"], tags=["Legs"])
@bp.arguments(ConfirmSchema)
@bp.response(200, LegSchema)
@problems(400, 404, 409, 422)
def confirm_leg(values, leg_id: int):
    """Confirm that a part your member received was delivered; its time credits post at once"""
    leg = load_leg(leg_id, actor())  # the service checks it is their side
    services.confirm_leg(leg, actor(), actual_hours=values["actual_hours"], actual_people=values["actual_people"],
                         happened_on=values["happened_on"])
    return leg


@bp.route(f"/legs/<{ID}:leg_id>/dispute", methods=["POST"], tags=["Legs"])
@bp.arguments(ReasonSchema)
@bp.response(200, LegSchema)
@problems(400, 404, 409, 422)
def dispute_leg(values, leg_id: int):
    """Dispute a part your member received: a coordinator is told and sorts it out"""
    leg = load_leg(leg_id, actor())  # the service checks it is their side
    services.dispute_leg(leg, actor(), values["reason"])
    return leg


@bp.route(f"/legs/<{ID}:leg_id>/side", methods=["POST"], tags=["Legs"])
@bp.arguments(SideSchema)
@bp.response(200, LegSchema)
@problems(400, 404, 409, 422)
def give_side(values, leg_id: int):
    """The giver's side of a disputed part, for the coordinator who settles it"""
    leg = load_leg(leg_id, actor())  # the service checks it is their side
    services.give_side(leg, actor(), values["side"])
    return leg


@bp.route(f"/exchanges/<{ID}:exchange_id>/withdraw", methods=["POST"])
@bp.arguments(PartyReasonSchema)
@bp.response(200, ExchangeSchema)
@problems(400, 404, 409, 422)
def withdraw_from_exchange(values, exchange_id: int):
    """Withdraw your member from an approved exchange, with a reason: the parts still to happen are cancelled"""
    exchange = load_exchange(exchange_id, actor())
    services.withdraw(exchange, acting_member(exchange, actor(), values.get("member_id")), actor(), values["reason"])
    return exchange


@bp.route(f"/exchanges/<{ID}:exchange_id>/change-requests", methods=["POST"])
@bp.arguments(ChangeRequestSchema)
@bp.response(201, ChangeRequestOut)
@problems(400, 404, 409, 422)
def request_change(values, exchange_id: int):
    """Ask the coordinators to change an approved exchange (or one part of it)"""
    exchange = load_exchange(exchange_id, actor())
    leg = None
    if values.get("leg_id") is not None:
        leg = next((l for l in exchange.legs if l.id == values["leg_id"]), None)
        if leg is None:
            raise NotFound(f"There is no part {values['leg_id']} in exchange {exchange_id}", field="leg_id")
    request = services.request_change(exchange, acting_member(exchange, actor(), values.get("member_id")), actor(),
                                      values["reason"], leg=leg)
    return request, 201, {"Location": url_for("api_exchanges.get_change_request", exchange_id=exchange.id,
                                              request_id=request.id)}


@bp.route(f"/exchanges/<{ID}:exchange_id>/change-requests/<{ID}:request_id>")
@bp.response(200, ChangeRequestOut)
@problems(404)
def get_change_request(exchange_id: int, request_id: int):
    """A change asked for, in an exchange you can see"""
    return load_change_request(exchange_id, request_id, actor())
