"""Load a member for a request, or answer 404 / 403: the one place that decides."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from timebank.extensions import db
from timebank.members.models import Member
from timebank.members.services import can_act_for, can_manage


def load_member(member_id: int, *, need: str = "view") -> Member:
    """`need` is "view" (anyone may see an active member), "act" (its staff) or "manage" (its admins)."""
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    if need == "view":
        if member.status != "active" and not can_act_for(current_user, member):
            abort(404)  # pending and rejected members are not public
    elif need == "act":
        if not can_act_for(current_user, member):
            abort(403)
    elif need == "manage":
        if not can_manage(current_user, member):
            abort(403)
    else:
        raise ValueError(need)
    return member
