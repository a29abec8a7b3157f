"""Personal access tokens on the web: make one (shown once), see when each was last used, revoke."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from timebank.accounts import tokens
from timebank.api.forms import RevokeForm, TokenForm
from timebank.main.forms import domain_errors

bp = Blueprint("api_tokens", __name__)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm().for_user(current_user)
    if form.validate_on_submit():
        with domain_errors(form):
            token, secret = tokens.create_token(current_user, name=form.name.data, scope=form.scope.data)
            # Shown on this response only: the secret is never stored, so it cannot go through a redirect.
            return render_template("api/token_created.html", token=token, secret=secret)
    return render_template("api/tokens.html", form=form, tokens=tokens.tokens_of(current_user),
                           revoke_form=RevokeForm())


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    token = tokens.load_token(token_id, current_user)
    if RevokeForm().validate_on_submit():
        with domain_errors():
            tokens.revoke_token(token, current_user)
            flash(f"\u201c{token.name}\u201d is revoked. Anything using it can no longer reach the exchange.", "success")
    return redirect(url_for("api_tokens.index"))
