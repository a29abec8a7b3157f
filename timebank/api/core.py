"""What every API resource shares: tokens, one unit of work per request, strict fields, paging.

The OpenAPI document is generated from the code by flask-smorest (apispec with marshmallow): each
view's arguments and responses are marshmallow schemas, which both validate the request and
document it, so the document cannot drift from what the code accepts. `document.py` adds what
every operation shares (operationIds, tags, headers, problems).

A request to the API, whatever its resource:

1. `_before_request`: a browser's CORS preflight is answered (cors.py); otherwise the bearer token
   is checked, a POST's Idempotency-Key is claimed or answered (idempotency.py), and an If-Match
   is compared with the current ETag of the thing the operation changes (conditional.py).
2. The view: load and authorise, one service call. Services flush; views never commit.
3. `_after_request`: a successful answer gets its ETag (304 on a read the client has already) and
   is kept with its Idempotency-Key. Then the app's unit of work (timebank/unit_of_work.py)
   commits an answer below 400 once, and runs the work held for after the commit (a matcher run
   starting, mail); anything else is rolled back.
"""
from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import wraps
from urllib.parse import parse_qsl

import marshmallow as ma
from flask import Flask, Response, current_app, g, request, url_for
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy import Select, func, select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from webargs.flaskparser import FlaskParser

from timebank.accounts import tokens
from timebank.accounts.models import User
from timebank.api import API_PREFIX, conditional, cors, document, idempotency
from timebank.api.problems import PROBLEM, kind_for_status, problem
from timebank.bookings.models import UK
from timebank.errors import DomainError
from timebank.extensions import csrf, db, limiter
from timebank.main.query_args import IdConverter
from timebank.unit_of_work import commit, discard

__all__ = ["API_PREFIX", "PROBLEM", "problem"]

# Limits per client address and token (Flask-Limiter), as timebank/security.py sets the pages'.
API_LIMIT = "120 per minute"
# Failed API authentication (401) per client address, whatever token was sent: made-up tokens each
# had a limit of their own, so guessing was unlimited.
API_AUTH_FAILURE_LIMIT = "10 per minute;60 per hour"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; larger ones cannot name a row
PER_PAGE = 20
MAX_PER_PAGE = 100
READ_METHODS = ("GET", "HEAD", "OPTIONS")


class StrictParser(FlaskParser):
    """webargs, refusing unknown query parameters too (a misspelt filter should not silently match all).

    The query is read as sent: the web's request class drops NUL characters from parameters, but
    the API refuses them, as its document says (a text parameter's pattern).
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE, "querystring": ma.RAISE}

    def load_querystring(self, req, schema):
        sent = MultiDict(parse_qsl(req.query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                   errors="replace"))
        return self._makeproxy(sent, schema)


class ApiBlueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose operations belong to one resource (`tag`) unless a route says otherwise."""

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, *args, tag: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag

    def arguments(self, schema, **kwargs):
        """flask-smorest's, with If-Match compared once the innermost arguments are read and valid.

        A request that is both stale and invalid is told what is invalid (422) first: the
        condition is only worth checking for a request that could be carried out.
        """
        read = super().arguments(schema, **kwargs)

        def decorate(view):
            if getattr(view, "_apidoc", {}).get("arguments"):
                return read(view)  # not the innermost: the one below reads its arguments later

            @wraps(view)
            def compared_after_reading(*args, **kw):
                refused = conditional.check_if_match()
                return refused if refused is not None else view(*args, **kw)
            return read(compared_after_reading)
        return decorate

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        """Write this blueprint's operations into the document when it is first read (see `ExchangeApi`)."""
        write = super().register_views_in_doc
        api.write_later(lambda: write(api, app, spec, name=name, parameters=parameters))


