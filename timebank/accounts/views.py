"""Sign in, sign out, sign up, confirm email, reset password."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from timebank.accounts import services
from timebank.accounts.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from timebank.errors import DomainError, NotFound
from timebank.extensions import db, limiter
from timebank.main.forms import show_domain_error
from timebank.security import LOGIN_LIMIT, PASSWORD_RESET_LIMIT, SIGN_UP_LIMIT

bp = Blueprint("auth", __name__)


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
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            db.session.commit()  # keep the failure count, which is the throttle
            show_domain_error(form, error)
            return render_template("auth/login.html", form=form), 429 if error.status_code == 429 else 200
        db.session.commit()
        login_user(user, remember=form.remember.data)
        flash(f"Signed in as {user.display_name}.", "success")
        return redirect(_safe_next(request.args.get("next")) or url_for("members.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def logout():
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(SIGN_UP_LIMIT, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("members.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        services.sign_up(form.email.data, form.password.data, form.display_name.data)
        db.session.commit()
        return render_template("auth/check_email.html", email=services.normalise_email(form.email.data))
    return render_template("auth/signup.html", form=form)


@bp.route("/confirm-email/<token>")
def confirm_email(token: str):
    try:
        user = services.confirm_email(token)
    except NotFound as error:
        return render_template("auth/link_problem.html", message=error.message), 404
    db.session.commit()
    login_user(user)
    flash("Your email address is confirmed. Now tell us about your organisation or business.", "success")
    return redirect(url_for("members.dashboard"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(PASSWORD_RESET_LIMIT, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=services.normalise_email(form.email.data))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.read_token(token, "reset", max_age=_max_age())
    except NotFound as error:
        return render_template("auth/link_problem.html", message=error.message), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data)
        db.session.commit()
        login_user(user)
        flash("Your password has been changed.", "success")
        return redirect(url_for("members.dashboard"))
    return render_template("auth/reset_password.html", form=form)


def _max_age() -> int:
    from flask import current_app

    return current_app.config["PASSWORD_RESET_MAX_AGE"]


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html")
