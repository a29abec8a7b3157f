"""Record and read the audit log."""
from __future__ import annotations

from sqlalchemy import select

from timebank.audit.models import AuditEvent
from timebank.extensions import db


def record(actor, action: str, subject, summary: str, *, member_id: int | None = None, **details) -> AuditEvent:
    """Add an event for a state change. `actor` is a User or None (the system); `subject` any model row."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), action=action, subject_type=subject.__tablename__,
        subject_id=subject.id, member_id=member_id, summary=summary[:500],
        details={key: _plain(value) for key, value in details.items()},
    )
    db.session.add(event)
    db.session.flush()
    return event


def _plain(value):
    """JSON-safe: decimals and dates as strings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def events_for(subject_type: str, subject_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id).order_by(AuditEvent.at, AuditEvent.id)))


def newest_first(page: int, per_page: int = 50) -> tuple[list[AuditEvent], bool]:
    """One page of the whole log, newest first, and whether there is a page after it."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())
                                .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return list(events[:per_page]), len(events) > per_page
