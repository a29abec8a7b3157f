"""A member's "Time credits" page, and the coordinators' ledger page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from timebank.accounts.access import coordinator_required
from timebank.extensions import db
from timebank.ledger import services
from timebank.ledger.forms import AdjustForm, CreditLimitForm, DonateForm, GrantForm, ReverseForm
from timebank.main.forms import domain_errors
from timebank.main.query_args import page_arg
from timebank.members.access import load_member
from timebank.members.models import Member
from timebank.members.access import can_manage

bp = Blueprint("ledger", __name__)


@bp.app_template_filter("credits")
def credits_filter(amount, signed: bool = False) -> str:
    """3, 2.5, -12 (+3 when signed)."""
    return services.format_credits(amount, signed=signed)


@bp.app_template_filter("credits_phrase")
def credits_phrase_filter(amount) -> str:
    """1 credit, 2.5 credits."""
    return services.credits_phrase(amount)


def _page() -> int:
    return page_arg()


# -- a member's time credits ----------------------------------------------------------------

def _credits_page(member: Member, donate_form: DonateForm | None = None, limit_form: CreditLimitForm | None = None):
    if limit_form is None and current_user.is_coordinator:
        limit_form = CreditLimitForm(formdata=None, credit_limit=services.format_credits(member.credit_limit))
    return render_template("ledger/member_credits.html", member=member, form=donate_form or DonateForm(),
                           limit_form=limit_form, statement=services.statement(member, page=_page()),
                           can_give=can_manage(current_user, member))


@bp.route("/members/<int:member_id>/credits")
@login_required
def member_credits(member_id: int):
    member = load_member(member_id, current_user, need="act")
    return _credits_page(member)


@bp.route("/members/<int:member_id>/credits/give", methods=["POST"])
@login_required
def give_to_pot(member_id: int):
    member = load_member(member_id, current_user, need="manage")
    form = DonateForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.donate_to_pot(member, form.amount.data, current_user)
            flash(f"{member.name} gave {services.credits_phrase(form.amount.data)} to the community pot. "
                  "Thank you.", "success")
            return redirect(url_for("ledger.member_credits", member_id=member.id))
    return _credits_page(member, form)


@bp.route("/members/<int:member_id>/credits/limit", methods=["POST"])
@coordinator_required
def change_credit_limit(member_id: int):
    member = load_member(member_id, current_user, need="act")
    form = CreditLimitForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.change_credit_limit(member, form.credit_limit.data, form.reason.data, current_user)
            flash(f"{member.name}'s credit limit is {services.format_credits(member.credit_limit)}: its balance may "
                  f"go down to {services.format_credits(-member.credit_limit)}.", "success")
            return redirect(url_for("ledger.member_credits", member_id=member.id))
    return _credits_page(member, limit_form=form)


# -- the coordinators' ledger -----------------------------------------------------------------

def _member_choices(prompt: str) -> list[tuple[int, str]]:
    members = db.session.execute(select(Member.id, Member.name).where(Member.status == "active")
                                 .order_by(Member.name)).all()
    return [(0, prompt)] + [(m.id, m.name) for m in members]


def _forms(adjust=None, reverse=None, grant=None) -> dict:
    adjust = adjust or AdjustForm(prefix="adjust", formdata=None)
    grant = grant or GrantForm(prefix="grant", formdata=None)
    adjust.member_id.choices = _member_choices("Choose a member")
    grant.member_id.choices = _member_choices("Choose a member")
    return {"adjust_form": adjust, "reverse_form": reverse or ReverseForm(prefix="reverse", formdata=None),
            "grant_form": grant}


def _ledger_page(status: int = 200, **forms):
    return render_template("ledger/coordinator_ledger.html", overview=services.overview(page=_page()),
                           check=services.check_ledger(), **_forms(**forms)), status


@bp.route("/coordinator/ledger")
@coordinator_required
def coordinator_ledger():
    return _ledger_page()


def _chosen_member(form) -> Member | None:
    return db.session.get(Member, form.member_id.data) if form.member_id.data else None


@bp.route("/coordinator/ledger/adjust", methods=["POST"])
@coordinator_required
def adjust():
    form = AdjustForm(prefix="adjust")
    form.member_id.choices = _member_choices("Choose a member")
    if form.validate_on_submit():
        member = _chosen_member(form)
        with domain_errors(form):
            entry = services.adjust(member, form.amount.data, form.reason.data, current_user)
            flash(f"Entry {entry.id}: {member.name}'s credits adjusted by "
                  f"{services.format_credits(form.amount.data, signed=True)}.", "success")
            return redirect(url_for("ledger.coordinator_ledger"))
    return _ledger_page(adjust=form)


@bp.route("/coordinator/ledger/reverse", methods=["POST"])
@coordinator_required
def reverse():
    form = ReverseForm(prefix="reverse")
    if form.validate_on_submit():
        with domain_errors(form):
            entry = services.load_entry(form.entry_id.data, current_user, field="entry_id")
            entry = services.reverse(entry, form.reason.data, current_user)
            flash(f"Entry {form.entry_id.data} is reversed by entry {entry.id}.", "success")
            return redirect(url_for("ledger.coordinator_ledger"))
    return _ledger_page(reverse=form)


@bp.route("/coordinator/ledger/grant", methods=["POST"])
@coordinator_required
def grant():
    form = GrantForm(prefix="grant")
    form.member_id.choices = _member_choices("Choose a member")
    if form.validate_on_submit():
        member = _chosen_member(form)
        with domain_errors(form):
            entry = services.grant_from_pot(member, form.amount.data, form.reason.data, current_user)
            flash(f"Entry {entry.id}: {member.name} was granted {services.credits_phrase(form.amount.data)} "
                  "from the community pot.", "success")
            return redirect(url_for("ledger.coordinator_ledger"))
    return _ledger_page(grant=form)
