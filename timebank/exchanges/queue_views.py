"""The coordinators' work queue: what waits for review, approval, answers or confirmation, and what is stuck.

Send held proposals on to their members or reject them, approve several exchanges at once with their
default schedules (after a check-answers page), and remind the members that have not answered or
confirmed.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from timebank.accounts.access import coordinator_required
from timebank.bookings.services import describe_slot
from timebank.errors import DomainError
from timebank.exchanges import queue, reminders, scheduling, services
from timebank.exchanges.queue import QUEUE_LISTS, describe_planned, exchange_title
from timebank.main.forms import domain_errors, show_domain_error
from timebank.unit_of_work import discard

bp = Blueprint("queue", __name__)


class IdsField(SelectMultipleField):
    """Ticked ids; choices are set from the queue on each request."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label, **kwargs):
        super().__init__(label, coerce=int, **kwargs)

    def pre_validate(self, form):
        # An id that left the list since the page was drawn is the service's to explain.
        pass


class ReviewForm(FlaskForm):
    exchange_ids = IdsField("Proposals held for your review")
    reason = TextAreaField("Why reject them? (only if you reject them)", validators=[
        Length(max=2000, message="Keep the reason to 2,000 characters or fewer")])


class ApproveForm(FlaskForm):
    exchange_ids = IdsField("Exchanges to approve with their default dates")


class RemindAnswersForm(FlaskForm):
    exchange_ids = IdsField("Proposals whose members have not all answered")


class RemindConfirmationsForm(FlaskForm):
    leg_ids = IdsField("Parts whose receivers have not confirmed")


def _forms(current: queue.Queue, **given) -> dict:
    review = given.get("review_form") or ReviewForm(formdata=None)
    review.exchange_ids.choices = [(i.exchange.id, exchange_title(i.exchange)) for i in current.review]
    approve = given.get("approve_form") or ApproveForm(formdata=None)
    approve.exchange_ids.choices = [(i.exchange.id, exchange_title(i.exchange)) for i in current.approval
                                    if i.default.schedule is not None]
    answers = given.get("answers_form") or RemindAnswersForm(formdata=None)
    answers.exchange_ids.choices = [(i.exchange.id, exchange_title(i.exchange)) for i in current.answers]
    confirmations = given.get("confirmations_form") or RemindConfirmationsForm(formdata=None)
    confirmations.leg_ids.choices = [(i.leg.id, f"Part {i.leg.position + 1} of {exchange_title(i.leg.exchange)}")
                                     for i in current.overdue]
    return {"review_form": review, "approve_form": approve, "answers_form": answers, "confirmations_form": confirmations}


def _page(current: queue.Queue | None = None, status: int = 200, **forms):
    current = current or queue.coordinator_queue()
    return render_template("exchanges/queue.html", queue=current, lists=QUEUE_LISTS, describe_planned=describe_planned,
                           describe_slot=describe_slot, exchange_title=exchange_title,
                           stuck_after_days=queue.stuck_after_days(),
                           **_forms(current, **forms)), status


@bp.route("/coordinator/queue")
@coordinator_required
def index():
    return _page()


@bp.route("/coordinator/queue/review", methods=["POST"])
@coordinator_required
def review():
    """Send the ticked held proposals on to their members, or reject them with a reason."""
    form = ReviewForm()
    if not form.validate_on_submit():
        return _page(review_form=form, status=400)
    send = request.form.get("decision") != "reject"
    with domain_errors(form):
        done = services.review_held(current_user, form.exchange_ids.data, send=send, reason=form.reason.data)
        names = ", ".join(exchange_title(e) for e in done)
        flash(f"Sent to their members, who have been told: {names}." if send
              else f"Rejected: {names}. Their members never saw {'it' if len(done) == 1 else 'them'}.", "success")
        return redirect(url_for("queue.index"))
    return _page(review_form=form, status=422)


@bp.route("/coordinator/queue/approve", methods=["POST"])
@coordinator_required
def approve():
    """Step 1: the ticked exchanges and their dates (check answers). Step 2 (confirm=yes): approve them."""
    form = ApproveForm()
    if not form.validate_on_submit():
        return _page(approve_form=form, status=400)
    with domain_errors(form):
        if request.form.get("confirm") != "yes":
            if not form.exchange_ids.data:
                raise DomainError("Choose at least one exchange to approve", field="exchange_ids")
            current = queue.coordinator_queue()
            chosen = [item for item in current.approval if item.exchange.id in set(form.exchange_ids.data)]
            missing = set(form.exchange_ids.data) - {item.exchange.id for item in chosen}
            if missing or any(item.default.schedule is None for item in chosen):
                # Gone from the list, or no longer schedulable: the service says which and why.
                scheduling.approve_with_defaults(current_user, form.exchange_ids.data)
            discard()  # the check-answers page changes nothing
            return render_template("exchanges/queue_approve_check.html", form=form, chosen=chosen,
                                   exchange_title=exchange_title, describe_slot=describe_slot)
        approved = scheduling.approve_with_defaults(current_user, form.exchange_ids.data)
        flash(f"{len(approved)} {'exchange is' if len(approved) == 1 else 'exchanges are'} approved and scheduled: "
              f"{', '.join(exchange_title(e) for e in approved)}. Every member has been told.", "success")
        return redirect(url_for("queue.index"))
    return _page(approve_form=form, status=422)


@bp.route("/coordinator/queue/remind", methods=["POST"])
@coordinator_required
def remind():
    """Remind the members of the ticked proposals, or the receivers of the ticked overdue parts."""
    which = request.form.get("list")
    form = RemindConfirmationsForm() if which == "overdue" else RemindAnswersForm()
    key = "confirmations_form" if which == "overdue" else "answers_form"
    if not form.validate_on_submit():
        return _page(status=400, **{key: form})
    try:
        if which == "overdue":
            done = reminders.remind(current_user, leg_ids=form.leg_ids.data)
        else:
            done = reminders.remind(current_user, exchange_ids=form.exchange_ids.data)
    except DomainError as error:
        discard()  # before the page is drawn again from the database
        if not error.field or not hasattr(form, error.field):
            error.field = "leg_ids" if which == "overdue" else "exchange_ids"
        show_domain_error(form, error)
        return _page(status=422, **{key: form})
    message = f"{done.sent} {'reminder' if done.sent == 1 else 'reminders'} sent."
    if done.already_today:
        message += " Already reminded today, so not sent again: " + "; ".join(done.already_today) + "."
    flash(message, "success")
    return redirect(url_for("queue.index"))
