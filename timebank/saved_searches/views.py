"""Save the directory's search, see your saved searches, delete one."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from timebank.listings.views import render_directory
from timebank.main.forms import domain_errors
from timebank.saved_searches import services
from timebank.saved_searches.forms import DeleteSearchForm, SaveSearchForm

bp = Blueprint("saved_searches", __name__, url_prefix="/searches")


@bp.route("/")
@login_required
def index():
    searches = services.list_saved_searches(current_user)
    return render_template("saved_searches/index.html", searches=searches, delete_form=DeleteSearchForm(),
                           directory_args=services.directory_args)


@bp.route("/", methods=["POST"])
@login_required
def save():
    form = SaveSearchForm()
    if form.validate_on_submit():
        with domain_errors(form):
            saved = services.save_search(current_user, **form.service_fields())
            flash(f"Search saved: \u201c{saved.name}\u201d. Each Monday we email you the new listings that match.",
                  "success")
            return redirect(url_for("saved_searches.index"))
    return render_directory(form.directory_args(), save_form=form), 400


@bp.route("/<int:saved_search_id>/delete", methods=["POST"])
@login_required
def delete(saved_search_id: int):
    saved = services.load_saved_search(saved_search_id, current_user)
    if DeleteSearchForm().validate_on_submit():
        services.delete_saved_search(saved)
        flash(f"Deleted the saved search \u201c{saved.name}\u201d.", "success")
    return redirect(url_for("saved_searches.index"))
