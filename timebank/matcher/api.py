"""The coordinator API's matcher endpoints: start a run, list runs, read one run's progress.

Every route here needs a coordinator token, which only coordinators can make.
"""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import validate
from sqlalchemy import select

from timebank.api.core import (LINK_HEADER, Bool, Int, Number, PageArgs, StrictSchema, Utc, actor, blueprint,
                               page_schema, paged, paginate)
from timebank.api.document import problems
from timebank.matcher import runs
from timebank.matcher.models import RUN_STATUSES, MatcherRun
from timebank.unit_of_work import after_commit

bp = blueprint("matcher", "Coordinators only (a coordinator token): matcher runs", coordinator=True,
               tag="Matcher runs", import_name=__name__)
ID = "id"


class WeightsSchema(StrictSchema):
    urgency = Number(validate=validate.Range(min=0, max=10))
    category_fit = Number(validate=validate.Range(min=0, max=10))
    distance = Number(validate=validate.Range(min=0, max=10))
    waiting = Number(validate=validate.Range(min=0, max=10))


class MatcherPolicyChangesSchema(StrictSchema):
    """The matcher's policy, as on the matcher page; what is left out is the last run's."""

    objective = ma.fields.String(validate=validate.OneOf(list(runs.OBJECTIVES)), metadata={
        "description": "What it aims for: " + "; ".join(f"{k}: {v.lower()}" for k, v in runs.OBJECTIVES.items())})
    max_cycle = Int(validate=validate.Range(min=2, max=8), metadata={"description": "Longest ring (members)"})
    max_chain = Int(validate=validate.Range(min=0, max=8), metadata={"description": "Longest gift chain (legs)"})
    allow_pairs = Bool()
    time_limit = Int(validate=validate.Range(min=5, max=3600), metadata={"description": "Seconds"})
    weights = ma.fields.Nested(WeightsSchema)


class MatcherWeightsSchema(ma.Schema):
    urgency = ma.fields.Float(required=True)
    category_fit = ma.fields.Float(required=True)
    distance = ma.fields.Float(required=True)
    waiting = ma.fields.Float(required=True)


class MatcherPolicySchema(ma.Schema):
    """The policy a run used."""

    objective = ma.fields.String(required=True, metadata={"enum": list(runs.OBJECTIVES)})
    max_cycle = ma.fields.Integer(required=True, metadata={"description": "Longest ring (members)"})
    max_chain = ma.fields.Integer(required=True, metadata={"description": "Longest gift chain (legs)"})
    allow_pairs = ma.fields.Boolean(required=True)
    time_limit = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "Seconds"})
    weights = ma.fields.Nested(MatcherWeightsSchema, required=True)


class MatcherRunSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(RUN_STATUSES)})
    progress = ma.fields.Integer(required=True, metadata={"description": "Percent"})
    message = ma.fields.String(required=True)
    policy = ma.fields.Nested(MatcherPolicySchema, attribute="full_policy", required=True)
    stats = ma.fields.Dict(keys=ma.fields.String(), required=True, metadata={
        "description": "What the matcher counted (listings, candidate exchanges, proposals, seconds, ...)"})
    created_at = Utc(required=True)
    started_at = Utc(allow_none=True, required=True)
    finished_at = Utc(allow_none=True, required=True)
    exchange_ids = ma.fields.Function(lambda run: sorted(e.id for e in run.exchanges), required=True,
                                      metadata={"type": "array", "items": {"type": "integer"},
                                                "description": "The exchanges it proposed"})

    @ma.pre_dump
    def _full_policy(self, run, **kwargs):
        """The stored policy with the defaults of anything it leaves out (older runs stored less)."""
        stored = run.policy or {}
        run.full_policy = {**runs.DEFAULT_POLICY, **stored,
                           "weights": {**runs.DEFAULT_POLICY["weights"], **stored.get("weights", {})}}
        return run



@bp.route("/coordinator/matcher-runs", methods=["POST"])
@bp.arguments(MatcherPolicyChangesSchema, required=False)
@bp.response(202, MatcherRunSchema, headers={"Location": {"schema": {"type": "string"}, "description": "Its status"}})
@problems(400, 409, 422)
def start_matcher_run(policy):
    """Start a matcher run in the background; read its status at the Location given"""
    current = runs.current_policy()
    weights = {**current.get("weights", {}), **policy.pop("weights", {})}
    run = runs.start_run(actor(), {**current, **policy, "weights": {k: float(v) for k, v in weights.items()}})
    after_commit(runs.dispatch, run.id)  # a worker reads the run's row, so it must be committed first
    return run, 202, {"Location": url_for("api_matcher.get_matcher_run", run_id=run.id)}


@bp.route("/coordinator/matcher-runs")
@bp.arguments(PageArgs, location="query")
@bp.response(200, page_schema(MatcherRunSchema, "MatcherRun"), headers=LINK_HEADER)
@problems(422)
def list_matcher_runs(args):
    """Matcher runs, newest first"""
    return paged(paginate(select(MatcherRun).order_by(MatcherRun.id.desc()), args["page"], args["per_page"]))


@bp.route(f"/coordinator/matcher-runs/<{ID}:run_id>")
@bp.response(200, MatcherRunSchema)
@problems(404)
def get_matcher_run(run_id: int):
    """A matcher run's status and progress"""
    return runs.load_run(run_id, actor())
