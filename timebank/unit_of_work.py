"""One unit of work per request: the request commits once, or rolls back; nobody else decides.

`register` makes `finish` the app's after_request step. Flask runs it with the final answer,
after the blueprint's own after_request steps (the API's ETag and its Idempotency-Key's answer,
timebank/api/core.py) and after any error handler has made its page or problem: when the answer
is below 400 the session commits; then what was held for after the commit happens: mail
(timebank/notifications/email.py, an after_commit hook), then the callbacks given to
`after_commit` (a matcher run handed to its worker, an answer held back to a fixed time). When the
answer is 400 or more (a view that raised, a DomainError included, ends here as its error page),
the session rolls back and nothing held happens: a request that fails tells nobody anything. A
commit that fails raises, and the 500 answer that follows rolls back.

Services flush, never commit; views and API endpoints neither commit nor roll back. A view that
shows a DomainError beside a form field and renders the form again uses
`timebank.main.forms.domain_errors`, which calls `discard` so that whatever the service did before
it refused is undone. The CLI and background jobs (timebank/commands.py, operations/jobs.py,
matcher/runs.py) own their transactions and commit themselves.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, Response

from timebank.extensions import db

_HELD = "timebank.after_commit"


def after_commit(callback: Callable, *args, **kwargs) -> None:
    """In a request: call `callback(*args, **kwargs)` once its transaction has committed, never if it rolls back."""
    db.session().info.setdefault(_HELD, []).append(functools.partial(callback, *args, **kwargs))


def commit() -> None:
    """Commit the request's work, then run what was held for after the commit."""
    session = db.session()
    held = session.info.pop(_HELD, [])
    try:
        session.commit()
    except BaseException:
        discard()
        raise
    for callback in held:
        callback()


def discard() -> None:
    """Roll back everything the request has done so far; what was held for after commit is dropped."""
    db.session().info.pop(_HELD, None)
    db.session.rollback()


def finish(response: Response) -> Response:
    """The request's end: commit if it answers below 400, roll back otherwise."""
    if response.status_code < 400:
        commit()
    else:
        discard()
    return response


def register(app: Flask) -> None:
    """Make `finish` the end of every request (app-wide, so it runs after every blueprint's own steps)."""
    app.after_request(finish)
