"""Writing in an exchange's conversation (it is read on the exchange's page)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from timebank.conversations import services
from timebank.conversations.forms import MessageForm
from timebank.exchanges.access import load_exchange
from timebank.exchanges.views import render_detail
from timebank.main.forms import domain_errors

bp = Blueprint("conversations", __name__)


@bp.route("/exchanges/<int:exchange_id>/messages", methods=["POST"])
@login_required
def post(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    form = MessageForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.post(exchange, current_user, form.body.data, member_id=form.member_id.data)
            flash("Message sent. The others have been told.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id, _anchor="messages"))
    return render_detail(exchange, message_form=form)
