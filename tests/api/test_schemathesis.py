"""schemathesis fuzzes every operation of /api/v1/openapi.json against the app, with all its checks.

No server errors; every status, content type, header and body as the document says; invalid input
refused (negative data rejection); valid input accepted (positive data acceptance); undocumented
methods answered 405 with Allow; requests without the token refused. It runs with a coordinator
token (the widest reach) against a small exchange (tests/permissions/world.py), on both databases.

Positive data acceptance also accepts 409 and 422: a body can match the document and still break
a rule of the exchange that JSON Schema cannot state (a postcode outside Knowsley, a category id
that does not exist, a part not yet scheduled). What it must never be is the parser refusing what
the document allows: `the_parser_takes_what_the_document_allows` fails any valid request answered
400 (malformed) or 422 of type `validation`. A rule of the exchange is 422 of type `rule`.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
PARSER_REFUSALS = ("/api/v1/problems/validation", "/api/v1/problems/malformed")


def _document() -> dict:
    """The OpenAPI document as the app serves it (it does not depend on the database)."""
    from timebank import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.test_client().get("/api/v1/openapi.json").json


schema = schemathesis.openapi.from_dict(_document(), config=SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}))


def the_parser_takes_what_the_document_allows(ctx, response, case):
    """A request the document allows is never refused as malformed or as not matching the document."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return None
    kind = (response.json() or {}).get("type") if "json" in response.headers.get("Content-Type", [""])[0] else None
    if kind in PARSER_REFUSALS:
        raise AssertionError(f"The document allows this request but the API refused it as {kind}: "
                             f"{response.text[:500]}")
    return None


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_document(case, app, world, tokens):
    app.config["MATCHER_QUEUE"] = "inline"
    case.operation.schema.app = app  # this test's app and database (each test has its own)
    # The real token replaces whatever schemathesis put in Authorization, except where a negative case
    # left the header out on purpose: adding it there made a request the document allows, which the
    # check for negative data then counted as "invalid data accepted".
    negative = case.meta is not None and not case.meta.generation.mode.is_positive
    left_out = negative and "Authorization" not in (case.headers or {})
    headers = {} if left_out else {"Authorization": f"Bearer {tokens['coordinator_scope']}"}
    case.call_and_validate(app=app, headers=headers, additional_checks=[the_parser_takes_what_the_document_allows])
