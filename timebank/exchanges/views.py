"""Exchange pages: see the whole ring or chain, answer for your part, approve, confirm, dispute."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from timebank.accounts.access import coordinator_required
from timebank.audit.services import events_for
from timebank.conversations import services as conversations
from timebank.errors import DomainError
from timebank.exchanges import services
from timebank.bookings.models import uk_now
from timebank.exchanges import scheduling
from timebank.exchanges.access import acting_member, answering_member, load_exchange, load_leg
from timebank.exchanges.forms import (ConfirmLegForm, DisputeLegForm, ReasonForm, RecordAnswerForm, RecordHelpForm,
                                      RejectForm, RespondForm, SettleForm, SideForm, schedule_form)
from timebank.exchanges.models import Exchange, Leg
from timebank.extensions import db
from timebank.ledger.services import balances
from timebank.main.forms import domain_errors
from timebank.main.query_args import id_arg
from timebank.members.access import load_member
from timebank.members.models import Member
from timebank.members.access import members_of

bp = Blueprint("exchanges", __name__)


def _diagram(exchange: Exchange) -> list[dict]:
    """Members in order, each with what it gives to the next (for the ring or chain diagram)."""
    return [{"name": leg.giver.name, "gives": leg.description} for leg in exchange.legs] + (
        [{"name": exchange.legs[-1].receiver.name, "gives": ""}]
        if exchange.shape in ("chain", "pair", "direct") and exchange.legs else [])


@bp.route("/exchanges")
@login_required
def index():
    mine = members_of(current_user)
    exchanges = services.exchanges_for([m.id for m in mine]) if mine else []
    return render_template("exchanges/index.html", exchanges=exchanges, members=mine)


@bp.route("/exchanges/<int:exchange_id>")
@login_required
def detail(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    conversations.seen(exchange, current_user)
    return render_detail(exchange)


def render_detail(exchange: Exchange, message_form=None):
    """The exchange's page (also with a message that could not be sent, and why, beside its box)."""
    from timebank.conversations.forms import MessageForm

    mine = {m.id for m in members_of(current_user)}
    pending = [p for p in exchange.parties if p.member_id in mine and p.status == "pending"]
    answer_as = [p for p in pending if not services.asker_answering(exchange, p.member, current_user)]
    context = {
        "exchange": exchange, "diagram": _diagram(exchange), "answer_as": answer_as, "mine": mine,
        "events": events_for("exchanges", exchange.id), "respond_form": RespondForm(),
        "reject_form": RejectForm(), "dispute_form": DisputeLegForm(),
        "my_parties": [p for p in exchange.parties if p.member_id in mine],
        "open_requests": [r for r in exchange.change_requests if r.resolved_at is None],
        "now": uk_now(), "messages": conversations.thread(exchange),
        "message_form": message_form or MessageForm(), "contacts": services.contacts(exchange, current_user),
        "contacts_note": services.contacts_note(exchange, current_user),
    }
    return render_template("exchanges/detail.html", **context)


