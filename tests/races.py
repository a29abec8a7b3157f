"""Two submits at once, made repeatable: another request's row lands between a check and a write."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from timebank.extensions import db


@contextmanager
def committed_first(model, row: dict):
    """On the session's next flush of a new `model`, another connection inserts `row` and commits
    first: as when a double click's two requests both pass the "already there?" check."""

    done = []

    def before_flush(session, _context, _instances):
        if not done and any(isinstance(obj, model) for obj in session.new):
            done.append(True)
            with db.engine.connect() as other:
                other.execute(insert(model).values(**row))
                other.commit()

    event.listen(Session, "before_flush", before_flush)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", before_flush)
    assert done, f"no new {model.__name__} was flushed"
