"""Public headline figures (the full social-value reports build on this)."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from timebank.db import today
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Member

bp = Blueprint("reports", __name__, url_prefix="/impact")


@bp.route("/")
def public_dashboard():
    """Open listings by kind and by town, recorded through the exchange; no member names."""
    live = (Listing.status == "open", Listing.expires_on >= today(), Member.status == "active")
    by_kind = db.session.execute(
        select(Listing.kind, Listing.direction, func.count()).join(Member).where(*live)
        .group_by(Listing.kind, Listing.direction).order_by(Listing.kind, Listing.direction)).all()
    by_town = db.session.execute(
        select(Member.town, func.count()).where(Member.status == "active")
        .group_by(Member.town).order_by(func.count().desc(), Member.town)).all()
    return render_template("reports/public_dashboard.html", by_kind=by_kind, by_town=by_town)
