"""What every API resource shares: token authentication, problem details, strict fields, paging, ETags.

The OpenAPI document is generated from the code by flask-smorest (apispec with marshmallow): each
view's arguments and responses are marshmallow schemas, which both validate the request and
document it, so the document cannot drift from what the code accepts.
"""
from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from datetime import date, datetime, timezone
from http import HTTPStatus

import marshmallow as ma
from flask import Flask, Response, g, jsonify, request, url_for
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from webargs.flaskparser import FlaskParser

from timebank.accounts.models import User
from timebank.api import tokens
from timebank.bookings.models import UK
from timebank.errors import DomainError
from timebank.extensions import csrf, db, limiter
from timebank.security import API_AUTH_FAILURE_LIMIT, API_LIMIT

API_PREFIX = "/api/v1"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; larger ones cannot name a row
PER_PAGE = 20
MAX_PER_PAGE = 100
READ_METHODS = ("GET", "HEAD", "OPTIONS")
PROBLEM = "application/problem+json"



class StrictParser(FlaskParser):
    """webargs, refusing unknown query parameters too (a misspelt filter should not silently match all)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE, "querystring": ma.RAISE}


class ApiBlueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        """Write this blueprint's operations into the document when it is first read (see `ExchangeApi`)."""
        write = super().register_views_in_doc
        api.write_later(lambda: write(api, app, spec, name=name, parameters=parameters))


BLUEPRINTS: list[ApiBlueprint] = []


# -- who is calling --------------------------------------------------------------------------

class ApiActor:
    """The token's person as the services see them: a coordinator only through a coordinator token.

    Services decide with `user.is_coordinator`; a coordinator's read or read-write token acts as
    the member staff they also are, so a token can never do more than its scope says.
    """

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User, scope: str):
        self._user = user
        self._scope = scope

    def __getattr__(self, name):
        return getattr(self._user, name)

    @property
    def is_coordinator(self) -> bool:
        return self._scope == "coordinator" and self._user.is_coordinator

    @property
    def user(self) -> User:
        return self._user


def actor() -> ApiActor:
    return g.api_actor


def _bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _rate_key() -> str:
    """Per token when one is sent (several systems may share an address), else per address."""
    secret = _bearer_secret()
    return f"token:{tokens.hash_token(secret)[:24]}" if secret else f"address:{request.remote_addr}"


