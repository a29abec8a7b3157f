"""A person's notifications and their email choices."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField

from timebank.notifications import services
from timebank.notifications.models import TOPICS

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


class PreferencesForm(FlaskForm):
    pass


for _topic, _label in TOPICS.items():
    setattr(PreferencesForm, _topic, BooleanField(_label))


class MarkReadForm(FlaskForm):
    pass


@bp.route("/", methods=["GET"])
@login_required
def index():
    form = PreferencesForm(data={t: services.wants_email(current_user, t) for t in TOPICS})
    return render_template("notifications/index.html", notifications=services.recent(current_user),
                           form=form, read_form=MarkReadForm(), topics=TOPICS)


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    if MarkReadForm().validate_on_submit():
        services.mark_all_read(current_user)
        flash("All notifications marked as read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["POST"])
@login_required
def preferences():
    form = PreferencesForm()
    if form.validate_on_submit():
        services.set_email_preferences(current_user, {t: getattr(form, t).data for t in TOPICS})
        flash("Your email choices are saved.", "success")
    return redirect(url_for("notifications.index"))


@bp.app_context_processor
def unread():
    if current_user.is_authenticated:
        return {"unread_notifications": services.unread_count_for_page(current_user)}
    return {"unread_notifications": 0}
