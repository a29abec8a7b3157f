"""Pages for programmes, funds and grants: the coordinators' list, and tagging a listing or an exchange."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from timebank.accounts.access import coordinator_required
from timebank.audit.services import events_for
from timebank.errors import DomainError
from timebank.exchanges.access import load_exchange
from timebank.extensions import db
from timebank.funding import services
from timebank.funding.forms import AddMemberForm, FundingTagForm, RemoveMemberForm, TagsForm
from timebank.funding.models import FundingTag
from timebank.listings.access import load_listing
from timebank.main.forms import domain_errors
from timebank.members.access import load_member
from timebank.members.models import Member
from timebank.members.access import can_act_for

bp = Blueprint("funding", __name__)


# -- the list (coordinators) -------------------------------------------------------------------

@bp.route("/coordinator/funding")
@coordinator_required
def index():
    tags = services.all_tags()
    return render_template("funding/index.html", tags=tags, usage=services.usage())


@bp.route("/coordinator/funding/new", methods=["GET", "POST"])
@coordinator_required
def new():
    form = FundingTagForm()
    if form.validate_on_submit():
        with domain_errors(form):
            tag = services.create_tag(current_user, **form.values())
            flash(f"{tag.code} added. List the members who may tag with it below."
                  if not tag.open_to_all else f"{tag.code} added. Every member may tag with it.", "success")
            return redirect(url_for("funding.detail", tag_id=tag.id))
    return render_template("funding/form.html", form=form, tag=None)


def _member_choices(tag: FundingTag) -> list[tuple[int, str]]:
    taken = services.member_ids_of(tag)
    members = db.session.execute(select(Member.id, Member.name).where(Member.status == "active")
                                 .order_by(Member.name)).all()
    return [(0, "Choose a member")] + [(i, name) for i, name in members if i not in taken]


@bp.route("/coordinator/funding/<int:tag_id>")
@coordinator_required
def detail(tag_id: int):
    tag = services.load_tag(tag_id, current_user, need="manage")
    form = AddMemberForm()
    form.member_id.choices = _member_choices(tag)
    return _detail(tag, form)


def _detail(tag: FundingTag, form: AddMemberForm):
    members = sorted(tag.members, key=lambda m: m.member.name)
    listings, exchanges = services.usage([tag.id]).get(tag.id, (0, 0))
    return render_template("funding/detail.html", tag=tag, members=members, form=form, remove_form=RemoveMemberForm(),
                           listings=listings, exchanges=exchanges, events=events_for("funding_tags", tag.id))


@bp.route("/coordinator/funding/<int:tag_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit(tag_id: int):
    tag = services.load_tag(tag_id, current_user, need="manage")
    form = FundingTagForm(obj=tag) if request.method == "GET" else FundingTagForm()
    if request.method == "GET":
        form.open_to_all.data = "all" if tag.open_to_all else "listed"
    if form.validate_on_submit():
        with domain_errors(form):
            services.change_tag(tag, current_user, **form.values())
            flash(f"{tag.code} saved.", "success")
            return redirect(url_for("funding.detail", tag_id=tag.id))
    return render_template("funding/form.html", form=form, tag=tag)


@bp.route("/coordinator/funding/<int:tag_id>/members", methods=["POST"])
@coordinator_required
def add_member(tag_id: int):
    tag = services.load_tag(tag_id, current_user, need="manage")
    form = AddMemberForm()
    form.member_id.choices = _member_choices(tag)
    if form.validate_on_submit():
        member = db.session.get(Member, form.member_id.data)
        with domain_errors(form):
            if member is None:
                raise DomainError("Choose a member from the list", field="member_id")
            services.add_member(tag, current_user, member)
            flash(f"{member.name} may now tag its listings and exchanges with {tag.code}.", "success")
            return redirect(url_for("funding.detail", tag_id=tag.id))
    return _detail(tag, form)


@bp.route("/coordinator/funding/<int:tag_id>/members/<int:member_id>/remove", methods=["POST"])
@coordinator_required
def remove_member(tag_id: int, member_id: int):
    tag = services.load_tag(tag_id, current_user, need="manage")
    member = load_member(member_id, current_user, need="manage")
    if RemoveMemberForm().validate_on_submit():
        with domain_errors():
            services.remove_member(tag, current_user, member)
            flash(f"{member.name} can no longer tag with {tag.code}. What it tagged already stays tagged.", "success")
    return redirect(url_for("funding.detail", tag_id=tag.id))


# -- tagging a listing or an exchange ----------------------------------------------------------

def _tags_form(usable: list[FundingTag], current: list[FundingTag]) -> tuple[TagsForm, list[FundingTag]]:
    """The form, with a checkbox per usable tag, and the tags already on it that this person cannot change."""
    form = TagsForm()
    form.tags.choices = [(tag.id, tag.label) for tag in usable]
    if request.method == "GET":
        form.tags.data = [tag.id for tag in current]
    usable_ids = {tag.id for tag in usable}
    return form, [tag for tag in current if tag.id not in usable_ids]


@bp.route("/listings/<int:listing_id>/funding", methods=["GET", "POST"])
@login_required
def listing_tags(listing_id: int):
    listing = load_listing(listing_id, current_user, need="act")
    usable = services.usable_tags(current_user, [listing.member])
    current = services.listing_tags([listing.id]).get(listing.id, [])
    form, fixed = _tags_form(usable, current)
    if form.validate_on_submit():
        with domain_errors(form):
            services.set_listing_tags(listing, current_user, form.tags.data or [])
            flash("Programmes, funds and grants saved.", "success")
            return redirect(url_for("listings.detail", listing_id=listing.id))
    return render_template("funding/tag.html", form=form, fixed=fixed, usable=usable, thing=listing.title,
                           whose=[listing.member], back=url_for("listings.detail", listing_id=listing.id),
                           what="listing")


@bp.route("/exchanges/<int:exchange_id>/funding", methods=["GET", "POST"])
@login_required
def exchange_tags(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    usable = services.exchange_usable_tags(current_user, exchange)
    current = services.exchange_tags([exchange.id]).get(exchange.id, [])
    form, fixed = _tags_form(usable, current)
    if form.validate_on_submit():
        with domain_errors(form):
            services.set_exchange_tags(exchange, current_user, form.tags.data or [])
            flash("Programmes, funds and grants saved.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    whose = [p.member for p in exchange.parties if can_act_for(current_user, p.member)]
    return render_template("funding/tag.html", form=form, fixed=fixed, usable=usable,
                           thing=f"{exchange.shape_label} {exchange.id}", whose=whose,
                           back=url_for("exchanges.detail", exchange_id=exchange.id), what="exchange",
                           through_listings=services.tags_through_listings(exchange))


@bp.app_context_processor
def funding_helpers():
    """What the listing and exchange pages show of their tags (to the people who may see them)."""
    return {"funding_tags_of_listing": lambda listing: services.listing_tags([listing.id]).get(listing.id, []),
            "funding_tags_of_exchange": lambda exchange: services.exchange_tags([exchange.id]).get(exchange.id, []),
            "funding_through_listings": services.tags_through_listings}
