"""Proposals: exchanges waiting for your members' answer; accept or decline your part, ask for a
listing directly, or answer a direct ask with other hours or dates."""
from __future__ import annotations

from flask import url_for
from marshmallow import validate

from timebank.api.core import (LINK_HEADER, Int, Moment, Number, PageArgs, StrictSchema, Text, actor, blueprint, page_of,
                               page_schema, paged)
from timebank.api.document import problems
from timebank.api.exchanges import ExchangeSchema, with_tags
from timebank.errors import NotAllowed
from timebank.exchanges import direct, queue, services
from timebank.exchanges.access import answering_member, load_exchange
from timebank.exchanges.models import Exchange
from timebank.extensions import db
from timebank.listings.access import load_listing
from timebank.listings.models import MOST_HOURS
from timebank.members.models import Member
from timebank.members.access import can_act_for, members_of

bp = blueprint("proposals", "Proposed exchanges waiting for your answer", tag="Proposals")
ID = "id"


class AcceptSchema(StrictSchema):
    member_id = Int(metadata={"description": "Which of your members answers; needed only if several of them are in it"})


class TermsSchema(StrictSchema):
    hours = Number(required=True, validate=validate.Range(min=0.25, max=MOST_HOURS),
                   metadata={"description": "Hours each person gives (at most 2 decimal places)"})
    people = Int(validate=validate.Range(min=1, max=500), metadata={"description": "How many people (default 1)"})
    start = Moment(required=True, metadata={"description": "When it starts: UK clock time if no offset is given"})
    end = Moment(required=True, metadata={"description": "When it ends"})


class AskSchema(TermsSchema):
    member_id = Int(required=True, metadata={"description": "Which of your members it is for"})
    message = Text(required=True, min_length=1, max_length=2000,
                   metadata={"description": "Plain text: who you are and what you hope for"})


class CounterSchema(TermsSchema):
    member_id = Int(metadata={"description": "Which of your members answers; needed only if several of them are in it"})
    message = Text(max_length=2000, metadata={"description": "Plain text, optional"})


class DeclineSchema(AcceptSchema):
    reason = Text(required=True, min_length=1, max_length=2000,
                  metadata={"description": "Why, for the others (a declined pair is never proposed again); for "
                                           "recorded help: what is wrong with the record"})


def _answer(exchange: Exchange, member: Member, *, accept: bool, reason: str | None) -> Exchange:
    """As the web's answer page: a recorded exchange is confirmed, a proposed one accepted or declined."""
    if exchange.shape == "direct":
        return services.confirm_direct(exchange, member, actor(), agree=accept, reason=reason)
    return services.respond(exchange, member, actor(), accept=accept, reason=reason)


@bp.route("/proposals")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(ExchangeSchema, "Proposal"), headers=LINK_HEADER)
@problems(422)
def list_proposals(args):
    """Proposed (and recorded) exchanges where one of your members has still to answer (with a
    coordinator token: every one where some member has still to answer)"""
    if actor().is_coordinator:
        return paged(with_tags(page_of([e for e in queue.all_exchanges(["proposed"])
                                        if any(p.status == "pending" for p in e.parties)], args)))
    mine = {m.id for m in members_of(actor())}
    waiting = [e for e in services.exchanges_for(list(mine), ["proposed"])
               if any(p.member_id in mine and p.status == "pending" for p in e.parties)] if mine else []
    return paged(with_tags(page_of(waiting, args)))


@bp.route(f"/proposals/<{ID}:exchange_id>/accept", methods=["POST"])
@bp.arguments(AcceptSchema, required=False)
@bp.response(200, ExchangeSchema)
@problems(400, 404, 409, 422)
def accept_proposal(values, exchange_id: int):
    """Accept your member's part (for recorded help: confirm it happened as recorded; its time credits
    move from the member helped to the member that helped at once)"""
    exchange = load_exchange(exchange_id, actor())
    _answer(exchange, answering_member(exchange, actor(), values.get("member_id")), accept=True, reason=None)
    return exchange


@bp.route(f"/proposals/<{ID}:exchange_id>/decline", methods=["POST"])
@bp.arguments(DeclineSchema)
@bp.response(200, ExchangeSchema)
@problems(400, 404, 409, 422)
def decline_proposal(values, exchange_id: int):
    """Decline your member's part, with a reason: the exchange is off for everyone, and what the others
    can still do without your member (a shorter ring, a replacement member) is proposed to them at once
    (for recorded help: say it did not happen as recorded; the record is cancelled, no credits move, and
    the member that recorded it is told the reason and can record it again)"""
    exchange = load_exchange(exchange_id, actor())
    _answer(exchange, answering_member(exchange, actor(), values.get("member_id")), accept=False, reason=values["reason"])
    return exchange


@bp.route(f"/listings/<{ID}:listing_id>/ask", methods=["POST"])
@bp.arguments(AskSchema)
@bp.response(201, ExchangeSchema)
@problems(400, 403, 404, 409, 422)
def ask_for_listing(values, listing_id: int):
    """Ask for an open offer, or offer to help with an open need, directly: a proposed pair
    exchange that the listing's member accepts, declines or answers with other hours or dates
    (409 if the listing is already in an exchange, or the credits or requirements do not allow it)"""
    listing = load_listing(listing_id, actor())
    member = db.session.get(Member, values["member_id"])
    if member is None or not can_act_for(actor(), member):
        raise NotAllowed("You can only ask for your own organisation", field="member_id")
    exchange = direct.ask(listing, member, actor(), hours=values["hours"], people=values.get("people", 1),
                          start=values["start"], end=values["end"], message=values["message"])
    return exchange, 201, {"Location": url_for("api_exchanges.get_exchange", exchange_id=exchange.id)}


@bp.route(f"/proposals/<{ID}:exchange_id>/counter", methods=["POST"])
@bp.arguments(CounterSchema)
@bp.response(200, ExchangeSchema)
@problems(400, 403, 404, 409, 422)
def counter_proposal(values, exchange_id: int):
    """Answer a direct ask with other hours or dates (your member accepts them; the other side is
    asked again)"""
    exchange = load_exchange(exchange_id, actor())
    member = answering_member(exchange, actor(), values.get("member_id"))
    direct.counter(exchange, member, actor(), hours=values["hours"], people=values.get("people"),
                   start=values["start"], end=values["end"], message=values.get("message"))
    return exchange
