"""Where a member is: its postcode's point, or an exact point its admins set. Works without JavaScript."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from timebank.main.forms import domain_errors
from timebank.members import services
from timebank.members.access import load_member
from timebank.members.place_forms import PointForm, PostcodePlaceForm
from timebank.places import UnknownPostcode, normalise_postcode

bp = Blueprint("place", __name__)


def _is_postcode_of(member, typed: str) -> bool:
    try:
        return normalise_postcode(typed) == member.postcode
    except UnknownPostcode:
        return False  # update_member says what is wrong with it, beside the field


def _page(member, point_form=None, postcode_form=None, status=200):
    point_form = point_form or PointForm(formdata=None, data={
        "latitude": f"{member.latitude:.5f}" if member.location_precision == "point" else "",
        "longitude": f"{member.longitude:.5f}" if member.location_precision == "point" else ""})
    postcode_form = postcode_form or PostcodePlaceForm(formdata=None, data={"postcode": member.postcode})
    return render_template("members/place.html", member=member, point_form=point_form,
                           postcode_form=postcode_form), status


@bp.route("/members/<int:member_id>/place")
@login_required
def edit(member_id: int):
    return _page(load_member(member_id, current_user, need="manage"))


@bp.route("/members/<int:member_id>/place/point", methods=["POST"])
@login_required
def set_point(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    form = PointForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.set_place(member, current_user, **form.service_fields())
            flash("Saved: distances to you are now measured from the point you set.", "success")
            return redirect(url_for("place.edit", member_id=member.id))
    return _page(member, point_form=form, status=400)


@bp.route("/members/<int:member_id>/place/postcode", methods=["POST"])
@login_required
def use_postcode(member_id: int):
    """Back to the postcode's point; a different postcode becomes the member's postcode too."""
    member = load_member(member_id, current_user, need="manage")
    form = PostcodePlaceForm()
    if form.validate_on_submit():
        with domain_errors(form):
            if not _is_postcode_of(member, form.postcode.data):
                services.update_member(member, postcode=form.postcode.data)
            services.clear_place(member, current_user)
            flash(f"Saved: distances to you are now measured from {member.postcode}.", "success")
            return redirect(url_for("place.edit", member_id=member.id))
    return _page(member, postcode_form=form, status=400)
