"""What the OpenAPI document says about every operation, written once after the resources' own parts.

Each resource module documents its operations with flask-smorest's decorators (arguments,
answers, `problems(...)`). `finish` then gives every operation what the conventions give it, from
the same code that applies them, so the document cannot promise what the API does not do:

- `operationId`: the view function's name in camelCase (`create_listing` -> `createListing`),
  unique across the API; `@bp.doc(operationId=...)` overrides it. tests/api/operation_ids.txt
  lists them: a generated client names its functions after them, so they never change.
- `tags`: the resource (`core.TAGS`), one per operation.
- headers: `ETag` on every successful JSON answer, `Location` on every 201, `Retry-After` on 429
  and 503 only; `If-None-Match` (and 304) on reads; `Idempotency-Key` on every POST; `If-Match`
  (and 412) on the operations that change one thing (conditional.py finds them).
- problems: the `type` URIs of problems.py, named in each problem answer's description.
"""
from __future__ import annotations

import re

import marshmallow as ma
from flask import Flask
from flask_smorest import Blueprint as SmorestBlueprint

from timebank.api import conditional
from timebank.api.idempotency import HEADER as IDEMPOTENCY_KEY
from timebank.api.idempotency import KEY_PATTERN
from timebank.api.problems import PROBLEM, PROBLEM_TYPES
from timebank.bookings.models import UK

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

DESCRIPTION = """\
Read and change the social-sector exchange from your own systems. The API calls the same rules as
the web pages: whatever the website would refuse, the API refuses with the same message. The guide,
with the whole journey in curl and with a client generated from this document, is docs/api.md.

**Tokens.** Make a personal access token on your account page (API tokens), or with `POST /api/v1/tokens`,
and send it as `Authorization: Bearer <token>`. A *read* token reads, a *read-write* token also changes
things, and a *coordinator* token (coordinators only) also does the coordinators' operations.

**Errors** are problem details (RFC 9457, `application/problem+json`). Each `type` names a kind of
error, like `/api/v1/problems/credit-limit` (relative to this site; the page at that address
explains it); `errors` names each field. The kinds are listed at /api/v1/problems.

**What the API accepts** is what this document says, and nothing else: integers are JSON integers
(1 and 1.0 alike), numbers are JSON numbers, text is Unicode without NUL characters, dates are
calendar dates from 2000-01-01 to 2099-12-31 (`pattern` says so exactly), unknown fields and query
parameters are refused (422, type validation). A well-formed request can still break a rule of the
exchange (a postcode outside the area, a credit limit): 422 (type rule) or 409.

**Pages.** Lists take `page` and `per_page` (at most 100) and answer with `links` (self, next, prev,
first, last) and the same links in a `Link` header. A page past the last one is empty.

**Retrying safely.** Send an `Idempotency-Key` (1 to 255 visible ASCII characters, like a UUID) with any
POST: retried with the same key and body within 24 hours, it answers as the first time did (with
`Idempotent-Replayed: true`) and does nothing again; the same key with another body is refused (422).

**Concurrent edits.** Every successful answer carries an `ETag`. Send it back in `If-None-Match` on a
read (unchanged: `304 Not Modified`), or in `If-Match` on a change of one thing (PATCH, or an action
on it): if the thing changed since you read it, the answer is `412 Precondition Failed` and nothing
changes.

**Keeping in sync.** Listings carry `updated_at`; `GET /listings?updated_since=...` lists every
listing changed since then, whatever its status.

**Browsers.** Pages on a website a coordinator has allowed may call the API from a browser (CORS);
no website is allowed unless a coordinator adds it.
"""


def _uk(moment) -> str:
    return moment.replace(tzinfo=UK).isoformat()


class TakenTimeSchema(ma.Schema):
    """One time of a weekly booking that the room is already booked at, and the booking in the way."""

    day = ma.fields.Date(required=True)
    starts_at = ma.fields.Function(lambda t: _uk(t.starts_at), required=True,
                                   metadata={"type": "string", "format": "date-time", "description": "UK clock time"})
    ends_at = ma.fields.Function(lambda t: _uk(t.ends_at), required=True, metadata={"type": "string", "format": "date-time"})
    booked_from = ma.fields.Function(lambda t: _uk(t.booked_from), required=True,
                                     metadata={"type": "string", "format": "date-time"})
    booked_until = ma.fields.Function(lambda t: _uk(t.booked_until), required=True,
                                      metadata={"type": "string", "format": "date-time"})


class ProblemSchema(ma.Schema):
    """An error, as problem details (RFC 9457)."""

    type = ma.fields.String(required=True, metadata={
        "format": "uri-reference",
        "description": "The kind of error: /api/v1/problems/<kind> (one of "
                       + ", ".join(PROBLEM_TYPES) + "), relative to this site; its page explains it"})
    title = ma.fields.String(required=True, metadata={"description": "The same for every problem of the type"})
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(metadata={"description": "What went wrong this time, in plain English"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"description": "Messages per field of the request"})
    taken = ma.fields.List(ma.fields.Nested(TakenTimeSchema), metadata={
        "description": "Only when a weekly booking is refused (409): each time asked for that is already booked"})


# Kinds only a POST can meet (its Idempotency-Key).
_POST_ONLY = ("request-in-progress", "idempotency-key-reused")


