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


def load_membership(member_id: int, membership_id: int, *, need: str = "manage") -> Membership:
    """A person's place in a member, 404 unless it belongs to that member; `need` is checked on the member."""
    member = load_member(member_id, need=need)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.member_id != member.id:
        abort(404)
    return membership


def load_invitation(member_id: int, invitation_id: int) -> Invitation:
    member = load_member(member_id, need="manage")
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.member_id != member.id:
        abort(404)
    return invitation


def load_record(member_id: int, record_id: int) -> ComplianceRecord:
    """A compliance record, for the member's own people and coordinators only."""
    member = load_member(member_id, need="act")
    record = db.session.get(ComplianceRecord, record_id)
    if record is None or record.member_id != member.id:
        abort(404)
    return record


def load_asset(member_id: int, asset_id: int) -> Asset:
    member = load_member(member_id, need="act")
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.member_id != member.id:
        abort(404)
    return asset
