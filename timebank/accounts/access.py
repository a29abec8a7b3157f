"""Who may do a thing by what they are: `require_coordinator` in services (a NotAllowed the web
shows as its 403 page and the API as a problem), `coordinator_required` on the coordinators' pages."""
from __future__ import annotations

from functools import wraps

from flask_login import current_user, login_required

from timebank.errors import NotAllowed


def require_coordinator(user, to: str = "do that") -> None:
    """NotAllowed ("Only a coordinator can <to>") unless `user` is a signed-in coordinator."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_coordinator:
        raise NotAllowed(f"Only a coordinator can {to}")


def coordinator_required(view):
    """Sign in first (login_required), then 403 for anyone who is not a coordinator."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        require_coordinator(current_user._get_current_object(), "open this page")
        return view(*args, **kwargs)

    return wrapped
