"""A member's people: asking to join, invitations by email, roles, removing and leaving."""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from timebank.accounts.models import User
from timebank.audit import services as audit
from timebank.db import utcnow
from timebank.errors import Conflict, DomainError, NotAllowed, NotFound
from timebank.extensions import db
from timebank.members.access import can_manage
from timebank.members.models import MEMBERSHIP_ROLES, Invitation, Member, Membership
from timebank.members.services import email_admins
from timebank.notifications.email import external_url, send_email
from timebank.accounts.hashing import hash_secret


INVITATION_MAX_AGE = 14 * 24 * 3600  # seconds an emailed invitation link works for


def people_of(member: Member) -> list[Membership]:
    """The member's active people: admins first, then staff, by name."""
    return list(db.session.scalars(
        select(Membership).join(User).where(Membership.member_id == member.id, Membership.status == "active")
        .order_by(Membership.role, User.display_name, User.id)))


def join_requests(member: Member) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).where(Membership.member_id == member.id, Membership.status == "requested")
        .order_by(Membership.created_at)))


def pending_invitations(member: Member) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).where(Invitation.member_id == member.id, Invitation.status == "pending")
        .order_by(Invitation.created_at)))


def requests_of(user: User) -> list[Membership]:
    """The joins this user has asked for and that are waiting for an admin."""
    return list(db.session.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.status == "requested")
        .order_by(Membership.created_at)))


def members_to_join(user: User, name: str, limit: int = 20) -> list[Member]:
    """Active members whose name contains `name`, leaving out those the user is in or has asked to join."""
    words = name.strip()
    if not words:
        return []
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    already = select(Membership.member_id).where(Membership.user_id == user.id)
    return list(db.session.scalars(
        select(Member).where(Member.status == "active", Member.name.ilike(pattern, escape="\\"),
                             Member.id.not_in(already))
        .order_by(Member.name).limit(limit)))


def _lock(member: Member) -> None:
    """Serialise changes to a member's people (PostgreSQL row lock; SQLite serialises writers anyway)."""
    db.session.execute(select(Member.id).where(Member.id == member.id).with_for_update())


def _active_admins(member: Member) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.member_id == member.id, Membership.role == "admin", Membership.status == "active"))


def _is_last_admin(membership: Membership) -> bool:
    return membership.status == "active" and membership.role == "admin" and _active_admins(membership.member) <= 1


def _require_manage(actor: User, member: Member) -> None:
    if not can_manage(actor, member):
        raise NotAllowed(f"Only admins of {member.name} and coordinators can change its people")


def request_to_join(member: Member, user: User) -> Membership:
    """Ask to join an active member as staff; its admins are emailed and decide on the People page."""
    if member.status != "active":
        raise DomainError(f"{member.name} is not taking part in the exchange at the moment")
    existing = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.member_id == member.id))
    if existing is not None and existing.status == "active":
        raise Conflict(f"You are already part of {member.name}")
    if existing is not None:
        raise Conflict(f"You have already asked to join {member.name}. Its admins have been emailed.")
    membership = Membership(user_id=user.id, member_id=member.id, role="staff", status="requested")
    db.session.add(membership)
    db.session.flush()
    audit.record(user, "membership.requested", membership, f"{user.display_name} asked to join {member.name}",
                 member_id=member.id)
    email_admins(member, f"{user.display_name} asked to join {member.name}", "join_requested",
                  requester=user, url=external_url("people.index", member_id=member.id))
    return membership


def approve_join_request(membership: Membership, actor: User) -> Membership:
    member = membership.member
    _require_manage(actor, member)
    if membership.status != "requested":
        raise Conflict(f"{membership.user.display_name} is already part of {member.name}")
    membership.status = "active"
    db.session.flush()
    audit.record(actor, "membership.approved", membership,
                 f"{actor.display_name} let {membership.user.display_name} join {member.name}", member_id=member.id)
    send_email(membership.user.email, f"You have joined {member.name}", "join_approved", user=membership.user,
               member=member, url=external_url("members.dashboard"))
    return membership


def decline_join_request(membership: Membership, actor: User) -> None:
    member, person = membership.member, membership.user
    _require_manage(actor, member)
    if membership.status != "requested":
        raise Conflict(f"{person.display_name} is already part of {member.name}: remove them instead")
    audit.record(actor, "membership.declined", membership,
                 f"{actor.display_name} declined {person.display_name}'s request to join {member.name}",
                 member_id=member.id)
    db.session.delete(membership)
    db.session.flush()
    send_email(person.email, f"Your request to join {member.name}", "join_declined", user=person, member=member)


