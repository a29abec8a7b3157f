"""Two requests at once, made repeatable.

`committed_first`: another request's row lands between a check and a write (a double click).
`run_overlapping`: two transactions really overlap. On PostgreSQL the second runs while the first
is still open (we wait until it is blocked on the first one's locks, then let the first commit).
SQLite allows one writer at a time, so there the second runs after the first commits; the
assertions are the same."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from sqlalchemy import event, insert, text
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


class Worker(threading.Thread):
    """Runs `action` in its own app context (its own session and connection), then commits."""

    def __init__(self, app, action, release: threading.Event | None = None):
        super().__init__(daemon=True)
        self.app, self.action, self.release = app, action, release
        self.acted = threading.Event()
        self.result = self.error = None

    def run(self):
        with self.app.test_request_context():
            try:
                self.result = self.action()
                self.acted.set()
                if self.release is not None:
                    self.release.wait(30)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test below
                db.session.rollback()
                self.error = error
            finally:
                self.acted.set()
                db.session.remove()


def _wait_until_blocked(app, worker: Worker) -> None:
    """Return once another backend waits for a lock (or `worker` finished without waiting)."""
    with app.app_context():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker.is_alive():
            waiting = db.session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
            db.session.rollback()
            if waiting:
                return
            time.sleep(0.02)


def run_overlapping(app, first, second) -> tuple[Worker, Worker]:
    release = threading.Event()
    one = Worker(app, first, release)
    one.start()
    assert one.acted.wait(30)
    two = Worker(app, second)
    if app.backend == "postgresql":
        two.start()
        _wait_until_blocked(app, two)
        release.set()
    else:
        release.set()
        one.join(30)
        two.start()
    one.join(30)
    two.join(30)
    return one, two
