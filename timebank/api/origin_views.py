"""The coordinators' page of websites allowed to call the API from a browser (CORS)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from timebank.accounts.access import coordinator_required
from timebank.api import cors
from timebank.api.forms import OriginForm, RemoveOriginForm
from timebank.main.forms import domain_errors

bp = Blueprint("api_origins", __name__)


@bp.route("/coordinator/api-websites", methods=["GET", "POST"])
@coordinator_required
def index():
    form = OriginForm()
    status = 200
    if form.validate_on_submit():
        with domain_errors(form):
            row = cors.allow_origin(current_user, form.origin.data, form.note.data)
            flash(f"Pages on {row.origin} may now call the API from a browser, each with its own token.", "success")
            return redirect(url_for("api_origins.index"))
    if form.errors:
        status = 422
    return render_template("api/origins.html", form=form, origins=cors.allowed_origins(),
                           remove_form=RemoveOriginForm()), status


@bp.route("/coordinator/api-websites/<int:origin_id>/remove", methods=["POST"])
@coordinator_required
def remove(origin_id: int):
    row = cors.load_origin(origin_id, current_user)
    if RemoveOriginForm().validate_on_submit():
        origin = row.origin
        cors.remove_origin(current_user, row)
        flash(f"Pages on {origin} can no longer call the API from a browser.", "success")
    return redirect(url_for("api_origins.index"))
