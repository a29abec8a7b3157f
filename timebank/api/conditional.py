"""ETags on every answer, If-None-Match on reads, and If-Match on the operations that change one thing.

An ETag is a strong validator: the SHA-256 of the JSON the answer carries, so the same thing read
the same way has the same ETag, whichever operation answered with it (a GET, a PATCH, an action).

If-Match is honoured on every operation that changes one thing and answers with it (PATCH a
listing, accept a proposal, confirm a part, cancel a booking, ...). Its *target* is found from the
code, not listed by hand: the GET whose answer has the same schema and the same path parameters
(`POST /proposals/{exchange_id}/accept` answers an Exchange, read by `GET /exchanges/{exchange_id}`).
The target's current ETag is that GET's answer, made in the same transaction; on PostgreSQL an
advisory lock on the target, held until commit, makes two conditional changes of one thing take
turns, so the second sees the first's change and gets 412.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, current_app, request, url_for
from sqlalchemy import text

from timebank.api.problems import PROBLEM, problem
from timebank.errors import DomainError
from timebank.extensions import db

CHANGING_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def etag_of(response: Response) -> str:
    return hashlib.sha256(response.get_data()).hexdigest()[:32]


def add_etag(response: Response) -> Response:
    """A strong ETag on a successful JSON answer; on a read, 304 when the client has it already."""
    if not 200 <= response.status_code < 300 or response.mimetype != "application/json" or response.direct_passthrough:
        return response
    response.set_etag(etag_of(response))
    if request.method in ("GET", "HEAD"):
        response = response.make_conditional(request)
    return response


# -- what an operation changes --------------------------------------------------------------------

def _success_schema(view: Callable):
    """(schema class, many) of the view's main answer, from flask-smorest's record of its decorators."""
    doc = getattr(view, "_apidoc", {})
    for status in doc.get("success_status_codes", []):
        for answer in doc.get("response", {}).get("responses", {}).get(status, []):
            schema = answer.get("schema") if isinstance(answer, dict) else None
            if schema is not None and not isinstance(schema, dict | str):
                return type(schema), bool(getattr(schema, "many", False))
    return None


def targets(app) -> dict[str, str]:
    """{endpoint of a changing operation: endpoint of the GET that reads what it changes}, for the API."""
    known = app.extensions.get("timebank-api-targets")
    if known is not None:
        return known
    readers: dict[tuple, list[str]] = {}
    changers: dict[str, tuple] = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_") or not rule.arguments:
            continue
        shape = _success_schema(app.view_functions[rule.endpoint])
        if shape is None:
            continue
        key = (*shape, frozenset(rule.arguments))
        if "GET" in rule.methods:
            readers.setdefault(key, []).append(rule.endpoint)
        if set(rule.methods) & set(CHANGING_METHODS):
            changers[rule.endpoint] = key
    found = {endpoint: readers[key][0] for endpoint, key in changers.items() if len(readers.get(key, [])) == 1}
    app.extensions["timebank-api-targets"] = found
    return found


def _current_etag(reader: str) -> str | None:
    """The ETag the reader's GET would answer with now; None when it would not answer (404, 403)."""
    try:
        answer = current_app.make_response(current_app.view_functions[reader](**request.view_args))
    except DomainError:
        return None  # reading changes nothing, so there is nothing to undo
    if answer.status_code != 200 or answer.mimetype == PROBLEM:
        return None
    return etag_of(answer)


def _lock(path: str) -> None:
    """Hold the target until this transaction ends (PostgreSQL; SQLite has one writer at a time)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _listed(header: str) -> list[str]:
    """The entity-tags in an If-Match header; weak ones never match (RFC 9110 strong comparison)."""
    tags = []
    for part in header.split(","):
        part = part.strip()
        if part.startswith('"') and part.endswith('"') and len(part) >= 2:
            tags.append(part[1:-1])
        elif part == "*":
            tags.append("*")
    return tags


def check_if_match() -> Response | None:
    """412 when If-Match names a version the target no longer has; None to go on."""
    header = request.headers.get("If-Match")
    if header is None or request.method not in CHANGING_METHODS:
        return None
    reader = targets(current_app).get(request.endpoint)
    if reader is None:
        return None
    _lock(url_for(reader, **request.view_args))
    current = _current_etag(reader)
    if current is None:
        return None  # the operation itself says 404 or 403
    listed = _listed(header)
    if "*" in listed or current in listed:
        return None
    return problem("precondition-failed", "It has changed since you read it (If-Match does not name its "
                   f'current ETag, "{current}"). Read it again and retry if your change still applies.',
                   headers={"ETag": f'"{current}"'})
