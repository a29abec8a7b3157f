"""Who may open a page by what they are: `coordinator_required` for the coordinators' pages."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def coordinator_required(view):
    """Sign in first (login_required), then 403 for anyone who is not a coordinator."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_coordinator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
