"""The coordinators' policy for direct exchanges (the same service as its coordinator page)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from timebank.api.core import Bool, Number, StrictSchema, Utc, actor, blueprint
from timebank.api.document import problems
from timebank.exchanges import policy

bp = blueprint("policy", "Coordinators only: which direct exchanges wait for approval", coordinator=True,
               tag="Direct policy")


class PolicySchema(ma.Schema):
    approval = ma.fields.String(required=True, metadata={"enum": list(policy.APPROVAL_CHOICES), "description":
                                "all: every direct exchange waits for approval; none: members agree between "
                                "themselves; some: those the other fields choose"})
    over_hours = ma.fields.Float(allow_none=True, required=True, metadata={
        "description": "With some: those of more than this many person-hours (null: no limit by hours)"})
    rooms_and_equipment = ma.fields.Boolean(required=True)
    requirements = ma.fields.Boolean(required=True, metadata={"description": "Those where a DBS check or insurance is claimed"})
    description = ma.fields.Function(lambda p: p.describe(), required=True, metadata={"type": "string"})
    updated_at = Utc(allow_none=True, required=True)


class NewPolicySchema(StrictSchema):
    approval = ma.fields.String(required=True, validate=validate.OneOf(list(policy.APPROVAL_CHOICES)))
    over_hours = Number(load_default=None, allow_none=True, validate=validate.Range(min=0.25, max=10000))
    rooms_and_equipment = Bool(load_default=False)
    requirements = Bool(load_default=False)


@bp.route("/coordinator/direct-policy")
@bp.response(200, PolicySchema)
@problems()
def get_direct_policy():
    """Which direct exchanges wait for a coordinator's approval"""
    return policy.current()


@bp.route("/coordinator/direct-policy", methods=["POST"])
@bp.arguments(NewPolicySchema)
@bp.response(200, PolicySchema)
@problems(400, 422)
def set_direct_policy(values):
    """Change it (audited, as on the coordinator's page)"""
    return policy.set_policy(actor(), **values)