@bp.route("/exchanges/<int:exchange_id>/respond", methods=["GET", "POST"])
@login_required
def respond(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    member = answering_member(exchange, current_user, id_arg("member_id"))
    if exchange.shape == "direct":
        return _answer_record(exchange, member)
    form = RespondForm(data={"member_id": member.id})
    if form.validate_on_submit():
        with domain_errors(form):
            services.respond(exchange, member, current_user, accept=form.answer.data == "accept",
                             reason=form.reason.data)
            flash("Thank you. Your answer is saved and the others have been told." if form.answer.data == "accept"
                  else "You declined. The exchange is off and the others have been told.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    return render_template("exchanges/respond.html", exchange=exchange, member=member, form=form,
                           diagram=_diagram(exchange))


def _answer_record(exchange: Exchange, member: Member):
    """Help another member recorded: did it happen as recorded? Shows what confirming does to credits."""
    form = RecordAnswerForm(data={"member_id": member.id})
    recorder = next(p.member for p in exchange.parties if p.member_id != member.id)
    if form.validate_on_submit():
        with domain_errors(form):
            happened = form.answer.data == "accept"
            services.confirm_direct(exchange, member, current_user, agree=happened, reason=form.reason.data)
            flash("You confirmed it. The time credits have moved and the others have been told." if happened
                  else f"You said it did not happen as recorded. The record is cancelled and {recorder.name} "
                  "has been told why.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    return render_template("exchanges/confirm_record.html", exchange=exchange, member=member, form=form,
                           leg=exchange.legs[0], recorder=recorder,
                           balances=balances([p.member_id for p in exchange.parties]))


def _availability(exchange: Exchange) -> dict[int, dict]:
    """For each leg: what each side's listing says, what they share, and the slot it suggests."""
    now = uk_now()
    result = {}
    for leg in exchange.legs:
        sides = [(label, listing) for label, listing in (("offer", leg.offer), ("need", leg.need)) if listing]
        result[leg.id] = {
            "sides": [(f"{listing.member.name} ({label})",
                       scheduling.Availability(listing.available_from, listing.available_until,
                                               listing.weekly_pattern).describe()) for label, listing in sides],
            "shared": scheduling.shared(leg).describe() if sides else None,
            "suggested": scheduling.suggest(leg, now),
            "length": services.amount_phrase(leg.kind, leg.hours, leg.people),
        }
    return result


def _schedule_of(form, legs) -> dict:
    return {leg.id: (getattr(form, f"start_{leg.id}").data, getattr(form, f"end_{leg.id}").data) for leg in legs}


@bp.route("/exchanges/<int:exchange_id>/approve", methods=["GET", "POST"])
@coordinator_required
def approve(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    form = schedule_form(exchange.legs)()
    availability = _availability(exchange)
    if form.validate_on_submit():
        with domain_errors(form):
            services.approve(exchange, current_user, _schedule_of(form, exchange.legs),
                             override_reason=form.override_reason.data)
            flash(f"Exchange {exchange.id} is approved and scheduled. The members have been told.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    elif request.method == "GET":
        for leg in exchange.legs:
            # A direct exchange's members agreed their dates; the matcher's get the first shared slot.
            slot = (leg.proposed_start, leg.proposed_end) if leg.proposed_start else availability[leg.id]["suggested"]
            if slot is not None:
                getattr(form, f"start_{leg.id}").data, getattr(form, f"end_{leg.id}").data = slot
    return render_template("exchanges/approve.html", exchange=exchange, form=form, diagram=_diagram(exchange),
                           availability=availability, legs=exchange.legs, rescheduling=False)


@bp.route("/exchanges/<int:exchange_id>/reschedule", methods=["GET", "POST"])
@coordinator_required
def reschedule(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    legs = [leg for leg in exchange.legs if leg.status == "scheduled"]
    form = schedule_form(legs, with_reason=True)()
    if form.validate_on_submit():
        with domain_errors(form):
            services.reschedule(exchange, current_user, _schedule_of(form, legs), reason=form.reason.data,
                                override_reason=form.override_reason.data)
            flash(f"Exchange {exchange.id} is rescheduled. Everyone in it has been told.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    elif request.method == "GET":
        for leg in legs:
            getattr(form, f"start_{leg.id}").data = leg.scheduled_start
            getattr(form, f"end_{leg.id}").data = leg.scheduled_end
    return render_template("exchanges/approve.html", exchange=exchange, form=form, diagram=_diagram(exchange),
                           availability=_availability(exchange), legs=legs, rescheduling=True)


@bp.route("/exchanges/<int:exchange_id>/cancel", methods=["GET", "POST"])
@coordinator_required
def cancel(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    form = ReasonForm()
    form.leg_id.choices = [(0, "The whole exchange")] + [
        (leg.id, f"Part {leg.position + 1}: {leg.giver.name} gives {leg.description} to {leg.receiver.name}")
        for leg in exchange.legs if leg.status != "cancelled"]
    if form.validate_on_submit():
        with domain_errors(form):
            leg = next((l for l in exchange.legs if l.id == form.leg_id.data), None) if form.leg_id.data else None
            if form.leg_id.data and leg is None:
                raise DomainError("Choose a part of this exchange", field="leg_id")
            if leg is None:
                services.cancel_exchange(exchange, current_user, form.reason.data)
            else:
                services.cancel_leg(leg, current_user, form.reason.data)
            flash("Cancelled. Everyone in the exchange has been told.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    elif request.method == "GET":
        form.leg_id.data = request.args.get("leg_id", 0, type=int)
    return render_template("exchanges/change.html", exchange=exchange, form=form, action="cancel",
                           diagram=_diagram(exchange))


@bp.route("/exchanges/<int:exchange_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    member = acting_member(exchange, current_user, id_arg("member_id"))
    form = ReasonForm()
    form.leg_id.choices = []
    if form.validate_on_submit():
        with domain_errors(form):
            services.withdraw(exchange, member, current_user, form.reason.data)
            flash(f"{member.name} has withdrawn. Everyone in the exchange has been told.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    return render_template("exchanges/change.html", exchange=exchange, form=form, action="withdraw", member=member,
                           diagram=_diagram(exchange))


@bp.route("/exchanges/<int:exchange_id>/change", methods=["GET", "POST"])
@login_required
def request_change(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    member = acting_member(exchange, current_user, id_arg("member_id"))
    form = ReasonForm()
    form.leg_id.choices = [(0, "The whole exchange")] + [
        (leg.id, f"Part {leg.position + 1}: {leg.giver.name} gives {leg.description} to {leg.receiver.name}")
        for leg in exchange.legs if leg.status == "scheduled"]
    if form.validate_on_submit():
        with domain_errors(form):
            leg = next((l for l in exchange.legs if l.id == form.leg_id.data), None) if form.leg_id.data else None
            services.request_change(exchange, member, current_user, form.reason.data, leg=leg)
            flash("Your request is sent. A coordinator will change the exchange or be in touch.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    return render_template("exchanges/change.html", exchange=exchange, form=form, action="change", member=member,
                           diagram=_diagram(exchange))


@bp.route("/exchanges/<int:exchange_id>/reject", methods=["POST"])
@coordinator_required
def reject(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    form = RejectForm()
    if form.validate_on_submit():
        with domain_errors():
            services.reject(exchange, current_user, form.reason.data)
            flash(f"Exchange {exchange.id} is rejected. The members have been told why.", "success")
    else:
        flash("Enter the reason, which the members will see.", "error")
    return redirect(url_for("exchanges.detail", exchange_id=exchange.id))


@bp.route("/legs/<int:leg_id>/confirm", methods=["GET", "POST"])
@login_required
def confirm_leg(leg_id: int):
    leg = load_leg(leg_id, current_user, side="receiver", to="confirm it")
    form = ConfirmLegForm(data={"actual_hours": leg.hours, "actual_people": leg.people,
                                "happened_on": leg.scheduled_start.date() if leg.scheduled_start else None}
                          if request.method == "GET" else None)
    if form.validate_on_submit():
        with domain_errors(form):
            services.confirm_leg(leg, current_user, actual_hours=form.actual_hours.data,
                                 actual_people=form.actual_people.data, happened_on=form.happened_on.data)
            flash(f"Confirmed. {leg.giver.name} has been thanked and any time credits posted.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=leg.exchange_id))
    return render_template("exchanges/confirm_leg.html", leg=leg, form=form, started=not leg.scheduled_start
                           or leg.scheduled_start <= uk_now())


@bp.route("/legs/<int:leg_id>/dispute", methods=["POST"])
@login_required
def dispute_leg(leg_id: int):
    leg = load_leg(leg_id, current_user, side="receiver", to="dispute it")
    form = DisputeLegForm()
    if form.validate_on_submit():
        with domain_errors():
            services.dispute_leg(leg, current_user, form.reason.data)
            flash("A coordinator has been told and will be in touch.", "success")
    else:
        flash("Say what went wrong, so a coordinator can sort it out.", "error")
    return redirect(url_for("exchanges.detail", exchange_id=leg.exchange_id))


@bp.route("/legs/<int:leg_id>/settle", methods=["GET", "POST"])
@coordinator_required
def settle(leg_id: int):
    leg = load_leg(leg_id, current_user)
    form = SettleForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.settle_dispute(leg, current_user, outcome=form.outcome.data, note=form.note.data,
                                    actual_hours=form.actual_hours.data, actual_people=form.actual_people.data,
                                    happened_on=form.happened_on.data)
            flash("The dispute is settled and both members have been told.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=leg.exchange_id))
    return render_template("exchanges/settle.html", leg=leg, form=form)


@bp.route("/legs/<int:leg_id>/side", methods=["GET", "POST"])
@login_required
def give_side(leg_id: int):
    leg = load_leg(leg_id, current_user, side="giver", to="give its side")
    form = SideForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.give_side(leg, current_user, form.side.data)
            flash("Thank you. The coordinator settling the dispute will read your side.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=leg.exchange_id))
    elif request.method == "GET" and leg.giver_side:
        form.side.data = leg.giver_side
    return render_template("exchanges/side.html", leg=leg, form=form)


@bp.route("/members/<int:member_id>/record-help", methods=["GET", "POST"])
@login_required
def record_help(member_id: int):
    member = load_member(member_id, current_user, need="act")
    form = RecordHelpForm()
    form.other_member_id.choices = [(0, "Choose an organisation")] + [
        (m.id, m.name) for m in db.session.scalars(
            select(Member).where(Member.status == "active", Member.id != member.id).order_by(Member.name))]
    if form.validate_on_submit():
        with domain_errors(form):
            other = db.session.get(Member, form.other_member_id.data)
            if other is None:
                raise DomainError("Choose the organisation", field="other_member_id")
            exchange = services.record_direct(
                member, other, current_user, we_gave=form.direction.data == "gave", kind=form.kind.data,
                hours=form.hours.data, people=form.people.data, description=form.description.data,
                happened_on=form.happened_on.data)
            flash(f"Recorded. It counts once {other.name} confirms it.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    return render_template("exchanges/record_help.html", form=form, member=member)


# -- coordinators ----------------------------------------------------------------------------

@bp.route("/coordinator/exchanges")
@coordinator_required
def coordinator_list():
    held = db.session.scalars(select(Exchange).where(Exchange.status == "held").order_by(Exchange.id)).all()
    waiting = db.session.scalars(select(Exchange).where(Exchange.status == "accepted").order_by(Exchange.id)).all()
    proposed = db.session.scalars(select(Exchange).where(Exchange.status == "proposed").order_by(Exchange.id)).all()
    disputed = db.session.scalars(select(Leg).where(Leg.status == "disputed").order_by(Leg.id)).all()
    scheduled = db.session.scalars(select(Exchange).where(Exchange.status == "scheduled").order_by(Exchange.id)).all()
    return render_template("exchanges/coordinator.html", held=held, waiting=waiting, proposed=proposed,
                           disputed=disputed, scheduled=scheduled)