def _authenticate(*, coordinator: bool):
    secret = _bearer_secret()
    if secret is None:
        return problem(401, "Send a personal access token: Authorization: Bearer <token>. "
                            "Make one on your account page, under API tokens.",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
    token = tokens.find_active_token(secret)
    if token is None:
        return problem(401, "This token is not valid: it may have been revoked. Make a new one on your account page.",
                       headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    if tokens.touch(token):
        db.session.commit()
    g.api_token = token
    g.api_actor = ApiActor(token.user, token.scope)
    if coordinator and not g.api_actor.is_coordinator:
        return problem(403, "This needs a coordinator token, which only coordinators can make.")
    if request.method not in READ_METHODS and not token.can_write:
        return problem(403, "This token is read-only. Make a read-write token to change things.")
    return None


# -- problem details (RFC 9457) ---------------------------------------------------------------

def problem(status: int, detail: str | None = None, *, errors: dict | None = None,
            headers: dict | None = None, extra: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
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


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """webargs' {location: {field: [message]}} (nested for nested fields) as {field: [message]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            if prefix == "" and key in ("json", "query", "path", "headers", "form", "view_args"):
                name = ""
            for field, found in _flatten(value, name).items():
                flat.setdefault(field, []).extend(found)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_request"] = list(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            for field, found in _flatten(value, f"{prefix}.{i}" if prefix else str(i)).items():
                flat.setdefault(field, []).extend(found)
    else:
        flat[prefix or "_request"] = [str(messages)]
    return flat


def _domain_problem(error: DomainError, extra: dict | None = None):
    db.session.rollback()
    # A rule of the exchange that a well-formed request broke is 422 (unprocessable content).
    status = 422 if error.status_code == 400 else error.status_code
    return problem(status, error.message, errors={error.field: [error.message]} if error.field else None, extra=extra)


def _http_problem(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        db.session.rollback()
        return problem(500, "Something went wrong on our side. It has been logged; try again later.")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if status == 400 and messages:
        return problem(400, "The request body is not valid JSON.")
    if messages:
        errors = _flatten(messages)
        detail = "; ".join(f"{field}: {' '.join(found)}" for field, found in errors.items())
        return problem(status, f"Check these fields. {detail}", errors=errors)
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    detail = error.description if status in (404, 429) else None
    return problem(status, detail, headers=headers)


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


def _uk(moment: datetime) -> str:
    return moment.replace(tzinfo=UK).isoformat()


class ProblemSchema(ma.Schema):
    """An error, as problem details (RFC 9457)."""

    type = ma.fields.String(metadata={"description": "about:blank: the title is the HTTP status phrase"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(metadata={"description": "What went wrong, in plain English"})
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"description": "Messages per field of the request"})
    taken = ma.fields.List(ma.fields.Nested(TakenTimeSchema), metadata={
        "description": "Only when a weekly booking is refused (409): each time asked for that is already booked"})


_PROBLEM_WORDS = {
    400: "The body is not valid JSON",
    401: "No token, or the token is not valid or revoked",
    403: "The token's scope, or its person, may not do this",
    404: "No such thing, or it is not yours to see",
    409: "It conflicts with the current state (already done, double-booked, over the credit limit)",
    422: "The request breaks a rule: `errors` names each field",
    429: "Too many requests from this token, or too many failed tokens from this address: wait, then try again",
}
_docs = ApiBlueprint("api_problem_docs", __name__)


def problems(*statuses: int):
    """Document the problem responses an operation can give, on top of 401, 403 and 429."""
    def decorate(view):
        for status in sorted({401, 403, 429, *statuses}):
            headers = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}} \
                if status == 401 else None
            view = _docs.alt_response(status, schema=ProblemSchema, content_type=PROBLEM,
                                      description=_PROBLEM_WORDS[status], headers=headers)(view)
        return view
    return decorate


# -- blueprints and the app ---------------------------------------------------------------------

def blueprint(name: str, description: str, *, coordinator: bool = False, import_name: str | None = None) -> ApiBlueprint:
    """An API blueprint under /api/v1: tokens only (never the session cookie), no CSRF, rate limited."""
    bp = ApiBlueprint(f"api_{name}", import_name or f"timebank.api.{name}", url_prefix=API_PREFIX,
                      description=description)
    bp.before_request(lambda: _authenticate(coordinator=coordinator))
    bp.register_error_handler(DomainError, _domain_problem)
    bp.register_error_handler(HTTPException, _http_problem)
    csrf.exempt(bp)
    limiter.shared_limit(API_LIMIT, scope="api", key_func=_rate_key)(bp)
    # Counted only when a request fails to authenticate, keyed by the limiter's own (client address) key.
    limiter.shared_limit(API_AUTH_FAILURE_LIMIT, scope="api-auth-failures",
                         deduct_when=lambda response: response.status_code == 401)(bp)
    BLUEPRINTS.append(bp)
    return bp


class IdConverter(IntegerConverter):
    """A row id in a path: 1 to 999,999,999. Longer numbers do not match the route at all (404)."""

    regex = r"[1-9][0-9]{0,8}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=999_999_999)


def _id_parameter(converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": 999_999_999}


class ExchangeApi(Api):
    """flask-smorest's Api, writing the operations into the OpenAPI document when it is first read.

    Writing them (flask-smorest deep-copies each view's documentation, then apispec resolves every
    schema) took longer than the rest of `create_app` put together, at every start of a web worker
    or a `flask` command, though most processes never read the document. The blueprints and their
    routes are registered at once as before; only the document waits. It is the same document,
    written in the same order: `spec` writes what is waiting before it answers, once, under a lock.
    """

    # Every operation lists its own problem responses (see `problems`): no catch-all "default".
    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args, **kwargs):
        self._unwritten: list[Callable[[], None]] = []
        self._registering = False
        self._writer: int | None = None
        self._writing = threading.Lock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        # Inside register_blueprint flask-smorest passes the document along and tags it: no writing
        # then. The thread writing may read it too (the writers are handed the document itself).
        if self._unwritten and not self._registering and self._writer != threading.get_ident():
            with self._writing:
                self._writer = threading.get_ident()
                try:
                    while self._unwritten:
                        self._unwritten[0]()  # a failure stays queued: later reads retry it
                        self._unwritten.pop(0)
                finally:
                    self._writer = None
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def write_later(self, write: Callable[[], None]) -> None:
        self._unwritten.append(write)

    def register_blueprint(self, blp, **options):
        self._registering = True
        try:
            super().register_blueprint(blp, **options)
        finally:
            self._registering = False

    def _register_error_handlers(self):
        """Errors are answered per API blueprint; the web pages keep their own error pages."""


SPEC_DESCRIPTION = """\
Read and change the social-sector exchange from your own systems. The API calls the same rules as
the web pages: whatever the website would refuse, the API refuses with the same message.

**Tokens.** Make a personal access token on your account page (API tokens) and send it as
`Authorization: Bearer <token>`. A *read* token reads, a *read-write* token also changes things, and a
*coordinator* token (coordinators only) also does the coordinators' operations.

**Errors** are problem details (RFC 9457, `application/problem+json`); `errors` names each field.

**Pages.** Lists take `page` and `per_page` (at most 100) and answer with `links` (self, next, prev,
first, last) and the same links in a `Link` header.

**Keeping in sync.** Listings carry `updated_at`; `GET /listings?updated_since=...` lists every
listing changed since then, whatever its status. Single things carry an `ETag`: send it back in
`If-None-Match` and an unchanged thing answers `304 Not Modified`.
"""


def register_api(app: Flask) -> None:
    """The API's blueprints: those of timebank/api/, and of any module the factory imported before
    (each defines its blueprint with `blueprint`, which lists it in BLUEPRINTS)."""
    app.url_map.converters["id"] = IdConverter
    from timebank.api import (bookings, coordinator, docs, exchanges, ledger, listings, members,  # noqa: F401
                              messages, policy, proposals, queue, reports, saved_searches)

    app.config.setdefault("API_TITLE", "The social-sector exchange")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = ExchangeApi(spec_kwargs={
        "info": {"description": SPEC_DESCRIPTION},
        "security": [{"bearer": []}],
        "servers": [{"url": "/", "description": "This site"}],
    })
    api.init_app(app)
    api.register_converter(IdConverter, _id_parameter)
    api.spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token from your account page (API tokens)."})
    for bp in BLUEPRINTS:
        api.register_blueprint(bp)
    app.register_blueprint(docs.bp)
    app.extensions["timebank-api"] = api


# -- strict fields ------------------------------------------------------------------------------
# JSON has types: "5" is not a number and 1 is not true. marshmallow would coerce them; these
# do not, so that the document's types are exactly what the API accepts.

FIRST_YEAR, LAST_YEAR = 2000, 2099


class Int(ma.fields.Integer):
    """A JSON integer (not a string, a float or a boolean)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Number(ma.fields.Float):
    """A JSON number, read as a Decimal (amounts keep their decimal places exactly)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.make_error("invalid")
        return Decimal(str(value))


class Bool(ma.fields.Boolean):
    """A JSON true or false."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Text(ma.fields.String):
    """A string without NUL characters (no database stores them)."""

    def __init__(self, *, max_length: int, min_length: int = 0, **kwargs):
        kwargs.setdefault("validate", ma.validate.Length(min=min_length, max=max_length))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError("Remove the NUL character")
        return text


def _year_ok(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ma.ValidationError(f"Give a date between {FIRST_YEAR} and {LAST_YEAR}")


class Day(ma.fields.Date):
    """A date like 2027-03-27 (years 2000 to 2099)."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        _year_ok(day)
        return day


class Moment(ma.fields.NaiveDateTime):
    """A date and time; with an offset it is turned into the UK clock, without one it is UK time."""

    def __init__(self, **kwargs):
        super().__init__(timezone=UK, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            moment = super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:
            # an offset moves a moment at the edge of the calendar (0001-01-01T00:00Z) out of it
            raise ma.ValidationError(f"Give a date between {FIRST_YEAR} and {LAST_YEAR}") from None
        _year_ok(moment.date())
        return moment


class Utc(ma.fields.DateTime):
    """A moment stored as naive UTC, written with its offset (RFC 3339)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class UkClock(ma.fields.DateTime):
    """A time on the UK clock (bookings, schedules), written with its offset (RFC 3339)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UK)
        return super()._serialize(value, attr, obj, **kwargs)


class StrictSchema(ma.Schema):
    """A request body: unknown fields are refused, not ignored (a typo should not pass silently)."""

    class Meta:
        unknown = ma.RAISE


# -- pages ------------------------------------------------------------------------------------

class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=10_000),
                             metadata={"description": "Page number, from 1"})
    per_page = ma.fields.Integer(load_default=PER_PAGE, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
                                 metadata={"description": f"Items per page, at most {MAX_PER_PAGE}"})


class LinksSchema(ma.Schema):
    self = ma.fields.String(required=True)
    first = ma.fields.String(required=True)
    last = ma.fields.String(required=True)
    next = ma.fields.String(allow_none=True, required=True)
    prev = ma.fields.String(allow_none=True, required=True)


class PageSchema(ma.Schema):
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)
    links = ma.fields.Nested(LinksSchema, required=True)


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page of `item`s: {items, page, per_page, total, pages, links}."""
    return type(f"{name}Page", (PageSchema,), {"items": ma.fields.List(ma.fields.Nested(item), required=True)})


LINK_HEADER = {"Link": {"schema": {"type": "string"},
                        "description": 'RFC 8288 links: rel="next", "prev", "first", "last"'}}
ETAG_HEADER = {"ETag": {"schema": {"type": "string"},
                        "description": "Send it back in If-None-Match: unchanged, the answer is 304"}}


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def paginate(stmt: Select, page: int, per_page: int) -> Page:
    """One page of `stmt`'s rows (which must be ordered) and the total."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def paged(page: Page):
    """The page as the body (with links) and the Link header, for a view to return."""
    args = request.args.to_dict()

    def link(number: int) -> str:
        return url_for(request.endpoint, _external=True, **(request.view_args or {}),
                       **{**args, "page": number, "per_page": page.per_page})

    links = {"self": link(page.page), "first": link(1), "last": link(page.pages),
             "next": link(page.page + 1) if page.page < page.pages else None,
             "prev": link(min(page.page, page.pages + 1) - 1) if page.page > 1 else None}
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self")
    body = {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages, "links": links}
    return body, 200, {"Link": header}


def with_etag(schema: ma.Schema, thing) -> Response:
    """The thing as JSON with a weak ETag of its content; 304 when the client already has it."""
    body = schema.dump(thing)
    response = jsonify(body)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]
    response.set_etag(digest, weak=True)
    return response.make_conditional(request)


def naive_utc(moment: datetime) -> datetime:
    """A datetime from a query (maybe with an offset) as naive UTC, as stored."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo is not None else moment
