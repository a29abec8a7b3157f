"""Sign in, sign out, sign up, confirm email, reset password, sign out everywhere."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from timebank.accounts import services, sessions
from timebank.accounts.forms import ConfirmEmailForm, ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from timebank.errors import DomainError, NotFound
from timebank.extensions import limiter
from timebank.main.forms import domain_errors, show_domain_error
from timebank.security import LOGIN_LIMIT, PASSWORD_RESET_LIMIT, SIGN_UP_LIMIT, answer_no_sooner_than

bp = Blueprint("auth", __name__)


def _answer_seconds() -> float:
    """A failed sign-in, a sign-up and a reset request answer no sooner than this, whoever they are about."""
    return current_app.config["ACCOUNT_ANSWER_SECONDS"]


def _safe_next(target: str | None) -> str | None:
    """Only follow ?next= to a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("members.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        started = time.monotonic()
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            # Not undone: the failure count is the throttle (a 200 answer commits it).
            answer_no_sooner_than(started + _answer_seconds())
            show_domain_error(form, error)
            return render_template("auth/login.html", form=form)
        sessions.sign_in(user, remember=form.remember.data)
        flash(f"Signed in as {user.display_name}.", "success")
        return redirect(_safe_next(request.args.get("next")) or url_for("members.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def logout():
    sessions.sign_out()
    flash("You have signed out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/sign-out-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    count = sessions.sign_out_everywhere(current_user._get_current_object())
    flash(f"You have signed out on every device ({count} in all).", "info")
    return redirect(url_for("main.index"))


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(SIGN_UP_LIMIT, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("members.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        answer_no_sooner_than(time.monotonic() + _answer_seconds())
        services.sign_up(form.email.data, form.password.data, form.display_name.data)
        return render_template("auth/check_email.html", email=services.normalise_email(form.email.data))
    return render_template("auth/signup.html", form=form)


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def confirm_email(token: str):
    """The emailed link: type the sign-up's password again to confirm (a GET alone changes nothing)."""
    try:
        services.read_link(token, "confirm")
    except NotFound as error:
        return render_template("auth/link_problem.html", message=error.message), 404
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        with domain_errors(form):
            user = services.confirm_email(token, form.password.data)
            sessions.sign_in(user)
            flash("Your email address is confirmed. Now tell us about your organisation or business.", "success")
            return redirect(url_for("members.dashboard"))
    return render_template("auth/confirm_email.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(PASSWORD_RESET_LIMIT, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        answer_no_sooner_than(time.monotonic() + _answer_seconds())
        services.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=services.normalise_email(form.email.data))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.read_link(token, "reset")
    except NotFound as error:
        return render_template("auth/link_problem.html", message=error.message), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data)
        sessions.sign_in(user)
        flash("Your password has been changed, and every other device signed in to your account is signed out.",
              "success")
        return redirect(url_for("members.dashboard"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html", sessions=sessions.live_sessions(current_user))