BLUEPRINTS: list[ApiBlueprint] = []
# Each resource's tag and what it is, in the order the reference shows them (document.py). A
# generated client groups its functions by tag (openapi-python-client: one module per tag).
TAGS: dict[str, str] = {
    "Me": "You: the token's person, its scope, and the members you act for",
    "Tokens": "Personal access tokens: make, list and revoke your own",
    "Members": "Organisations and businesses: read them, change your own; coordinators vet them and set credit limits",
    "Categories": "The category taxonomy a listing names",
    "Listings": "Offers and needs: the directory search, and your members' own listings",
    "Matcher runs": "The matcher, run by coordinators: it proposes exchanges",
    "Proposals": "Proposed exchanges waiting for your members' answer",
    "Exchanges": "Exchanges your members are part of; coordinators approve, reject and change them",
    "Legs": "The parts of an exchange: confirm or dispute help received",
    "Bookings": "Room bookings",
    "Loans": "Equipment loans: ask, check out, return",
    "Ledger": "Time credits: balances, statements, gifts to the pot; coordinators' corrections and grants",
    "Waiting list": "What waits for your members, each with its deadline",
    "Work queue": "The coordinators' work queue: approval, answers, overdue confirmations, disputes, stuck exchanges",
    "Reports": "Figures and social value, from the same figures as the report pages",
    "Messages": "Each exchange's conversation between its members' people and the coordinators",
    "Direct policy": "Coordinators only: which direct exchanges wait for approval",
    "Saved searches": "Saved searches: the directory's filters, and a weekly email of new matches",
}