def read_invitation(secret: str) -> Invitation:
    """The pending invitation a link was made for; NotFound if unknown, expired, used or cancelled."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.secret_hash == hash_secret(secret))) \
        if secret and len(secret) <= 100 else None
    if invitation is None:
        raise NotFound("That invitation link is not valid. Check you copied all of it.")
    if invitation.status == "cancelled":
        raise NotFound("That invitation has been cancelled. Ask the organisation's admin to invite you again.")
    if invitation.status != "pending":
        raise NotFound("That invitation has already been accepted. Sign in to see your dashboard.")
    if invitation.created_at + timedelta(seconds=INVITATION_MAX_AGE) <= utcnow():
        raise NotFound("That invitation has expired. Ask the organisation's admin to invite you again.")
    return invitation


def invite_person(member: Member, actor: User, email: str, role: str = "staff") -> Invitation:
    """Email someone a link to join `member` in `role`; an earlier invitation to the same address is replaced."""
    from timebank.accounts.services import normalise_email

    _require_manage(actor, member)
    if role not in MEMBERSHIP_ROLES:
        raise DomainError("Choose admin or staff", field="role")
    email = normalise_email(email)
    existing = db.session.scalar(select(Membership).join(User).where(
        Membership.member_id == member.id, User.email == email))
    if existing is not None and existing.status == "active":
        raise Conflict(f"{email} is already part of {member.name}", field="email")
    if existing is not None:
        raise Conflict(f"{email} has already asked to join: approve their request below", field="email")
    for old in db.session.scalars(select(Invitation).where(
            Invitation.member_id == member.id, Invitation.email == email, Invitation.status == "pending")):
        old.status = "cancelled"
    secret = secrets.token_urlsafe(32)  # the link carries only this; the database only its hash
    invitation = Invitation(member_id=member.id, email=email, role=role, invited_by_id=actor.id,
                            secret_hash=hash_secret(secret))
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "invitation.sent", invitation, f"{actor.display_name} invited {email} to {member.name}",
                 member_id=member.id, role=role)
    send_email(email, f"{actor.display_name} invited you to join {member.name}", "invitation",
               invitation=invitation, member=member, inviter=actor, days=INVITATION_MAX_AGE // 86400,
               url=external_url("people.invitation", token=secret))
    return invitation


def cancel_invitation(invitation: Invitation, actor: User) -> None:
    _require_manage(actor, invitation.member)
    if invitation.status != "pending":
        raise Conflict(f"The invitation to {invitation.email} was already {invitation.status}")
    invitation.status = "cancelled"
    invitation.answered_at = utcnow()
    db.session.flush()
    audit.record(actor, "invitation.cancelled", invitation, f"{actor.display_name} cancelled the invitation to "
                 f"{invitation.email}", member_id=invitation.member_id)


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """The invitee (signed in with the invited address) joins the member in the invited role."""
    if invitation.status != "pending":
        raise Conflict("That invitation has already been used")
    if user.email != invitation.email:
        raise NotAllowed(f"This invitation was sent to {invitation.email}. Sign in with that address to accept it.")
    member = invitation.member
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.member_id == member.id))
    if membership is None:
        membership = Membership(user_id=user.id, member_id=member.id, role=invitation.role, status="active")
        db.session.add(membership)
    elif membership.status != "active":
        membership.status, membership.role = "active", invitation.role
    invitation.status = "accepted"
    invitation.answered_at = utcnow()
    db.session.flush()
    audit.record(user, "invitation.accepted", invitation, f"{user.display_name} joined {member.name}",
                 member_id=member.id, role=membership.role)
    return membership


def accept_invitation_with_new_account(invitation: Invitation, display_name: str, password: str) -> Membership:
    """Create the invitee's account (the link proved they read that mailbox) and accept."""
    from timebank.accounts.services import claim_unconfirmed, create_user, find_user

    user = find_user(invitation.email)
    if user is not None and user.email_confirmed_at is not None:
        raise Conflict(f"There is already an account for {invitation.email}: sign in to accept", field="password")
    if user is not None:
        # A sign-up nobody confirmed (perhaps someone else's, with this address): the link proves the mailbox.
        user = claim_unconfirmed(user, password, display_name)
    else:
        user = create_user(invitation.email, password, display_name, confirmed=True)
    return accept_invitation(invitation, user)


def change_role(membership: Membership, actor: User, role: str) -> Membership:
    member = membership.member
    _require_manage(actor, member)
    if role not in MEMBERSHIP_ROLES:
        raise DomainError("Choose admin or staff", field="role")
    if membership.status != "active":
        raise Conflict(f"{membership.user.display_name} has not joined {member.name} yet")
    _lock(member)
    if role == membership.role:
        return membership
    if role == "staff" and _is_last_admin(membership):
        raise DomainError(f"{membership.user.display_name} is the only admin of {member.name}. "
                          "Make someone else an admin first.", field="role")
    before = membership.role
    membership.role = role
    db.session.flush()
    audit.record(actor, "membership.role_changed", membership,
                 f"{actor.display_name} made {membership.user.display_name} {role} of {member.name}",
                 member_id=member.id, before=before, after=role)
    return membership


def remove_person(membership: Membership, actor: User) -> None:
    """An admin or coordinator takes someone out of a member (never its last admin)."""
    member, person = membership.member, membership.user
    _require_manage(actor, member)
    _lock(member)
    if _is_last_admin(membership):
        raise DomainError(f"{person.display_name} is the only admin of {member.name}, so cannot be removed. "
                          "Make someone else an admin first.")
    audit.record(actor, "membership.removed", membership,
                 f"{actor.display_name} removed {person.display_name} from {member.name}", member_id=member.id)
    db.session.delete(membership)
    db.session.flush()


def leave_member(membership: Membership, user: User) -> None:
    """A person leaves a member (or withdraws their request to join)."""
    member = membership.member
    if membership.user_id != user.id:
        raise NotAllowed("You can only leave for yourself")
    _lock(member)
    if _is_last_admin(membership):
        raise DomainError(f"You are the only admin of {member.name}. Make someone else an admin before you leave.")
    audit.record(user, "membership.left", membership, f"{user.display_name} left {member.name}", member_id=member.id)
    db.session.delete(membership)
    db.session.flush()
