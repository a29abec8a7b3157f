"""What waits for whom: a member's waiting list, and the coordinators' work queue with bulk approve and remind.

The same lists as the dashboard and /coordinator/queue, from the same functions
(`timebank.exchanges.queue`); approving and reminding call the same services as the web pages.
"""
from __future__ import annotations

from datetime import datetime, timezone

import marshmallow as ma
from marshmallow import validate

from timebank.api.core import (LINK_HEADER, Int, PageArgs, StrictSchema, Utc, actor, blueprint, page_of, page_schema,
                               paged)
from timebank.api.document import problems
from timebank.api.exchanges import ExchangeSchema
from timebank.members.access import load_member
from timebank.bookings.models import UK
from timebank.exchanges import queue, reminders, scheduling
from timebank.exchanges.queue import QUEUE_LISTS, TASK_KINDS

bp = blueprint("waiting", "What waits for your members: answers, confirmations, loans, each with its deadline",
               tag="Waiting list")
coordinator_bp = blueprint("queue", "Coordinators' work queue: review, approval, answers, overdue confirmations, "
                                    "disputes, stuck exchanges; bulk approve and remind (a coordinator token)",
                          coordinator=True, tag="Work queue")
ID = "id"


class TaskSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"enum": list(TASK_KINDS)})
    member_id = ma.fields.Integer(required=True)
    member_name = ma.fields.String(required=True)
    title = ma.fields.String(required=True, metadata={"description": "What to do, naming the exchange or item"})
    detail = ma.fields.String(required=True)
    url = ma.fields.String(required=True, metadata={"description": "The page on this site where it is done"})
    due_on = ma.fields.Date(required=True)
    overdue = ma.fields.Boolean(required=True)
    exchange_id = ma.fields.Integer(allow_none=True, required=True)
    leg_id = ma.fields.Integer(allow_none=True, required=True)
    loan_id = ma.fields.Integer(allow_none=True, required=True)


@bp.route(f"/members/<{ID}:member_id>/waiting")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(TaskSchema, "Task"), headers=LINK_HEADER)
@problems(404, 422)
def list_member_waiting(args, member_id: int):
    """What waits for one of your members, soonest deadline first"""
    member = load_member(member_id, actor(), need="act")
    return paged(page_of(queue.tasks_for([member.id]), args))


# -- the coordinators' queue ----------------------------------------------------------------------

class MemberRefSchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    member_name = ma.fields.String(required=True)


class SlotSchema(ma.Schema):
    leg_id = ma.fields.Integer(required=True)
    start = ma.fields.String(required=True, metadata={"description": "UK clock, like 2027-03-02T10:00:00"})
    end = ma.fields.String(required=True)


class QueueItemSchema(ma.Schema):
    """One item of a list; the fields that do not apply to the list are null."""

    exchange_id = ma.fields.Integer(required=True)
    leg_id = ma.fields.Integer(allow_none=True, required=True)
    title = ma.fields.String(required=True, metadata={"description": "Like \u201cExchange ring 12\u201d or "
                                                                    "\u201cPart 2 of Exchange ring 12\u201d"})
    story = ma.fields.String(required=True)
    since = Utc(allow_none=True, required=True,
                metadata={"description": "Held since (review), waiting since (approval), disputed since, "
                                         "nothing since (stuck)"})
    due = Utc(allow_none=True, required=True,
                             metadata={"description": "Expires (review, answers) or was due (overdue confirmations)"})
    not_answered = ma.fields.List(ma.fields.Nested(MemberRefSchema), allow_none=True, required=True)
    receiver = ma.fields.Nested(MemberRefSchema, allow_none=True, required=True)
    days_late = ma.fields.Integer(allow_none=True, required=True)
    last_reminded_on = ma.fields.Date(allow_none=True, required=True)
    default_schedule = ma.fields.List(ma.fields.Nested(SlotSchema), allow_none=True, required=True,
                                      metadata={"description": "Approval: the dates a bulk approve would use"})
    why_not = ma.fields.String(allow_none=True, required=True,
                               metadata={"description": "Approval: why there is no default schedule"})
    reason = ma.fields.String(allow_none=True, required=True, metadata={"description": "Disputes: the receiver's words"})
    waits_for = ma.fields.String(allow_none=True, required=True, metadata={"description": "Stuck: what it waits for"})


class QueueSchema(ma.Schema):
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                            metadata={"description": "How many items each list has"})
    lists = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True,
                           metadata={"description": "Each list's name and, at /coordinator/queue/{name}, its items"})


