"""Who may do a thing by what they are: `require_coordinator` in services (a NotAllowed the web
shows as its 403 page and the API as a problem), `load_for_coordinator` for the loaders of what only
coordinators handle, `coordinator_required` on the coordinators' pages."""
from __future__ import annotations

from functools import wraps
from typing import TypeVar

from flask_login import current_user, login_required

from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db

T = TypeVar("T")


def require_coordinator(user, to: str = "do that") -> None:
    """NotAllowed ("Only a coordinator can <to>") unless `user` is a signed-in coordinator."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_coordinator:
        raise NotAllowed(f"Only a coordinator can {to}")


def load_for_coordinator(model: type[T], row_id: int, user, *, to: str, missing: str) -> T:
    """The `model` row `row_id`, for a coordinator: NotAllowed ("Only a coordinator can <to>") for anyone
    else, then NotFound(`missing`) if there is no such row."""
    require_coordinator(user, to)
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    return row


def coordinator_required(view):
    """Sign in first (login_required), then 403 for anyone who is not a coordinator."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        require_coordinator(current_user._get_current_object(), "open this page")
        return view(*args, **kwargs)

    return wrapped
