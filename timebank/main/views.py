"""Home page, health check, the developers' style guide, and the notices every footer links to."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_wtf import FlaskForm
from sqlalchemy import func, select, text
from wtforms import BooleanField, RadioField, StringField, TextAreaField

from timebank.extensions import db
from timebank.figures import remembered
from timebank.listings.models import Listing
from timebank.listings.services import from_active_member, is_open
from timebank.main.forms import DayField
from timebank.members.models import Member
from timebank.privacy import notices

bp = Blueprint("main", __name__)


def headline_counts() -> dict[str, int]:
    """Active members, and open offers and needs of active members, for the home page."""
    by_direction = dict(db.session.execute(
        select(Listing.direction, func.count()).where(is_open(), from_active_member())
        .group_by(Listing.direction)).all())
    return {"members": db.session.scalar(select(func.count()).select_from(Member).where(Member.status == "active")),
            "offers": by_direction.get("offer", 0), "needs": by_direction.get("need", 0)}


@bp.route("/")
def index():
    # Counting 100,000 listings on every view costs more than the rest of the page: the
    # figures are remembered for up to a minute (timebank/figures.py), and the page says so.
    return render_template("main/index.html", counts=remembered("home.counts", headline_counts))


@bp.route("/healthz")
def healthz():
    """Liveness with a real database round trip; 503 if the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify(status="error", database=type(error).__name__), 503
    return jsonify(status="ok", database=db.engine.dialect.name)


class StyleguideForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name of the organisation")
    kind = RadioField("What kind of help?", choices=[("time", "Time"), ("skill", "Skill"), ("room", "Room")])
    description = TextAreaField("Describe it")
    agree = BooleanField("I agree")
    when = DayField("When")


@bp.route("/styleguide")
def styleguide():
    form = StyleguideForm(data={"name": "Kirkby <Food> Bank"})
    form.validate()
    form.name.errors = ["Name must be 160 characters or fewer"]
    form.kind.errors = ["Choose what kind of help this is"]
    return render_template("main/styleguide.html", form=form)


@bp.route("/accessibility")
def accessibility():
    return render_template("main/accessibility.html", who=notices.controller())


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html", who=notices.controller(), retention=notices.retention_rows())


@bp.route("/cookies")
def cookies():
    return render_template("main/cookies.html", cookies=notices.cookies())