def _utc(moment: datetime | None) -> datetime | None:
    """A stored moment (naive UTC) with its offset, as RFC 3339 wants it."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None else None


def _uk(moment: datetime | None) -> datetime | None:
    """A time on the UK clock (schedules) with its offset."""
    return moment.replace(tzinfo=UK) if moment is not None else None


def _ref(member) -> dict:
    return {"member_id": member.id, "member_name": member.name}


def _item(name: str, item) -> dict:
    exchange = item.exchange if hasattr(item, "exchange") else item.leg.exchange
    row = dict.fromkeys(QueueItemSchema().fields, None)
    row.update(exchange_id=exchange.id, title=queue.exchange_title(exchange), story=exchange.story)
    if name == "review":
        row.update(since=_utc(item.held_since), due=_utc(item.expires_at))
    elif name == "approval":
        row.update(since=_utc(item.waiting_since), why_not=item.default.why_not)
        if item.default.schedule is not None:
            row["default_schedule"] = [{"leg_id": leg_id, "start": start.isoformat(), "end": end.isoformat()}
                                       for leg_id, (start, end) in item.default.schedule.items()]
    elif name == "answers":
        row.update(due=_utc(item.expires_at), not_answered=[_ref(m) for m in item.not_answered],
                   last_reminded_on=item.last_reminded_on)
    elif name == "overdue":
        row.update(leg_id=item.leg.id, title=f"Part {item.leg.position + 1} of {row['title']}", due=_uk(item.due),
                   receiver=_ref(item.leg.receiver), days_late=item.days_late,
                   last_reminded_on=item.last_reminded_on)
    elif name == "disputes":
        row.update(leg_id=item.leg.id, title=f"Part {item.leg.position + 1} of {row['title']}", since=_utc(item.since),
                   receiver=_ref(item.leg.receiver), reason=item.leg.dispute_reason)
    else:
        row.update(since=_utc(item.last_activity), waits_for=item.waits_for)
    return row


@coordinator_bp.route("/coordinator/queue")
@coordinator_bp.response(200, QueueSchema)
@problems()
def get_queue_summary():
    """How many items each list of the work queue has"""
    return {"counts": queue.coordinator_queue().counts, "lists": QUEUE_LISTS}


# Only the lists' names match, so /coordinator/queue/approve and /remind stay POST-only.
@coordinator_bp.route(f"/coordinator/queue/<any({', '.join(QUEUE_LISTS)}):name>")
@coordinator_bp.arguments(PageArgs, location="query")
@coordinator_bp.response(200, page_schema(QueueItemSchema, "QueueItem"), headers=LINK_HEADER)
@problems(404, 422)
def list_queue_items(args, name: str):
    """One list of the work queue, oldest first: review, approval, answers, overdue, disputes or stuck"""
    items = [_item(name, item) for item in getattr(queue.coordinator_queue(), name)]
    return paged(page_of(items, args))


class BulkApproveSchema(StrictSchema):
    exchange_ids = ma.fields.List(Int(), required=True, validate=validate.Length(min=1, max=100),
                                  metadata={"description": "Exchanges to approve with their default schedules"})


class RemindSchema(StrictSchema):
    exchange_ids = ma.fields.List(Int(), load_default=list, validate=validate.Length(max=100),
                                  metadata={"description": "Proposals: remind the members that have not answered"})
    leg_ids = ma.fields.List(Int(), load_default=list, validate=validate.Length(max=100),
                             metadata={"description": "Overdue parts: remind their receivers to confirm"})


class RemindedSchema(ma.Schema):
    sent = ma.fields.Integer(required=True)
    already_today = ma.fields.List(ma.fields.String(), required=True,
                                   metadata={"description": "Reminded today already, so not sent again"})


@coordinator_bp.route("/coordinator/queue/approve", methods=["POST"])
@coordinator_bp.arguments(BulkApproveSchema)
@coordinator_bp.response(200, ExchangeSchema(many=True))
@problems(400, 409, 422)
def approve_queued_exchanges(values):
    """Approve several accepted exchanges with their default schedules: all of them, or none (with why)"""
    approved = scheduling.approve_with_defaults(actor(), values["exchange_ids"])
    return approved


@coordinator_bp.route("/coordinator/queue/remind", methods=["POST"])
@coordinator_bp.arguments(RemindSchema)
@coordinator_bp.response(200, RemindedSchema)
@problems(400, 422)
def send_reminders(values):
    """Remind members that have not answered, or receivers that have not confirmed (once a day each)"""
    done = reminders.remind(actor(), exchange_ids=values["exchange_ids"], leg_ids=values["leg_ids"])
    return {"sent": done.sent, "already_today": done.already_today}
