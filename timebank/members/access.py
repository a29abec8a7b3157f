"""Who may see or change a member (its people, coordinators, members exchanging with it), and the
loaders that find the member (and its people, invitations, records and assets) for a user or raise
NotFound / NotAllowed, for the web pages and the API alike."""
from __future__ import annotations

from sqlalchemy import select

from timebank.accounts.models import User
from timebank.errors import NotAllowed, NotFound
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


# -- loaders: one for every edge ----------------------------------------------------------
# The web passes `current_user`, the API `actor()`; each edge turns NotFound / NotAllowed into its
# own answer (the 404 or 403 page: timebank/main/errors.py; a problem: timebank/api/core.py).

NEEDS = ("view", "act", "manage")


def load_member(member_id: int, user: User, *, need: str = "view") -> Member:
    """Member `member_id` for `user`. `need` is "view" (anyone may see an active member), "act" (its
    people and coordinators) or "manage" (its admins and coordinators).

    A pending or rejected member is not found by anyone who does not act for it, whatever the need:
    saying "not allowed" would tell an outsider it exists.
    """
    if need not in NEEDS:
        raise ValueError(need)
    member = db.session.get(Member, member_id)
    if member is None or (member.status != "active" and not can_act_for(user, member)):
        raise NotFound(f"There is no member {member_id}")
    if need == "act" and not can_act_for(user, member):
        raise NotAllowed(f"You do not act for {member.name}")
    if need == "manage" and not can_manage(user, member):
        raise NotAllowed(f"Only admins of {member.name} and coordinators can change its profile")
    return member


def _owned_by(model, noun: str, member_id: int, row_id: int, user: User, need: str):
    """Row `row_id` of `model`, not found unless it belongs to member `member_id`, which `user` must `need`."""
    member = load_member(member_id, user, need=need)
    row = db.session.get(model, row_id)
    if row is None or row.member_id != member.id:
        raise NotFound(f"There is no {noun} {row_id} at {member.name}")
    return row


def load_membership(member_id: int, membership_id: int, user: User, *, need: str = "manage") -> Membership:
    """A person's place in a member."""
    return _owned_by(Membership, "person's place", member_id, membership_id, user, need)


def load_invitation(member_id: int, invitation_id: int, user: User) -> Invitation:
    return _owned_by(Invitation, "invitation", member_id, invitation_id, user, "manage")


def load_record(member_id: int, record_id: int, user: User) -> ComplianceRecord:
    """A compliance record, for the member's own people and coordinators only."""
    return _owned_by(ComplianceRecord, "record", member_id, record_id, user, "act")


def load_asset(member_id: int, asset_id: int, user: User) -> Asset:
    """One of the member's rooms or items, to change: for its own people and coordinators."""
    return _owned_by(Asset, "room or item", member_id, asset_id, user, "act")
