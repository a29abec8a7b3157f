"""Which exchanges their members may see: all but a proposal held for a coordinator's review that
never reached them.

A held proposal reaches its members only when a coordinator sends it on (`release`, which records
`exchange.proposed`). One that expired unreviewed, or that a coordinator rejected while it was held,
was never theirs to see: its status is then `expired` or `rejected`, so the status alone does not
say so, and the audit log does (`exchange.held` without `exchange.proposed`). Direct asks and recorded
exchanges are never held, so they are always shown. The audit test is sound for as long as such an
exchange lives: exchanges that never went ahead are deleted 12 months after they ended, audit events
after 6 years (timebank/privacy/retention.py).

Every place a member meets exchanges (their pages, the API, their CSVs and their whole-data download)
uses this one filter.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select

from timebank.audit.models import AuditEvent
from timebank.exchanges.models import Exchange
from timebank.extensions import db


def _event(action: str):
    return exists().where(AuditEvent.subject_type == Exchange.__tablename__, AuditEvent.subject_id == Exchange.id,
                          AuditEvent.action == action)


def shown_to_members() -> ColumnElement[bool]:
    """SQL: the exchange is one its members may see (never a proposal held for review that never reached them)."""
    return and_(Exchange.status != "held", or_(not_(_event("exchange.held")), _event("exchange.proposed")))


def was_shown(exchange: Exchange) -> bool:
    """The same test for one exchange already loaded."""
    if exchange.status == "held":
        return False
    return bool(db.session.scalar(select(Exchange.id).where(Exchange.id == exchange.id, shown_to_members())))
