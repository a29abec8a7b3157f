"""The coordinator API's matcher endpoints: start a run, list runs, read one run's progress.

Every route here needs a coordinator token, which only coordinators can make.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from sqlalchemy import select

from timebank.api.core import (ETAG_HEADER, LINK_HEADER, Bool, Int, Number, PageArgs, StrictSchema, Utc, actor,
                               blueprint, page_schema, paged, paginate, problems, with_etag)
from timebank.errors import NotFound
from timebank.extensions import db
from timebank.matcher import runs
from timebank.matcher.models import RUN_STATUSES, MatcherRun

bp = blueprint("matcher", "Coordinators only (a coordinator token): matcher runs", coordinator=True,
               import_name=__name__)
ID = "id"


class WeightsSchema(StrictSchema):
    urgency = Number(validate=validate.Range(min=0, max=10))
    category_fit = Number(validate=validate.Range(min=0, max=10))
    distance = Number(validate=validate.Range(min=0, max=10))
    waiting = Number(validate=validate.Range(min=0, max=10))


class RunPolicySchema(StrictSchema):
    """The matcher's policy, as on the matcher page; what is left out is the last run's."""

    max_cycle = Int(validate=validate.Range(min=2, max=8), metadata={"description": "Longest ring (members)"})
    max_chain = Int(validate=validate.Range(min=0, max=8), metadata={"description": "Longest gift chain (legs)"})
    allow_pairs = Bool()
    time_limit = Int(validate=validate.Range(min=5, max=3600), metadata={"description": "Seconds"})
    weights = ma.fields.Nested(WeightsSchema)


class RunSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(RUN_STATUSES)})
    progress = ma.fields.Integer(required=True, metadata={"description": "Percent"})
    message = ma.fields.String(required=True)
    policy = ma.fields.Dict(required=True)
    stats = ma.fields.Dict(required=True)
    created_at = Utc(required=True)
    started_at = Utc(allow_none=True, required=True)
    finished_at = Utc(allow_none=True, required=True)
    exchange_ids = ma.fields.Function(lambda run: [e.id for e in run.exchanges], required=True,
                                      metadata={"type": "array", "items": {"type": "integer"},
                                                "description": "The exchanges it proposed"})


@bp.route("/coordinator/matcher-runs", methods=["POST"])
@bp.arguments(RunPolicySchema, required=False)
@bp.response(202, RunSchema, headers={"Location": {"schema": {"type": "string"}, "description": "Its status"}})
@problems(400, 409, 422)
def start_run(policy):
    """Start a matcher run in the background; read its status at the Location given"""
    current = runs.current_policy()
    weights = {**current.get("weights", {}), **policy.pop("weights", {})}
    run = runs.start_run(actor(), {**current, **policy, "weights": {k: float(v) for k, v in weights.items()}})
    db.session.commit()
    runs.dispatch(run.id)
    db.session.refresh(run)
    return run, 202, {"Location": f"/api/v1/coordinator/matcher-runs/{run.id}"}


@bp.route("/coordinator/matcher-runs")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(RunSchema, "MatcherRun"), headers=LINK_HEADER)
@problems(422)
def list_runs(args):
    """Matcher runs, newest first"""
    return paged(paginate(select(MatcherRun).order_by(MatcherRun.id.desc()), args["page"], args["per_page"]))


@bp.route(f"/coordinator/matcher-runs/<{ID}:run_id>")
@bp.response(200, RunSchema, headers=ETAG_HEADER)
@bp.alt_response(304, description="Not modified: your copy (If-None-Match) is current")
@problems(404)
def get_run(run_id: int):
    """A matcher run's status and progress"""
    run = db.session.get(MatcherRun, run_id)
    if run is None:
        raise NotFound(f"There is no matcher run {run_id}")
    return with_etag(RunSchema(), run)
