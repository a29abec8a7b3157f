"""The coordinators' schedule for the matcher, and sending held proposals on to their members."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField
from wtforms.validators import DataRequired, Optional

from timebank.accounts.access import coordinator_required
from timebank.exchanges import services
from timebank.exchanges.access import load_exchange
from timebank.listings.models import DAYS
from timebank.main.forms import domain_errors
from timebank.matcher import schedule

bp = Blueprint("matcher_schedule", __name__)


class ScheduleForm(FlaskForm):
    cadence = RadioField("When does the matcher run by itself?", choices=list(schedule.CADENCES.items()),
                         validators=[DataRequired("Choose how often the matcher runs by itself")])
    weekday = SelectField("Which night, if once a week?", coerce=int, choices=list(enumerate(DAYS)),
                          validators=[Optional()])
    review = BooleanField("Let me review its proposals before the members see them")


@bp.route("/coordinator/matcher-schedule", methods=["GET", "POST"])
@coordinator_required
def schedule_page():
    now = schedule.current()
    form = ScheduleForm()
    if form.validate_on_submit():
        with domain_errors(form):
            saved = schedule.set_schedule(current_user, cadence=form.cadence.data, weekday=form.weekday.data,
                                          review=form.review.data)
            flash(f"Saved. {saved.describe()}.", "success")
            return redirect(url_for("matcher_schedule.schedule_page"))
    elif request.method == "GET":
        form.cadence.data, form.weekday.data, form.review.data = now.cadence, now.weekday or 0, now.review
    return render_template("exchanges/matcher_schedule.html", form=form, schedule=now, runs_at=schedule.RUNS_AT)


@bp.route("/exchanges/<int:exchange_id>/release", methods=["POST"])
@coordinator_required
def release(exchange_id: int):
    """Send a proposal held for review on to its members."""
    exchange = load_exchange(exchange_id, current_user)
    with domain_errors():
        services.release([exchange], current_user)
        flash(f"Exchange {exchange.id} is sent to its members, who have been told.", "success")
    return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
