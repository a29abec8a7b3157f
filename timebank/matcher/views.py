"""The coordinators' matcher pages: start a run with a policy, follow its progress, see what it found."""
from __future__ import annotations

from flask import Blueprint, get_template_attribute, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from timebank.accounts.access import coordinator_required
from timebank.extensions import db
from timebank.main.forms import domain_errors
from timebank.matcher import runs
from timebank.matcher.forms import RunForm
from timebank.matcher.models import MatcherRun
from timebank.unit_of_work import after_commit

bp = Blueprint("matcher", __name__, url_prefix="/coordinator/matcher")


@bp.route("", methods=["GET", "POST"])
@coordinator_required
def index():
    form = RunForm() if request.method == "POST" else RunForm.from_policy(runs.current_policy())
    if form.validate_on_submit():
        with domain_errors(form):
            run = runs.start_run(current_user, form.policy())
            after_commit(runs.dispatch, run.id)  # a worker can only take a run that is in the database
            return redirect(url_for("matcher.run", run_id=run.id))
    recent = db.session.scalars(select(MatcherRun).order_by(MatcherRun.id.desc()).limit(10)).all()
    return render_template("matcher/index.html", form=form, runs=recent)


@bp.route("/runs/<int:run_id>")
@coordinator_required
def run(run_id: int):
    return render_template("matcher/run.html", run=runs.load_run(run_id, current_user), objectives=runs.OBJECTIVES)


@bp.route("/runs/<int:run_id>/progress")
@coordinator_required
def progress(run_id: int):
    """The run's progress as JSON, for the run page's script to show in its live region, with its status
    tag drawn as the page draws it (`tag_html`), for the script to put in the heading."""
    run = runs.load_run(run_id, current_user)
    tag = get_template_attribute("macros/ui.html", "tag")
    response = jsonify(status=run.status, in_progress=run.in_progress, progress=run.progress, message=run.message,
                       tag_html=str(tag(run.status)))
    response.headers["Cache-Control"] = "no-store"
    return response
