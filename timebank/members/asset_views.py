"""A member's rooms and equipment: list, add, change, remove."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from timebank.db import today
from timebank.main.forms import domain_errors
from timebank.members import assets
from timebank.members.access import load_asset, load_member
from timebank.members.forms import ASSET_FORMS, ActionForm

bp = Blueprint("assets", __name__)
KIND_WORDS = {"room": "room", "equipment": "item of equipment"}


@bp.route("/members/<int:member_id>/assets")
@login_required
def index(member_id: int):
    member = load_member(member_id, current_user, need="act")
    owned = assets.assets_of(member)
    on = today()
    return render_template("members/assets.html", member=member,
                           rooms=[a for a in owned if a.kind == "room"],
                           equipment=[a for a in owned if a.kind == "equipment"],
                           warnings={a.id: assets.asset_warning(a, on) for a in owned})


@bp.route("/members/<int:member_id>/assets/new/<kind>", methods=["GET", "POST"])
@login_required
def new(member_id: int, kind: str):
    member = load_member(member_id, current_user, need="act")
    if kind not in ASSET_FORMS:
        abort(404)
    form = ASSET_FORMS[kind]()
    if form.validate_on_submit():
        with domain_errors(form):
            asset = assets.add_asset(member, current_user, kind=kind, **form.service_fields())
            flash(f"\u201c{asset.name}\u201d added.", "success")
            return redirect(url_for("assets.index", member_id=member.id))
    return render_template("members/asset_form.html", form=form, member=member, kind=kind, asset=None)


@bp.route("/members/<int:member_id>/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@login_required
def edit(member_id: int, asset_id: int):
    asset = load_asset(member_id, asset_id, current_user)
    form = ASSET_FORMS[asset.kind](obj=asset)
    if request.method == "GET":
        form.fill(asset)
    if form.validate_on_submit():
        with domain_errors(form):
            assets.update_asset(asset, current_user, **form.service_fields())
            flash(f"\u201c{asset.name}\u201d saved.", "success")
            return redirect(url_for("assets.index", member_id=member_id))
    return render_template("members/asset_form.html", form=form, member=asset.member, kind=asset.kind, asset=asset)


@bp.route("/members/<int:member_id>/assets/<int:asset_id>/remove", methods=["GET", "POST"])
@login_required
def remove(member_id: int, asset_id: int):
    asset = load_asset(member_id, asset_id, current_user)
    name = asset.name
    form = ActionForm()
    if form.validate_on_submit():
        with domain_errors(form):
            assets.remove_asset(asset, current_user)
            flash(f"\u201c{name}\u201d removed.", "success")
            return redirect(url_for("assets.index", member_id=member_id))
    return render_template("members/confirm_delete.html", form=form, member=asset.member, what=name,
                           title=f"Remove \u201c{name}\u201d?", back=url_for("assets.index", member_id=member_id),
                           button_text=f"Remove this {KIND_WORDS[asset.kind]}")