def define_tag(name: str, description: str) -> str:
    """Name a resource: its operations are grouped under it (and a generated client's module is named after it)."""
    TAGS.setdefault(name, description)
    return name


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
        return problem("unauthenticated", "Send a personal access token: Authorization: Bearer <token>. "
                                          "Make one on your account page, under API tokens.",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
    token = tokens.find_active_token(secret)
    if token is None:
        return problem("unauthenticated", "This token is not valid: it may have been revoked. "
                                          "Make a new one on your account page.",
                       headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    if tokens.touch(token):
        commit()  # on its own, before the request's work: a refused request still used the token
    g.api_token = token
    g.api_actor = ApiActor(token.user, token.scope)
    if coordinator and not g.api_actor.is_coordinator:
        return problem("forbidden", "This needs a coordinator token, which only coordinators can make.")
    if request.method not in READ_METHODS and not token.can_write:
        return problem("forbidden", "This token is read-only. Make a read-write token to change things.")
    return None


# -- the request's life ------------------------------------------------------------------------

def _before_request(*, coordinator: bool):
    if request.method == "OPTIONS":
        return cors.preflight()  # None: Flask answers OPTIONS itself, with Allow
    refused = _authenticate(coordinator=coordinator)
    if refused is not None:
        return refused
    if request.method == "POST":
        answered = idempotency.begin(g.api_token)
        if answered is not None:
            return answered
    if not getattr(current_app.view_functions.get(request.endpoint), "_apidoc", {}).get("arguments"):
        return conditional.check_if_match()  # nothing to read first (else ApiBlueprint.arguments compares)
    return None


def _finish(response: Response) -> Response:
    """A successful answer is kept with its Idempotency-Key, in the request's one commit (timebank/unit_of_work.py)."""
    if response.status_code < 400:
        idempotency.keep(response)
    return response


def _after_request(response: Response) -> Response:
    response = _finish(conditional.add_etag(response))
    return cors.add_headers(response)


# -- problem details (RFC 9457; the kinds are in problems.py) ------------------------------------

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
    discard()
    # A rule of the exchange that a well-formed request broke is 422 (unprocessable content).
    status = 422 if error.status_code == 400 else error.status_code
    return problem(error.kind, error.message, status=status,
                   errors={error.field: [error.message]} if error.field else None, extra=extra)


def _http_problem(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        discard()
        return problem("server-error", "Something went wrong on our side. It has been logged; try again later.")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if status == 400 and messages:
        return problem("malformed", "The request body is not valid JSON.")
    if messages:
        errors = _flatten(messages)
        detail = "; ".join(f"{field}: {' '.join(found)}" for field, found in errors.items())
        return problem("validation", f"Check these fields. {detail}", status=status, errors=errors)
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    detail = error.description if status in (404, 429) else None
    return problem(kind_for_status(status), detail, status=status, headers=headers)


# -- blueprints and the app ---------------------------------------------------------------------

def blueprint(name: str, description: str, *, coordinator: bool = False, tag: str | None = None,
              import_name: str | None = None) -> ApiBlueprint:
    """An API blueprint under /api/v1: tokens only (never the session cookie), no CSRF, rate limited.

    Its operations are grouped under `tag` (the resource; by default the blueprint's name, capitalised,
    described by `description`); a route may name another with `tags=[...]`.
    """
    resource = tag or define_tag(name.replace("_", " ").capitalize(), description)
    bp = ApiBlueprint(f"api_{name}", import_name or f"timebank.api.{name}", url_prefix=API_PREFIX, description=description,
                      tag=resource)
    bp.before_request(lambda: _before_request(coordinator=coordinator))
    bp.after_request(_after_request)
    bp.register_error_handler(DomainError, _domain_problem)
    bp.register_error_handler(HTTPException, _http_problem)
    csrf.exempt(bp)
    limiter.shared_limit(API_LIMIT, scope="api", key_func=_rate_key)(bp)
    # Counted only when a request fails to authenticate, keyed by the limiter's own (client address) key.
    limiter.shared_limit(API_AUTH_FAILURE_LIMIT, scope="api-auth-failures",
                         deduct_when=lambda response: response.status_code == 401)(bp)
    BLUEPRINTS.append(bp)
    return bp


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

    # Every operation lists its own problem responses (see `document.problems`): no catch-all "default".
    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = document.ProblemSchema

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
        """flask-smorest's, without its tag per blueprint: document.py tags each operation by resource."""
        self._registering = True
        try:
            name = options.get("name", blp.name)
            self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
            self._app.register_blueprint(blp, **options)
            blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=None)
        finally:
            self._registering = False

    def _register_error_handlers(self):
        """Errors are answered per API blueprint; the web pages keep their own error pages."""


def register_api(app: Flask) -> None:
    """The API's blueprints: those of timebank/api/, and of any module the factory imported before
    (each defines its blueprint with `blueprint`, which lists it in BLUEPRINTS)."""
    app.url_map.converters["id"] = IdConverter
    from timebank.api import (bookings, coordinator, docs, exchanges, funding, ledger, listings, members,  # noqa: F401
                              messages, policy, proposals, queue, reports, saved_searches, token_api)

    app.config.setdefault("API_TITLE", "The social-sector exchange")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = ExchangeApi(spec_kwargs={
        "info": {"description": document.DESCRIPTION},
        "security": [{"bearer": []}],
        "servers": [{"url": "/", "description": "This site"}],
    })
    api.init_app(app)
    api.register_converter(IdConverter, _id_parameter)
    document.components(api.spec)
    for bp in BLUEPRINTS:
        api.register_blueprint(bp)
    api.write_later(lambda: document.finish(api.spec, app, BLUEPRINTS))
    app.register_blueprint(docs.bp)
    app.extensions["timebank-api"] = api


# -- strict fields ------------------------------------------------------------------------------
# JSON has types: "5" is not a number and 1 is not true. marshmallow would coerce them; these do
# not, and each says in the document exactly what it takes (a pattern where a format would not),
# so that what the document allows is what the API accepts, and nothing else.

FIRST_YEAR, LAST_YEAR = 2000, 2099
# A calendar date in 2000-2099 (February 29th in leap years only). [0-9], not \d: the same in ECMA,
# Python and Rust regular expressions, and ASCII only.
DATE = (r"20[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        r"|02-(?:0[1-9]|1[0-9]|2[0-8]))|20(?:[02468][048]|[13579][26])-02-29")
TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
DATE_PATTERN = f"^(?:{DATE})$"
MOMENT_PATTERN = f"^(?:{DATE})T{TIME}{OFFSET}?$"
AWARE_MOMENT_PATTERN = f"^(?:{DATE})T{TIME}{OFFSET}$"
NO_NUL = "^[^\\u0000]*$"
WHOLE_NUMBER = "^(?:0|[1-9][0-9]{0,9})$"


class Int(ma.fields.Integer):
    """A JSON integer (1 and 1.0 alike; not a string, a fraction or a boolean)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class QueryInt(ma.fields.Integer):
    """A whole number in a query string: ASCII digits only ("5", not "+5", " 5" or "5.0")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not re.fullmatch(WHOLE_NUMBER[1:-1], value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Number(ma.fields.Float):
    """A JSON number, read as a Decimal (amounts keep their decimal places exactly)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.make_error("invalid")
        return Decimal(str(value))


class Bool(ma.fields.Boolean):
    """A JSON true or false."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _no_bad_characters(text: str) -> None:
    if "\x00" in text:
        raise ma.ValidationError("Remove the NUL character")
    if any("\ud800" <= character <= "\udfff" for character in text):
        raise ma.ValidationError("Remove the unpaired surrogate (\\ud800-\\udfff): it is not a Unicode character")


class Text(ma.fields.String):
    """Unicode text without NUL characters (no database stores them); `pattern`: it must match that too."""

    def __init__(self, *, max_length: int, min_length: int = 0, pattern: str | None = None,
                 pattern_message: str = "Not in the form this field takes", **kwargs):
        kwargs.setdefault("validate", ma.validate.Length(min=min_length, max=max_length))
        kwargs["metadata"] = {"pattern": pattern or NO_NUL, **kwargs.get("metadata", {})}
        self.pattern, self.pattern_message = pattern, pattern_message
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        _no_bad_characters(text)
        if self.pattern and not re.search(self.pattern, text):
            raise ma.ValidationError(self.pattern_message)
        return text


# A web address as the member pages take it: http or https, a host with a dot, visible ASCII after it.
WEB_ADDRESS = r"^https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][!-~]*)?$"
EMAIL_ADDRESS = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"


class Day(ma.fields.Date):
    """A calendar date like 2027-03-27, in the years 2000 to 2099."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": DATE_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(DATE_PATTERN[1:-1], value):
            raise ma.ValidationError(f"Give a date like 2027-03-27, between {FIRST_YEAR} and {LAST_YEAR}")
        return date.fromisoformat(value)


class Moment(ma.fields.Field):
    """A date and time like 2027-03-27T10:00 (years 2000 to 2099); with an offset (Z, +01:00) it is
    turned into the UK clock, without one it is UK time. `aware`: the offset is required, and the
    moment is kept with it."""

    def __init__(self, *, aware: bool = False, **kwargs):
        self.aware = aware
        pattern = AWARE_MOMENT_PATTERN if aware else MOMENT_PATTERN
        described = ("A date and time with its offset, like 2027-03-27T10:00:00Z" if aware else
                     "A date and time on the UK clock, like 2027-03-27T10:00; with an offset (Z, +01:00) it is "
                     "turned into UK time")
        kwargs["metadata"] = {"type": "string", "pattern": pattern, "description": described,
                              **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        pattern = AWARE_MOMENT_PATTERN if self.aware else MOMENT_PATTERN
        if not isinstance(value, str) or not re.fullmatch(pattern[1:-1], value):
            raise ma.ValidationError("Give a date and time like 2027-03-27T10:00:00Z" if self.aware else
                                     "Give a date and time like 2027-03-27T10:00 (UK time), or with an offset")
        moment = datetime.fromisoformat(value)
        if self.aware or moment.tzinfo is None:
            return moment
        return moment.astimezone(UK).replace(tzinfo=None)


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
    page = QueryInt(load_default=1, validate=ma.validate.Range(min=1, max=10_000),
                    metadata={"description": "Page number, from 1; past the last page, the page is empty"})
    per_page = QueryInt(load_default=PER_PAGE, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
                        metadata={"description": f"Items per page, at most {MAX_PER_PAGE}"})


class LinksSchema(ma.Schema):
    self = ma.fields.String(required=True)
    first = ma.fields.String(required=True)
    last = ma.fields.String(required=True)
    next = ma.fields.String(allow_none=True, required=True, metadata={"description": "None on the last page"})
    prev = ma.fields.String(allow_none=True, required=True,
                            metadata={"description": "None on the first page; the last page from past the end"})


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
    """One page of `stmt`'s rows (which must be ordered) and the total; past the end, no rows."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))) \
        if (page - 1) * per_page < total else []
    return Page(items, total, page, per_page)


def page_of(items: list, args: dict) -> Page:
    """A page of a list a service returned whole."""
    start = (args["page"] - 1) * args["per_page"]
    return Page(items[start:start + args["per_page"]], len(items), args["page"], args["per_page"])


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


def naive_utc(moment: datetime) -> datetime:
    """A datetime from a query (maybe with an offset) as naive UTC, as stored."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo is not None else moment
