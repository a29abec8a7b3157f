"""Case study pages: write one about a completed exchange, change or delete it, and answer whether
reports may show one written about help your organisation gave or received."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from timebank.case_studies import services
from timebank.case_studies.forms import CaseStudyForm, ChangeCaseStudyForm, ConsentForm, RemoveForm
from timebank.errors import DomainError, NotFound
from timebank.exchanges.models import Leg
from timebank.exchanges.access import load_exchange
from timebank.extensions import db
from timebank.main.forms import domain_errors
from timebank.members.models import Member
from timebank.members.access import members_of

bp = Blueprint("case_studies", __name__)


def _part_label(leg: Leg, member: Member) -> str:
    if member.id == leg.giver_member_id:
        return f"What {member.name} gave {leg.receiver.name}: {leg.description}"
    return f"What {leg.giver.name} gave {member.name}: {leg.description}"


@bp.route("/exchanges/<int:exchange_id>/case-studies/new", methods=["GET", "POST"])
@login_required
def new(exchange_id: int):
    exchange = load_exchange(exchange_id, current_user)
    parts = services.writable(current_user, exchange)
    if not parts:
        raise NotFound(f"There is nothing in exchange {exchange.id} you can write a case study about")
    form = CaseStudyForm()
    form.part.choices = [(f"{leg.id}-{member.id}", _part_label(leg, member)) for leg, member in parts]
    if request.method == "GET" and len(parts) == 1:
        form.part.data = form.part.choices[0][0]
    if form.validate_on_submit():
        with domain_errors(form):
            leg_id, author_id = form.chosen() or (0, 0)
            leg, author = db.session.get(Leg, leg_id), db.session.get(Member, author_id)
            if leg is None or author is None or leg.exchange_id != exchange.id:
                raise DomainError("Choose the help it is about from the list", field="part")
            try:
                case = services.write(current_user, leg, author, form.kind.data, form.text.data)
            except DomainError as error:
                if error.field == "leg_id":  # the service names the part by its leg; the form's field is "part"
                    error.field = "part"
                raise
            flash(f"Case study saved. {case.other.name} is asked whether reports may show it; until it says yes, "
                  "they do not.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=exchange.id))
    return render_template("case_studies/form.html", form=form, exchange=exchange, case=None)


@bp.route("/case-studies/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int):
    case = services.load_case_study(case_id, current_user, need="change")
    form = ChangeCaseStudyForm(obj=case) if request.method == "GET" else ChangeCaseStudyForm()
    if form.validate_on_submit():
        with domain_errors(form):
            services.change(case, current_user, form.kind.data, form.text.data)
            flash(f"Case study saved. {case.other.name} is asked again whether reports may show it.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=case.leg.exchange_id))
    return render_template("case_studies/form.html", form=form, exchange=case.leg.exchange, case=case)


@bp.route("/case-studies/<int:case_id>/remove", methods=["POST"])
@login_required
def remove(case_id: int):
    case = services.load_case_study(case_id, current_user)
    exchange_id = case.leg.exchange_id
    if RemoveForm().validate_on_submit():
        with domain_errors():
            services.remove(case, current_user)
            flash("Case study deleted: no report shows it.", "success")
    return redirect(url_for("exchanges.detail", exchange_id=exchange_id))


@bp.route("/case-studies/<int:case_id>/consent", methods=["GET", "POST"])
@login_required
def consent(case_id: int):
    """The other side reads the case study and says whether reports may show it (or withdraws a yes)."""
    case = services.load_case_study(case_id, current_user)
    form = ConsentForm()
    if request.method == "GET" and case.consent in ("given", "refused", "withdrawn"):
        form.agree.data = "yes" if case.consent == "given" else "no"
    if form.validate_on_submit():
        with domain_errors(form):
            services.answer(case, current_user, form.agree.data == "yes")
            flash("Thank you: reports may show it." if case.shown else "Thank you: reports do not show it.", "success")
            return redirect(url_for("exchanges.detail", exchange_id=case.leg.exchange_id))
    return render_template("case_studies/consent.html", form=form, case=case,
                           my_member_ids={m.id for m in members_of(current_user)})


@bp.app_context_processor
def case_study_helpers():
    return {"case_studies_of": lambda exchange: services.of_exchange(exchange, current_user),
            "case_studies_writable": lambda exchange: services.writable(current_user, exchange),
            "case_study_remove_form": RemoveForm}
