"""The coordinators' audit log: every change to proposals, exchanges, postings, bookings and loans."""
from __future__ import annotations

from flask import Blueprint, render_template

from timebank.accounts.access import coordinator_required
from timebank.audit.services import newest_first
from timebank.main.query_args import page_arg

bp = Blueprint("audit", __name__)


@bp.route("/coordinator/audit")
@coordinator_required
def log():
    page = page_arg()
    events, more = newest_first(page)
    return render_template("audit/log.html", events=events, page=page, more=more)
