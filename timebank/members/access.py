"""Who may see or change a member (its people, coordinators, members exchanging with it), and the
loaders that answer a request with the member (and its people, invitations, records and assets) or
404 / 403."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from timebank.accounts.models import User
from timebank.exchanges.models import CONTACT_STATUSES, Exchange, Party
from timebank.extensions import db
from timebank.members.models import Asset, ComplianceRecord, Invitation, Member, Membership


# -- who may act for whom ------------------------------------------------------------------

def membership_of(user: User, member: Member) -> Membership | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.member_id == member.id, Membership.status == "active"))


def can_act_for(user: User, member: Member) -> bool:
    """Staff and admins of the member, and coordinators, may change its data and listings."""
    return user.is_authenticated and (user.is_coordinator or membership_of(user, member) is not None)


def can_manage(user: User, member: Member) -> bool:
    """Admins of the member, and coordinators, may change its profile and people."""
    if not user.is_authenticated:
        return False
    if user.is_coordinator:
        return True
    membership = membership_of(user, member)
    return membership is not None and membership.role == "admin"


def members_of(user: User) -> list[Member]:
    """The members this user acts for, by name."""
    return list(db.session.scalars(
        select(Member).join(Membership).where(Membership.user_id == user.id, Membership.status == "active")
        .order_by(Member.name)))


def can_see_contact(user: User, member: Member) -> bool:
    """Contact details: coordinators, the member's own people, and members it is exchanging with."""
    if not user.is_authenticated:
        return False
    if user.is_coordinator or membership_of(user, member) is not None:
        return True
    return any(partner.id == member.id for own in members_of(user) for partner in exchange_partners(own))


def exchange_partners(member: Member) -> list[Member]:
    """Members in an accepted, not yet finished exchange with `member` (accepted, approved or scheduled)."""
    mine = select(Party.exchange_id).join(Exchange).where(Party.member_id == member.id,
                                                         Exchange.status.in_(CONTACT_STATUSES))
    return list(db.session.scalars(select(Member).where(Member.id.in_(
        select(Party.member_id).where(Party.exchange_id.in_(mine), Party.member_id != member.id))).order_by(Member.name)))


# -- loaders for requests ------------------------------------------------------------------

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
