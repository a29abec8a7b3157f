"""Problem details (RFC 9457): one registered `type` per kind of error, each with a page of its own.

Every error the API gives is `application/problem+json` with a `type` from `PROBLEM_TYPES`, like
`/api/v1/problems/credit-limit` (a URI reference, resolved against the API's own address: the
same string on every installation, and a page a person can read). A service's named error
(timebank/errors.py) carries its kind; the API edge turns it into its type here, so a credit limit
and a wrong state differ in `type`, not only in prose. The `title` is the same for every problem
of a type; `detail` says what happened this time.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response, jsonify

from timebank.api import API_PREFIX

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    means: str  # when the API answers with it
    then: str  # what a client should do

    @property
    def uri(self) -> str:
        return f"{API_PREFIX}/problems/{self.slug}"


PROBLEM_TYPES: dict[str, ProblemType] = {t.slug: t for t in (
    ProblemType("malformed", 400, "The request body is not JSON",
                "The body could not be read as JSON, or is not the JSON object the operation takes.",
                "Send a JSON object with Content-Type: application/json. Retrying the same bytes gives the same answer."),
    ProblemType("unauthenticated", 401, "A valid token is needed",
                "No `Authorization: Bearer <token>` header, or the token is unknown or revoked.",
                "Make a token on your account page (API tokens) or with POST /api/v1/tokens, and send it."),
    ProblemType("forbidden", 403, "Not allowed",
                "The token's scope (read, read-write, coordinator) or its person may not do this: a read token "
                "changing something, or acting for a member the person is not part of.",
                "Use a token with the right scope, of a person who acts for the member. Retrying does not help."),
    ProblemType("not-found", 404, "Not found",
                "There is no such thing, or it is not yours to see (other members' private things are not found, "
                "so that their existence is not told).",
                "Check the id. Retrying does not help."),
    ProblemType("method-not-allowed", 405, "Method not allowed",
                "The path exists but does not take this method; the `Allow` header lists those it takes.",
                "Use one of the methods in `Allow`."),
    ProblemType("wrong-state", 409, "Not in a state that allows this",
                "The thing is not in a state where this can be done: a proposal already answered, a part not yet "
                "scheduled, a member already approved, a token already revoked.",
                "Read the thing again (GET) and decide from its `status`. Retrying the same request gives the same "
                "answer; to retry safely after a lost connection, send an Idempotency-Key."),
    ProblemType("credit-limit", 409, "Over the credit limit",
                "Posting this would take a member's time-credit balance below its credit limit; nothing was posted.",
                "Read the member's balance and `credit_limit` (GET /members/{id}/balance). A coordinator may change "
                "the limit; otherwise the member earns credits first."),
    ProblemType("credit-limit-below-balance", 409, "Lower than the member's balance allows",
                "A new credit limit would be less than what the member owes already, plus what its approved "
                "exchanges have set aside: its balance would be below its limit at once. Nothing changed.",
                "Read the member's balance (GET /members/{id}/balance); `detail` says the lowest limit allowed now. "
                "Lower the limit once the member has earned credits."),
    ProblemType("double-booking", 409, "Already booked",
                "The room or item is already booked or lent for some of that time. The first booking stands.",
                "Choose another time; the member's bookings and loans list what is taken."),
    ProblemType("concurrent-change", 409, "Changed at the same moment",
                "Someone else changed the same thing at the same moment, and their change won.",
                "Read the thing again and retry if what you meant still applies."),
    ProblemType("request-in-progress", 409, "The first request with this key is still being answered",
                "A request with the same Idempotency-Key is still being processed.",
                "Wait a moment, then retry with the same key and body: you get the first request's answer."),
    ProblemType("precondition-failed", 412, "Changed since you read it",
                "The `If-Match` header names a version (ETag) the thing no longer has: it changed since you read it.",
                "Read it again (GET gives the current ETag), check that your change still applies, and send it "
                "with the new ETag."),
    ProblemType("content-too-large", 413, "The request body is too large",
                "The body is larger than the server accepts.",
                "Send less; no operation needs a large body."),
    ProblemType("unsupported-media-type", 415, "Send JSON",
                "The body is not `application/json`.",
                "Send the body as JSON with Content-Type: application/json."),
    ProblemType("validation", 422, "The request does not match the API's description",
                "A field or parameter breaks what the OpenAPI document says it takes: a type, a range, a length, "
                "a date outside 2000-2099, an unknown field. `errors` names each field with its message.",
                "Correct the fields named in `errors`. The document (/api/v1/openapi.json) says exactly what each "
                "one takes."),
    ProblemType("rule", 422, "A rule of the exchange was broken",
                "The request is well formed but breaks a rule of the exchange that the website would refuse too "
                "(a postcode outside the area, a category that does not exist, a date before today, a need marked "
                "as a gift). `errors` names the field when there is one.",
                "Correct what `detail` says; it is the same message the website shows beside the field."),
    ProblemType("idempotency-key-reused", 422, "This Idempotency-Key was used for another request",
                "The Idempotency-Key was used in the last 24 hours by this token for a request with a different "
                "method, path or body.",
                "Use a new key for each new request; reuse a key only to retry exactly the same request."),
    ProblemType("rate-limited", 429, "Too many requests",
                "Too many requests from this token, or too many failed tokens from this address.",
                "Wait the number of seconds in `Retry-After`, then try again."),
    ProblemType("server-error", 500, "Something went wrong on our side",
                "An error the exchange did not expect. It has been logged; nothing was saved.",
                "Try again later; if it persists, tell the coordinators (with the time and the request)."),
    ProblemType("unavailable", 503, "Not available just now",
                "The exchange cannot do this just now (it is not set up to be used from other machines yet, or a "
                "PDF cannot be made on this server).",
                "Wait the number of seconds in `Retry-After` when it is given, then try again."),
)}

# The kind for each status an error handler may meet without a kind of its own.
_BY_STATUS = {400: "malformed", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
              409: "wrong-state", 412: "precondition-failed", 413: "content-too-large", 415: "unsupported-media-type",
              422: "validation", 429: "rate-limited", 500: "server-error", 503: "unavailable"}


def kind_for_status(status: int) -> str:
    return _BY_STATUS.get(status, "server-error" if status >= 500 else "validation")


def problem(kind: str, detail: str | None = None, *, status: int | None = None, errors: dict | None = None,
            headers: dict | None = None, extra: dict | None = None) -> Response:
    """The problem+json answer for a kind of error (a slug of PROBLEM_TYPES); `extra`: members of its own."""
    known = PROBLEM_TYPES[kind]
    status = status or known.status
    body = {"type": known.uri, "title": known.title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = jsonify(body)
    response.status_code = status
    response.content_type = PROBLEM
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
