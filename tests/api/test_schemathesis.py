"""schemathesis fuzzes every operation of /api/v1/openapi.json against the app, with all its checks.

No server errors, every status, content type, header and body as the document says, invalid input
refused, undocumented methods answered 405 with Allow, requests without the token refused. It runs
with a coordinator token (the widest reach) against a small exchange (tests/permissions/world.py),
on both databases.

One setting: `positive_data_acceptance` also accepts 422. A body can match the document and still
break a rule of the exchange that JSON Schema cannot state (a postcode outside Knowsley, a category
id that does not exist, an asset that is not the member's); the API answers those 422 with the
service's message, as the web form shows it beside the field. 400 stays a failure: it would mean the
document allows something the parser refuses.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


def _document() -> dict:
    """The OpenAPI document as the app serves it (it does not depend on the database)."""
    from timebank import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.test_client().get("/api/v1/openapi.json").json


schema = schemathesis.openapi.from_dict(_document(), config=SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_document(case, app, world, tokens):
    app.config["MATCHER_QUEUE"] = "inline"
    case.operation.schema.app = app  # this test's app and database (each test has its own)
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {tokens['coordinator_scope']}"})
