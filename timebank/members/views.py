"""A member's dashboard, registration and profile pages."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from timebank.exchanges.queue import tasks_for
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.listings.services import nearby_offers
from timebank.main.forms import domain_errors
from timebank.members import compliance, people, services
from timebank.members.access import can_act_for, can_manage, can_see_contact, load_member, members_of
from timebank.members.forms import MemberForm

bp = Blueprint("members", __name__)


@bp.route("/dashboard")
@login_required
def dashboard():
    members = members_of(current_user)
    listings = {}
    if members:
        rows = db.session.scalars(
            select(Listing).where(Listing.member_id.in_([m.id for m in members]))
            .order_by(Listing.status, Listing.created_at.desc())
            .options(joinedload(Listing.category)))  # each open need's nearby offers start from its category
        for listing in rows:
            listings.setdefault(listing.member_id, []).append(listing)
    warnings = {member.id: services.warnings_for(member) for member in members}
    counts = {member.id: {"compliance": sum(len(group) for group in compliance.compliance_records(member).values()),
                          "requests": len(people.join_requests(member)) if can_manage(current_user, member)
                          else 0}
              for member in members}
    waiting: dict[int, list] = {}
    for task in tasks_for([m.id for m in members]):
        waiting.setdefault(task.member_id, []).append(task)
    # Offers that could serve each open need, judged together in one small market.
    nearby = nearby_offers([listing for own in listings.values() for listing in own
                            if listing.direction == "need" and listing.is_open])
    return render_template("members/dashboard.html", members=members, listings=listings, warnings=warnings,
                           counts=counts, requests=people.requests_of(current_user), waiting=waiting,
                           nearby=nearby)


@bp.route("/members/register", methods=["GET", "POST"])
@login_required
def register():
    form = MemberForm()
    if form.validate_on_submit():
        with domain_errors(form):
            member = services.register_member(current_user, **form.service_fields())
            flash(f"{member.name} is registered. A coordinator will check it and email you, "
                  "usually within two working days.", "success")
            return redirect(url_for("members.profile", member_id=member.id))
    return render_template("members/register.html", form=form)


@bp.route("/members/<int:member_id>")
def profile(member_id: int):
    member = load_member(member_id, current_user)
    show_contact = can_see_contact(current_user, member)
    open_listings = db.session.scalars(
        select(Listing).where(Listing.member_id == member.id, Listing.status == "open")
        .order_by(Listing.direction, Listing.title)).all()
    return render_template("members/profile.html", member=member, show_contact=show_contact,
                           can_manage=can_manage(current_user, member),
                           can_act=can_act_for(current_user, member), listings=open_listings)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    form = MemberForm(obj=member)
    if form.validate_on_submit():
        with domain_errors(form):
            services.update_member(member, **form.service_fields())
            flash("Profile saved.", "success")
            return redirect(url_for("members.profile", member_id=member.id))
    return render_template("members/edit.html", form=form, member=member)
