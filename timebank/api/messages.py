"""An exchange's conversation: read it, write in it (the same service as the exchange's page)."""
from __future__ import annotations

import marshmallow as ma

from flask import url_for

from timebank.api.core import (LINK_HEADER, Int, PageArgs, StrictSchema, Text, Utc, actor, blueprint, page_of, page_schema,
                               paged)
from timebank.api.document import problems
from timebank.exchanges.access import load_exchange
from timebank.errors import NotFound
from timebank.conversations import services
from timebank.conversations.models import MAX_LENGTH

bp = blueprint("messages", "Each exchange's conversation between its members' people and the coordinators",
               tag="Messages")
ID = "id"


class MessageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    exchange_id = ma.fields.Integer(required=True)
    author_name = ma.fields.Function(lambda m: m.author.display_name if m.author else None, required=True,
                                     allow_none=True, metadata={"type": "string",
                                                                "description": "Null once its writer's account is gone"})
    member_id = ma.fields.Integer(allow_none=True, required=True, metadata={
        "description": "The member it was written for; null for a coordinator"})
    member_name = ma.fields.Function(lambda m: m.member.name if m.member else None, required=True, allow_none=True,
                                     metadata={"type": "string"})
    body = ma.fields.String(required=True, metadata={"description": "Plain text (escape it when you show it)"})
    created_at = Utc(required=True)


class NewMessageSchema(StrictSchema):
    body = Text(required=True, min_length=1, max_length=MAX_LENGTH, metadata={"description": "Plain text"})
    member_id = Int(metadata={"description": "Which of your members writes; needed only if several of them are in it"})


@bp.route(f"/exchanges/<{ID}:exchange_id>/messages")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(MessageSchema, "Message"), headers=LINK_HEADER)
@problems(404, 422)
def list_messages(args, exchange_id: int):
    """The exchange's conversation, oldest first (reading it marks your notices about it read)"""
    exchange = load_exchange(exchange_id, actor())
    services.seen(exchange, actor())
    return paged(page_of(services.thread(exchange), args))


@bp.route(f"/exchanges/<{ID}:exchange_id>/messages", methods=["POST"])
@bp.arguments(NewMessageSchema)
@bp.response(201, MessageSchema)
@problems(400, 403, 404, 409, 422)
def post_message(values, exchange_id: int):
    """Write in the exchange's conversation; the others are told there is a message (not what it says)"""
    exchange = load_exchange(exchange_id, actor())
    message = services.post(exchange, actor(), values["body"], member_id=values.get("member_id"))
    return message, 201, {"Location": url_for("api_messages.get_message", exchange_id=exchange.id,
                                              message_id=message.id)}


@bp.route(f"/exchanges/<{ID}:exchange_id>/messages/<{ID}:message_id>")
@bp.response(200, MessageSchema)
@problems(404)
def get_message(exchange_id: int, message_id: int):
    """One message of the exchange's conversation"""
    message = next((m for m in services.thread(load_exchange(exchange_id, actor())) if m.id == message_id), None)
    if message is None:
        raise NotFound(f"There is no message {message_id} in exchange {exchange_id}")
    return message
