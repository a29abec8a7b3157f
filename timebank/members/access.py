"""Load a member (and its people, invitations, records and assets) for a request, or answer 404 / 403."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from timebank.extensions import db
from timebank.members.models import Asset, ComplianceRecord, Invitation, Member, Membership
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


def _owned_by(model, member_id: int, row_id: int, need: str):
    """Row `row_id` of `model`, 404 unless it belongs to member `member_id`; `need` is checked on the member."""
    member = load_member(member_id, need=need)
    row = db.session.get(model, row_id)
    if row is None or row.member_id != member.id:
        abort(404)
    return row


def load_membership(member_id: int, membership_id: int, *, need: str = "manage") -> Membership:
    """A person's place in a member."""
    return _owned_by(Membership, member_id, membership_id, need)


def load_invitation(member_id: int, invitation_id: int) -> Invitation:
    return _owned_by(Invitation, member_id, invitation_id, "manage")


def load_record(member_id: int, record_id: int) -> ComplianceRecord:
    """A compliance record, for the member's own people and coordinators only."""
    return _owned_by(ComplianceRecord, member_id, record_id, "act")


def load_asset(member_id: int, asset_id: int) -> Asset:
    return _owned_by(Asset, member_id, asset_id, "act")
