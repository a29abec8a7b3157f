"""Home page, health check and the developers' style guide."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_wtf import FlaskForm
from sqlalchemy import func, select, text
from wtforms import BooleanField, DateField, RadioField, StringField, TextAreaField

from timebank.db import today
from timebank.extensions import db
from timebank.listings.models import Listing
from timebank.members.models import Member

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    open_listings = select(func.count()).select_from(Listing).join(Member).where(
        Listing.status == "open", Listing.expires_on >= today(), Member.status == "active")
    counts = {
        "members": db.session.scalar(select(func.count()).select_from(Member).where(Member.status == "active")),
        "offers": db.session.scalar(open_listings.where(Listing.direction == "offer")),
        "needs": db.session.scalar(open_listings.where(Listing.direction == "need")),
    }
    return render_template("main/index.html", counts=counts)


@bp.route("/healthz")
def healthz():
    """Liveness with a real database round trip; 503 if the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="error", database=type(error).__name__), 503
    return jsonify(status="ok", database=db.engine.dialect.name)


class StyleguideForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name of the organisation")
    kind = RadioField("What kind of help?", choices=[("time", "Time"), ("skill", "Skill"), ("room", "Room")])
    description = TextAreaField("Describe it")
    agree = BooleanField("I agree")
    when = DateField("When")


@bp.route("/styleguide")
def styleguide():
    form = StyleguideForm(data={"name": "Kirkby <Food> Bank"})
    form.validate()
    form.name.errors = ["Name must be 160 characters or fewer"]
    form.kind.errors = ["Choose what kind of help this is"]
    return render_template("main/styleguide.html", form=form)


@bp.route("/accessibility")
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")
