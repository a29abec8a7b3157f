"""Direct exchange pages: "Ask for this" / "Offer to help" on a listing, and other hours or dates
in answer (the rules are in timebank/exchanges/direct.py)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from timebank.accounts.access import coordinator_required
from timebank.bookings.models import uk_now
from timebank.errors import DomainError
from timebank.exchanges import direct, policy, scheduling
from timebank.exchanges.forms import AskForm, CounterForm, DirectPolicyForm
from timebank.exchanges.access import answering_member, load_exchange
from timebank.listings.access import load_listing
from timebank.listings.models import MOST_HOURS
from timebank.main.forms import domain_errors
from timebank.main.query_args import id_arg
from timebank.members.access import members_of

bp = Blueprint("direct", __name__)


def _suggested(leg_like) -> tuple | None:
    return scheduling.suggest(leg_like, uk_now())


@bp.route("/listings/<int:listing_id>/ask", methods=["GET", "POST"])
@login_required
def ask(listing_id: int):
    listing = load_listing(listing_id, current_user)
    others = [m for m in members_of(current_user) if m.id != listing.member_id]
    mine = [m for m in others if m.status == "active"]
    form = AskForm()
    form.member_id.choices = [(m.id, m.name) for m in mine]
    if mine and form.validate_on_submit():
        member = next((m for m in mine if m.id == form.member_id.data), None)
        with domain_errors(form):
            if member is None:
                raise DomainError("Choose which of your organisations it is for", field="member_id")
            exchange = direct.ask(listing, member, current_user, hours=form.hours.data, people=form.people.data,
                                  start=form.start.data, end=form.end.data, message=form.message.data)
            flash(f"Sent. {listing.member.name} has been told and can accept, decline or suggest other hours "
                  "or dates.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    elif request.method == "GET":
        form.hours.data = listing.quantity if listing.quantity and listing.quantity <= MOST_HOURS else None
        slot = scheduling.suggest_for_listing(listing, uk_now())
        if slot is not None:
            form.start.data, form.end.data = slot
    return render_template("exchanges/ask.html", listing=listing, form=form, members=mine,
                           waiting=[m for m in others if m.status != "active"], when=scheduling.describe_when(listing))


@bp.route("/exchanges/<int:exchange_id>/counter", methods=["GET", "POST"])
@login_required
def counter(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    member = answering_member(exchange, current_user, id_arg("member_id"))
    form = CounterForm()
    leg = exchange.legs[0]
    if form.validate_on_submit():
        with domain_errors(form):
            direct.counter(exchange, member, current_user, hours=form.hours.data, people=form.people.data,
                           start=form.start.data, end=form.end.data, message=form.message.data)
            flash("Sent. The other side has been told and can accept, decline or suggest other hours or dates.",
                  "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    elif request.method == "GET":
        form.hours.data, form.people.data = leg.hours, leg.people
        form.start.data, form.end.data = leg.proposed_start, leg.proposed_end
    return render_template("exchanges/counter.html", exchange=exchange, member=member, form=form, leg=leg,
                           shared=scheduling.shared(leg).describe())


@bp.route("/coordinator/direct-exchanges", methods=["GET", "POST"])
@coordinator_required
def policy_page():
    """The coordinators' policy: which direct exchanges wait for their approval (audited)."""
    now = policy.current()
    form = DirectPolicyForm()
    if form.validate_on_submit():
        with domain_errors(form):
            saved = policy.set_policy(current_user, approval=form.approval.data, over_hours=form.over_hours.data,
                                      rooms_and_equipment=form.rooms_and_equipment.data,
                                      requirements=form.requirements.data)
            flash(f"Saved. {saved.describe()}.", "success")
            return redirect(url_for("direct.policy_page"))
    elif request.method == "GET":
        form.approval.data, form.over_hours.data = now.approval, now.over_hours
        form.rooms_and_equipment.data, form.requirements.data = now.rooms_and_equipment, now.requirements
    return render_template("exchanges/direct_policy.html", form=form, policy=now)
