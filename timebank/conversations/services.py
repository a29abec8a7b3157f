"""Writing and reading an exchange's conversation.

Messages are plain text: the pages escape them (Jinja autoescaping) and nothing renders them as
markup. A message is written by a person (`author_id`) for one of the exchange's members
(`member_id`), or by a coordinator for nobody but themselves (`member_id` None).
"""
from __future__ import annotations

from sqlalchemy import select

from timebank.conversations.models import MAX_LENGTH, Message
from timebank.errors import DomainError
from timebank.extensions import db


def clean_body(body: str | None, *, field: str = "body", required: bool = True) -> str | None:
    """The message as it is kept: surrounding space trimmed, no control characters but newlines
    and tabs, at most MAX_LENGTH characters. None when it is empty and not `required`."""
    text = (body or "").replace("\r\n", "\n").strip()
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    if not text:
        if required:
            raise DomainError("Write a message", field=field)
        return None
    if len(text) > MAX_LENGTH:
        raise DomainError(f"Messages must be {MAX_LENGTH:,} characters or fewer; this one is {len(text):,}",
                          field=field)
    return text


def add(exchange, author, member, body: str) -> Message:
    """Keep a message (already cleaned) in the exchange's conversation; no notice is sent here."""
    message = Message(exchange_id=exchange.id, author_id=author.id, member_id=getattr(member, "id", None), body=body)
    db.session.add(message)
    db.session.flush()
    return message


def thread(exchange) -> list[Message]:
    """The conversation, oldest first."""
    return list(db.session.scalars(select(Message).where(Message.exchange_id == exchange.id)
                                   .order_by(Message.created_at, Message.id)))
