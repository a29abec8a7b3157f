"""The coordinators' desk: members waiting for vetting, approve or reject with a reason."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from timebank.accounts.access import coordinator_required
from timebank.extensions import db
from timebank.main.forms import domain_errors
from timebank.members import services as member_services
from timebank.members.access import load_member
from timebank.members.models import Member

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


class ApproveForm(FlaskForm):
    pass


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is it not approved?", validators=[
        DataRequired("Enter the reason, which will be emailed to the organisation"),
        Length(max=2000, message="Reason must be 2,000 characters or fewer")])


@bp.route("/")
@coordinator_required
def home():
    pending = db.session.scalars(select(Member).where(Member.status == "pending").order_by(Member.created_at)).all()
    from timebank.exchanges.queue import coordinator_queue

    return render_template("coordinator/home.html", pending=pending, queue_counts=coordinator_queue().counts)


@bp.route("/members/<int:member_id>/review", methods=["GET"])
@coordinator_required
def review_member(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    return render_template("coordinator/review_member.html", member=member,
                           approve_form=ApproveForm(), reject_form=RejectForm())


@bp.route("/members/<int:member_id>/approve", methods=["POST"])
@coordinator_required
def approve_member(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    form = ApproveForm()
    if form.validate_on_submit():
        with domain_errors():
            member_services.approve_member(member, current_user)
            flash(f"{member.name} is approved. Its admins have been emailed.", "success")
    return redirect(url_for("coordinator.home"))


@bp.route("/members/<int:member_id>/reject", methods=["POST"])
@coordinator_required
def reject_member(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    form = RejectForm()
    if form.validate_on_submit():
        with domain_errors(form):
            member_services.reject_member(member, current_user, form.reason.data)
            flash(f"{member.name} is not approved. Its admins have been emailed the reason.", "success")
            return redirect(url_for("coordinator.home"))
    return render_template("coordinator/review_member.html", member=member,
                           approve_form=ApproveForm(), reject_form=form), 200
