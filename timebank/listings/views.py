"""The public directory, a listing's page, and posting, changing, renewing and withdrawing listings."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from timebank.db import today
from timebank.extensions import db
from timebank.listings import services
from timebank.listings.access import load_listing
from timebank.listings.forms import DirectoryForm, ListingForm
from timebank.listings.models import DAYS
from timebank.main.forms import domain_errors
from timebank.main.query_args import page_arg
from timebank.members.access import load_member
from timebank.members.models import Asset
from timebank.members.access import can_act_for, members_of
from timebank.places import UnknownPostcode, distance_precision, geocode

bp = Blueprint("listings", __name__)


@bp.route("/listings")
def directory():
    return render_directory(request.args)


def render_directory(args, save_form=None):
    """The directory for these filters (a query string); signed in, with a form to save the search."""
    from timebank.saved_searches.forms import SaveSearchForm

    form = DirectoryForm(MultiDict(args))
    form.category.choices = [(0, "Any category")] + services.category_choices()
    query = services.DirectoryQuery()
    filtered = False
    if form.validate():
        query.keyword = form.q.data or None
        query.kind = form.kind.data or None
        query.direction = form.direction.data or None
        query.category_id = form.category.data or None
        query.town = form.town.data or None
        query.ward = form.ward.data or None
        query.weekday = [d.lower() for d in DAYS].index(form.day.data) if form.day.data else None
        if form.postcode.data:
            try:
                place = geocode(form.postcode.data)
            except UnknownPostcode as error:
                form.postcode.errors = [str(error)]
            else:
                query.near, query.near_precision = (place.latitude, place.longitude), place.precision
                query.within_km = float(form.within.data or 5)
        filtered = not form.postcode.errors and any(
            (query.keyword and query.keyword.strip(), query.kind, query.direction, query.category_id, query.town,
             query.ward, query.near, query.weekday is not None))
    query.page = page_arg()
    page = services.search_directory(query)
    if save_form is None and filtered and current_user.is_authenticated:
        save_form = SaveSearchForm(formdata=None, data={
            "q": query.keyword, "kind": query.kind, "direction": query.direction, "category": query.category_id,
            "town": query.town, "ward": query.ward, "postcode": form.postcode.data if query.near else None,
            "within": int(query.within_km) if query.near else None, "day": form.day.data or None})
    return render_template("listings/directory.html", form=form, page=page, save_form=save_form)


@bp.route("/listings/<int:listing_id>")
def detail(listing_id: int):
    from timebank.exchanges.scheduling import describe_when

    listing = load_listing(listing_id, current_user)
    return render_template("listings/detail.html", listing=listing, when=describe_when(listing),
                           can_act=can_act_for(current_user, listing.member),
                           renew_warning_from=today() + timedelta(days=services.OFFER_RENEWAL_DAYS))


# The service's names for what the listing form asks under other names.
FORM_NAMES = {"weekly_pattern": "week"}


def _asset_choices(member_id: int) -> list[tuple[int, str]]:
    assets = db.session.scalars(select(Asset).where(Asset.member_id == member_id).order_by(Asset.name))
    return [(0, "Not a room or item")] + [(a.id, f"{a.name} ({a.kind})") for a in assets]


@bp.route("/members/<int:member_id>/listings/new", methods=["GET", "POST"])
@login_required
def new(member_id: int):
    member = load_member(member_id, current_user, need="act")
    form = ListingForm()
    form.category_id.choices = [(0, "Choose a category")] + services.category_choices()
    form.asset_id.choices = _asset_choices(member.id)
    if request.method == "GET":
        form.direction.data = request.args.get("direction") if request.args.get("direction") in ("offer", "need") else None
        form.prefill_defaults()
    if form.validate_on_submit():
        with domain_errors(form, renamed=FORM_NAMES):
            listing = services.create_listing(member, current_user, **form.service_fields())
            flash(f"Your {listing.direction} \u201c{listing.title}\u201d is in the directory.", "success")
            return redirect(url_for("listings.detail", listing_id=listing.id))
    return render_template("listings/form.html", form=form, member=member, listing=None, days=DAYS)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int):
    listing = load_listing(listing_id, current_user, need="act")
    form = ListingForm(obj=listing, listing=listing)
    form.category_id.choices = [(0, "Choose a category")] + services.category_choices()
    form.asset_id.choices = _asset_choices(listing.member_id)
    if request.method == "GET":
        form.show_listing(listing)
        form.asset_id.data = listing.asset_id or 0
    if form.validate_on_submit():
        with domain_errors(form, renamed=FORM_NAMES):
            services.update_listing(listing, current_user, **form.service_fields())
            flash("Listing saved.", "success")
            return redirect(url_for("listings.detail", listing_id=listing.id))
    return render_template("listings/form.html", form=form, member=listing.member, listing=listing, days=DAYS)


@bp.route("/listings/<int:listing_id>/withdraw", methods=["POST"])
@login_required
def withdraw(listing_id: int):
    listing = load_listing(listing_id, current_user, need="act")
    with domain_errors():
        services.withdraw_listing(listing, current_user)
        flash(f"\u201c{listing.title}\u201d has been withdrawn.", "success")
    return redirect(url_for("listings.detail", listing_id=listing.id))


@bp.route("/listings/<int:listing_id>/renew", methods=["POST"])
@login_required
def renew(listing_id: int):
    listing = load_listing(listing_id, current_user, need="act")
    with domain_errors():
        services.renew_listing(listing, current_user)
        flash(f"\u201c{listing.title}\u201d is in the directory until {listing.expires_on:%-d %B %Y}.", "success")
    return redirect(url_for("listings.detail", listing_id=listing.id))


@bp.app_context_processor
def listing_helpers():
    return {"my_members": (lambda: members_of(current_user)) if current_user.is_authenticated else (lambda: []),
            "distance_precision": distance_precision, "can_renew": services.can_renew}
