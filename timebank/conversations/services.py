"""Writing and reading an exchange's conversation.

Every exchange (matched, asked for directly, or recorded) has one. Its members' people and the
coordinators write in it; the same people read it on the exchange's page (or through the API).
Messages are plain text: the pages escape them (Jinja autoescaping) and nothing renders them as
markup. A message is written by a person (`author_id`) for one of the exchange's members
(`member_id`), or by a coordinator for nobody but themselves (`member_id` None).

A new message is notified in the app and by email (topic `messages`, which each person may turn
off for email) to the other members' people, and to the coordinators who have written in it;
a message from a coordinator to every member's people. The notice names who wrote and links to
the exchange, never the message itself: the reader signs in to read it and reply.

One notice per thread until it is read: a reader who still has an unread notice about this
conversation gets no new one (in the app or by email) for further messages; opening the
exchange's page, or reading the conversation through the API (`seen`), marks it read, and the
next message is notified again. So 30 messages in a row send a reader one email, not 30. Marking
every notification read on the notifications page counts too: the reader has been told.
"""
from __future__ import annotations

from sqlalchemy import select

from timebank.members.models import Membership

from timebank.accounts.models import User
from timebank.audit.services import record
from timebank.conversations.models import MAX_LENGTH, Message
from timebank.errors import Conflict, DomainError, NotAllowed
from timebank.exchanges.models import exchange_page, title
from timebank.exchanges.visibility import was_shown
from timebank.extensions import db
from timebank.members.access import membership_of
from timebank.notifications.services import mark_read_about, notify, unread_about

# Members never see a proposal held for a coordinator's review, so nobody writes in it yet.
CLOSED_STATUSES = ("held",)


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


def writing_as(exchange, user: User, member_id: int | None = None):
    """Who `user` writes for in this exchange: one of its members (the one named, or their only
    one in it), or None for a coordinator writing as a coordinator. NotAllowed for anyone else."""
    mine = [p.member for p in exchange.parties if membership_of(user, p.member) is not None]
    if member_id is not None:
        member = next((m for m in mine if m.id == member_id), None)
        if member is None:
            raise NotAllowed("You can only write for your own organisation in this exchange", field="member_id")
        return member
    if len(mine) == 1:
        return mine[0]
    if len(mine) > 1:
        raise DomainError("Several of your organisations are in this exchange: choose which one writes",
                          field="member_id")
    if user.is_coordinator:
        return None
    raise NotAllowed("Only the people of the exchange's members and the coordinators can write in it")


def post(exchange, author: User, body: str | None, *, member_id: int | None = None) -> Message:
    """`author` writes in the exchange's conversation (for one of its members, or as a
    coordinator); the others are told, without the message."""
    member = writing_as(exchange, author, member_id)
    if exchange.status in CLOSED_STATUSES:
        raise Conflict("This proposal is waiting for a coordinator's review: nobody can write in it yet")
    if not was_shown(exchange):  # held, then expired or rejected unreviewed: a message would tell its members of it
        raise Conflict("Its members never saw this proposal: nobody can write in it")
    text = clean_body(body)
    message = add(exchange, author, member, text)
    record(author, "message.posted", exchange, f"{member.name if member else 'A coordinator'} wrote a message",
           message_id=message.id, member_id=getattr(member, "id", None))
    _tell(exchange, author, member)
    return message


def _tell(exchange, author: User, member) -> None:
    who = f"{author.display_name} ({member.name})" if member else f"{author.display_name} (a coordinator)"
    text = f"New message from {who} in {title(exchange)}. Sign in to read it and reply."
    others = [p.member for p in exchange.parties if member is None or p.member_id != member.id]
    users = db.session.scalars(select(User).join(Membership).where(
        Membership.member_id.in_([m.id for m in others]), Membership.status == "active",
        User.id != author.id)).all()
    writers = db.session.scalars(select(User).join(Message, Message.author_id == User.id).where(
        Message.exchange_id == exchange.id, User.id != author.id).distinct()).all()
    coordinators = [u for u in writers if u.is_coordinator]
    page = exchange_page(exchange, anchor="messages")
    readers = [*users, *coordinators]
    told = unread_about([u.id for u in readers], page.path())  # told already, and not yet read it
    notify([u for u in readers if u.id not in told], "messages", text, page=page,
           subject=f"New message in {title(exchange)}")


def seen(exchange, user: User) -> None:
    """`user` has opened the exchange (its page, or its conversation through the API): its
    notices about the exchange are read, so the next message is notified again."""
    mark_read_about(user, [exchange_page(exchange).path(), exchange_page(exchange, anchor="messages").path()])