def _kinds(status: int, *, post: bool = True) -> str:
    return "; ".join(f"{t.title} ({t.slug})" for t in PROBLEM_TYPES.values()
                     if t.status == status and (post or t.slug not in _POST_ONLY))


_docs = SmorestBlueprint("api_problem_docs", __name__)


def problems(*statuses: int):
    """Document the problem answers an operation can give, on top of 401, 403 and 429."""
    def decorate(view):
        for status in sorted({401, 403, 429, *statuses}):
            view = _docs.alt_response(status, schema=ProblemSchema, content_type=PROBLEM, description=_kinds(status))(view)
        return view
    return decorate


def components(spec) -> None:
    """The shared parameters, headers and security scheme every operation refers to."""
    spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token from your account page (API tokens) or POST /api/v1/tokens."})
    spec.components.parameter("IdempotencyKey", "header", {
        "name": IDEMPOTENCY_KEY, "required": False, "schema": {"type": "string", "pattern": KEY_PATTERN},
        "description": "Retry safely: the same key and body within 24 hours answers as the first request did, "
                       "and does nothing again; the same key with another request is refused (422)."})
    spec.components.parameter("IfMatch", "header", {
        "name": "If-Match", "required": False, "schema": {"type": "string"},
        "description": "Change it only if it is still as you read it: the ETag you read (\"...\"). "
                       "412 if it has changed since."})
    spec.components.parameter("IfNoneMatch", "header", {
        "name": "If-None-Match", "required": False, "schema": {"type": "string"},
        "description": "The ETag you have: 304 Not Modified if it is still current."})
    for name, schema, description in (
            ("ETag", {"type": "string"}, "This version of it: send it in If-None-Match or If-Match"),
            ("Location", {"type": "string"}, "Where to read what was made"),
            ("RetryAfter", {"type": "integer"}, "Seconds to wait before trying again"),
            ("IdempotentReplayed", {"type": "string", "enum": ["true"]},
             "The first answer to this Idempotency-Key, sent again")):
        spec.components.header(name, {"schema": schema, "description": description})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _endpoints(app: Flask) -> dict[tuple[str, str], str]:
    """{(document path, method): endpoint} for every API route."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api_"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods:
                found[(path, method.lower())] = rule.endpoint
    return found


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _problem_answer(status: int) -> dict:
    return {"description": _kinds(status), "content": {PROBLEM: {"schema": _ref("schemas", "Problem")}}}


def finish(spec, app: Flask, blueprints) -> None:
    """Give every operation its operationId, tag, shared headers, parameters and problems."""
    from timebank.api.core import TAGS

    endpoints = _endpoints(app)
    by_name = {bp.name: bp for bp in blueprints}
    changes_one = conditional.targets(app)
    ids: dict[str, str] = {}
    used: set[str] = set()
    for path, item in spec._paths.items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            endpoint = endpoints[(path, method)]
            bp = by_name[endpoint.split(".")[0]]
            operation["tags"] = [bp.tag if name == bp.name else name for name in operation.get("tags") or [bp.name]]
            used.update(operation["tags"])
            operation_id = operation.setdefault("operationId", _camel(endpoint.split(".")[1]))
            if operation_id in ids:
                raise ValueError(f"{method.upper()} {path} and {ids[operation_id]} have the same operationId "
                                 f"{operation_id!r}: rename one view function (or set @bp.doc(operationId=...))")
            ids[operation_id] = f"{method.upper()} {path}"
            _conventions(operation, method, endpoint in changes_one)
    spec._tags = [{"name": name, "description": TAGS[name]} for name in TAGS if name in used]
    _drop_unused_schemas(spec)


def _drop_unused_schemas(spec) -> None:
    """flask-smorest registers schemas of its own (Error, PaginationMetadata) that no operation uses here."""
    import json

    schemas = spec.components.schemas
    while True:
        text = json.dumps({"paths": spec._paths, "schemas": schemas})
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def _conventions(operation: dict, method: str, changes_one: bool) -> None:
    answers = operation["responses"]
    parameters = operation.setdefault("parameters", [])
    json_ok = False
    for status, answer in list(answers.items()):
        code = int(status)
        headers = answer.setdefault("headers", {})
        if 200 <= code < 300 and "application/json" in answer.get("content", {}):
            headers["ETag"] = _ref("headers", "ETag")
            json_ok = json_ok or code == 200
            if method == "post":
                headers["Idempotent-Replayed"] = _ref("headers", "IdempotentReplayed")
        if code == 201:
            headers["Location"] = _ref("headers", "Location")
        if code in (429, 503):
            headers["Retry-After"] = _ref("headers", "RetryAfter")
        if not headers:
            del answer["headers"]
        if PROBLEM in answer.get("content", {}):
            answer["description"] = _kinds(code, post=method == "post")
    if method == "get" and json_ok:
        parameters.append(_ref("parameters", "IfNoneMatch"))
        answers["304"] = {"description": "Not modified: the ETag you sent (If-None-Match) is current"}
    if method == "post":
        parameters.append(_ref("parameters", "IdempotencyKey"))
        answers.setdefault("409", _problem_answer(409))
        answers.setdefault("422", _problem_answer(422))
    if changes_one:
        parameters.append(_ref("parameters", "IfMatch"))
        answers["412"] = _problem_answer(412)
    if not parameters:
        del operation["parameters"]
    operation["responses"] = dict(sorted(answers.items(), key=lambda item: int(item[0])))
