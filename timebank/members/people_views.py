"""A member's people: asking to join, invitations, roles, removing and leaving."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from timebank.accounts import sessions
from timebank.errors import DomainError, NotFound
from timebank.extensions import db
from timebank.main.forms import domain_errors
from timebank.unit_of_work import discard
from timebank.members import people
from timebank.members.access import can_manage, load_invitation, load_member, load_membership
from timebank.members.forms import ActionForm, FindMemberForm, InviteForm, NewAccountForm, RoleForm
from timebank.members.models import Membership

bp = Blueprint("people", __name__)


@bp.route("/members/join")
@login_required
def find():
    form = FindMemberForm(request.args)
    results = people.members_to_join(current_user, form.q.data or "") if form.validate() else []
    return render_template("members/join.html", form=form, results=results, searched=bool(form.q.data),
                           action_form=ActionForm(), requests=people.requests_of(current_user))


@bp.route("/members/<int:member_id>/join", methods=["POST"])
@login_required
def request_join(member_id: int):
    member = load_member(member_id, current_user)
    if ActionForm().validate_on_submit():
        try:
            people.request_to_join(member, current_user)
        except DomainError as error:
            discard()
            flash(error.message, "error")
            return redirect(url_for("people.find"))
        flash(f"You have asked to join {member.name}. Its admins have been emailed; "
              "we will email you when they decide.", "success")
    return redirect(url_for("members.dashboard"))


@bp.route("/members/<int:member_id>/people")
@login_required
def index(member_id: int):
    member = load_member(member_id, current_user, need="act")
    return render_template("members/people.html", member=member, people=people.people_of(member),
                           requests=people.join_requests(member), invitations=people.pending_invitations(member),
                           can_manage=can_manage(current_user, member), action_form=ActionForm())


@bp.route("/members/<int:member_id>/people/invite", methods=["GET", "POST"])
@login_required
def invite(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    form = InviteForm()
    if form.validate_on_submit():
        with domain_errors(form):
            invitation = people.invite_person(member, current_user, form.email.data, form.role.data)
            flash(f"We have emailed an invitation to {invitation.email}. The link works for "
                  f"{people.INVITATION_MAX_AGE // 86400} days.", "success")
            return redirect(url_for("people.index", member_id=member.id))
    return render_template("members/invite.html", form=form, member=member)


def _act_on_membership(member_id: int, membership_id: int, action, done: str):
    """Run one people service on a membership from a lone button, flash the outcome, back to People."""
    membership = load_membership(member_id, membership_id, current_user)
    name = membership.user.display_name
    if ActionForm().validate_on_submit():
        with domain_errors():
            action(membership, current_user)
            flash(done.format(name=name), "success")
    return redirect(url_for("people.index", member_id=member_id))


@bp.route("/members/<int:member_id>/people/<int:membership_id>/approve", methods=["POST"])
@login_required
def approve(member_id: int, membership_id: int):
    return _act_on_membership(member_id, membership_id, people.approve_join_request,
                              "{name} has joined. We have emailed them.")


@bp.route("/members/<int:member_id>/people/<int:membership_id>/decline", methods=["POST"])
@login_required
def decline(member_id: int, membership_id: int):
    return _act_on_membership(member_id, membership_id, people.decline_join_request,
                              "You declined {name}'s request. We have emailed them.")


@bp.route("/members/<int:member_id>/people/<int:membership_id>/role", methods=["GET", "POST"])
@login_required
def change_role(member_id: int, membership_id: int):
    membership = load_membership(member_id, membership_id, current_user)
    if membership.status != "active":
        abort(404)
    form = RoleForm(data={"role": membership.role} if request.method == "GET" else None)
    if form.validate_on_submit():
        with domain_errors(form):
            people.change_role(membership, current_user, form.role.data)
            flash(f"{membership.user.display_name} is now {membership.role} of {membership.member.name}.", "success")
            return redirect(url_for("people.index", member_id=member_id))
    return render_template("members/change_role.html", form=form, membership=membership, member=membership.member)


@bp.route("/members/<int:member_id>/people/<int:membership_id>/remove", methods=["GET", "POST"])
@login_required
def remove(member_id: int, membership_id: int):
    membership = load_membership(member_id, membership_id, current_user)
    member, name = membership.member, membership.user.display_name
    form = ActionForm()
    if form.validate_on_submit():
        with domain_errors(form):
            people.remove_person(membership, current_user)
            flash(f"{name} has been removed from {member.name}.", "success")
            return redirect(url_for("people.index", member_id=member_id))
    return render_template("members/remove_person.html", form=form, membership=membership, member=member)


@bp.route("/members/<int:member_id>/invitations/<int:invitation_id>/cancel", methods=["POST"])
@login_required
def cancel_invitation(member_id: int, invitation_id: int):
    invitation = load_invitation(member_id, invitation_id, current_user)
    if ActionForm().validate_on_submit():
        with domain_errors():
            people.cancel_invitation(invitation, current_user)
            flash(f"The invitation to {invitation.email} is cancelled: its link no longer works.", "success")
    return redirect(url_for("people.index", member_id=member_id))


@bp.route("/members/<int:member_id>/leave", methods=["GET", "POST"])
@login_required
def leave(member_id: int):
    member = load_member(member_id, current_user)
    membership = db.session.scalar(select(Membership).where(
        Membership.member_id == member.id, Membership.user_id == current_user.id))
    if membership is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        with domain_errors(form):
            people.leave_member(membership, current_user)
            flash(f"You have left {member.name}." if membership.status == "active"
                  else f"Your request to join {member.name} is withdrawn.", "success")
            return redirect(url_for("members.dashboard"))
    return render_template("members/leave.html", form=form, membership=membership, member=member)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """The emailed link: accept while signed in as the invited address, or create an account to accept."""
    from timebank.accounts.services import find_user

    try:
        invitation = people.read_invitation(token)
    except NotFound as error:
        return render_template("members/invitation_problem.html", message=error.message), 404
    account = find_user(invitation.email)
    # An account nobody confirmed does not count: accepting makes it, with this name and password.
    has_account = account is not None and account.email_confirmed_at is not None
    signed_in_as_invitee = current_user.is_authenticated and current_user.email == invitation.email
    form = NewAccountForm() if not has_account and not current_user.is_authenticated else ActionForm()
    if (signed_in_as_invitee or isinstance(form, NewAccountForm)) and form.validate_on_submit():
        with domain_errors(form):
            if signed_in_as_invitee:
                membership = people.accept_invitation(invitation, current_user)
            else:
                membership = people.accept_invitation_with_new_account(
                    invitation, form.display_name.data, form.password.data)
                sessions.sign_in(membership.user)
            flash(f"Welcome to {invitation.member.name}. You are one of its "
                  f"{'admins' if membership.role == 'admin' else 'staff'}.", "success")
            return redirect(url_for("members.dashboard"))
    return render_template("members/invitation.html", invitation=invitation, form=form, has_account=has_account,
                           signed_in_as_invitee=signed_in_as_invitee, token=token)
