"""A member's compliance records: safeguarding policy, public liability insurance, DBS checks."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from timebank.db import today
from timebank.main.forms import domain_errors
from timebank.members import compliance
from timebank.members.access import load_member, load_record
from timebank.members.forms import COMPLIANCE_FORMS, ActionForm

bp = Blueprint("compliance", __name__)


@bp.route("/members/<int:member_id>/compliance")
@login_required
def index(member_id: int):
    member = load_member(member_id, current_user, need="act")
    on = today()
    records = compliance.compliance_records(member)
    warnings = {record.id: compliance.compliance_warning(record, on)
                for group in records.values() for record in group}
    return render_template("members/compliance.html", member=member, records=records, warnings=warnings,
                           labels=compliance.COMPLIANCE_LABELS, delete_on=compliance.dbs_delete_on,
                           keep_months=compliance.DBS_KEEP_MONTHS, certificate_need=compliance.certificate_need(),
                           masked=compliance.masked_certificate)


@bp.route("/members/<int:member_id>/compliance/new/<kind>", methods=["GET", "POST"])
@login_required
def new(member_id: int, kind: str):
    member = load_member(member_id, current_user, need="act")
    if kind not in COMPLIANCE_FORMS:
        abort(404)
    form = COMPLIANCE_FORMS[kind]()
    if form.validate_on_submit():
        with domain_errors(form):
            compliance.add_compliance_record(member, current_user, kind=kind, **form.service_fields())
            flash(f"{compliance.COMPLIANCE_LABELS[kind]} record added.", "success")
            return redirect(url_for("compliance.index", member_id=member.id))
    return render_template("members/compliance_form.html", form=form, member=member, kind=kind, record=None,
                           label=compliance.COMPLIANCE_LABELS[kind], keep_months=compliance.DBS_KEEP_MONTHS,
                           certificate_need=compliance.certificate_need(), masked=compliance.masked_certificate)


@bp.route("/members/<int:member_id>/compliance/<int:record_id>/edit", methods=["GET", "POST"])
@login_required
def edit(member_id: int, record_id: int):
    record = load_record(member_id, record_id, current_user)
    form = COMPLIANCE_FORMS[record.kind](obj=record)
    if request.method == "GET":
        form.fill(record)
    if form.validate_on_submit():
        with domain_errors(form):
            compliance.update_compliance_record(record, current_user, **form.service_fields())
            flash(f"{compliance.COMPLIANCE_LABELS[record.kind]} record saved.", "success")
            return redirect(url_for("compliance.index", member_id=member_id))
    return render_template("members/compliance_form.html", form=form, member=record.member, kind=record.kind,
                           record=record, label=compliance.COMPLIANCE_LABELS[record.kind],
                           keep_months=compliance.DBS_KEEP_MONTHS, certificate_need=compliance.certificate_need(),
                           masked=compliance.masked_certificate)


@bp.route("/members/<int:member_id>/compliance/<int:record_id>/delete", methods=["GET", "POST"])
@login_required
def delete(member_id: int, record_id: int):
    record = load_record(member_id, record_id, current_user)
    what = compliance.describe_record(record)
    form = ActionForm()
    if form.validate_on_submit():
        with domain_errors(form):
            compliance.delete_compliance_record(record, current_user)
            flash(f"{what} record deleted.", "success")
            return redirect(url_for("compliance.index", member_id=member_id))
    return render_template("members/confirm_delete.html", form=form, member=record.member, what=what,
                           title=f"Delete this {compliance.COMPLIANCE_LABELS[record.kind]} record?",
                           back=url_for("compliance.index", member_id=member_id), button_text="Delete record")
