"""Privacy: a person's own data, a member's data, and erasing a person (coordinators)."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from timebank.accounts.access import coordinator_required
from timebank.accounts.models import User
from timebank.extensions import db
from timebank.main.forms import domain_errors
from timebank.members.access import load_member
from timebank.privacy import downloads, erasure
from timebank.privacy.access import load_person
from timebank.privacy.forms import EraseForm

bp = Blueprint("privacy", __name__)


def _zip(content: bytes, filename: str) -> Response:
    return Response(content, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.route("/account/my-data.zip")
@login_required
def my_data():
    """Everything about the signed-in person (UK GDPR Articles 15 and 20)."""
    return _zip(downloads.person_zip(current_user), f"my-data-{current_user.id}.zip")


@bp.route("/members/<int:member_id>/exports/all-our-data.zip")
@login_required
def member_data(member_id: int):
    """Everything about the member and its people, for its admins and coordinators."""
    member = load_member(member_id, current_user, need="manage")
    return _zip(downloads.member_zip(member), f"all-data-member-{member.id}.zip")


# -- coordinators: finding a person, their data, erasing them ----------------------------------

@bp.route("/coordinator/people")
@coordinator_required
def people():
    query = (request.args.get("q") or "").strip()
    found = []
    if query:
        pattern = f"%{query.lower()}%"
        found = db.session.scalars(select(User).where(or_(User.email.like(pattern), User.display_name.ilike(pattern)))
                                   .order_by(User.email).limit(50)).all()
    return render_template("privacy/people.html", query=query, found=found)


@bp.route("/coordinator/people/<int:user_id>/data.zip")
@coordinator_required
def person_data(user_id: int):
    """A person's download, for a coordinator answering a request made by letter or email."""
    user = load_person(user_id, current_user)
    return _zip(downloads.person_zip(user), f"person-{user.id}-data.zip")


@bp.route("/coordinator/people/<int:user_id>/erase", methods=["GET", "POST"])
@coordinator_required
def erase_person(user_id: int):
    """Step 1: the reason and other names. Step 2 (check answers): what will happen, then erase."""
    user = load_person(user_id, current_user)
    form = EraseForm()
    if request.method == "POST" and form.validate():
        other_names, phones = form.lines(form.other_names), form.lines(form.phones)
        if request.form.get("confirm") != "yes":
            identity = erasure.identity_of(user, other_names=other_names, phones=phones)
            plan = erasure.plan_erasure(user, identity)
            return render_template("privacy/erase_check.html", user=user, form=form, plan=plan)
        with domain_errors(form):
            done = erasure.erase_person(user, current_user, form.reason.data, other_names=other_names, phones=phones)
            flash(f"Person {user.id} is erased. " + " ".join(done.sentences()), "success")
            return redirect(url_for("privacy.people"))
    return render_template("privacy/erase.html", user=user, form=form)
