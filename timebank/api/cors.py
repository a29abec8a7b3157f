"""CORS: web pages on the origins a coordinator allows may call the API from a browser; none by default.

A member's own web tools (a dashboard on its intranet, a volunteer sign-up page) run in a browser on
another origin. The browser asks first (a preflight OPTIONS without the token); the API answers it
only for an allowed origin, and marks every answer to such an origin as readable by it. Tokens
travel in the Authorization header, never in cookies, so no credentials mode is offered.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, request
from sqlalchemy import select

from timebank.accounts.access import load_for_coordinator, require_coordinator
from timebank.accounts.models import User
from timebank.api.models import AllowedOrigin
from timebank.audit.services import record
from timebank.errors import Conflict, InvalidInput
from timebank.extensions import db

ALLOW_METHODS = "GET, POST, PATCH, PUT, DELETE"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match"
EXPOSE_HEADERS = ("ETag, Location, Link, Retry-After, Idempotent-Replayed, "
                  "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
MAX_AGE = "600"


# -- the coordinators' list -------------------------------------------------------------------------

def normalise(value: str) -> str:
    """"https://Tools.Example.org/" -> "https://tools.example.org"; refuses anything but an origin."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput("Enter the web address the tool runs on, like https://tools.example.org", field="origin")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("Enter an address that starts with https:// (or http://), like https://tools.example.org",
                           field="origin")
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidInput("Enter the origin only: the scheme, the host and the port, with no path",
                           field="origin")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput("The port must be a number from 1 to 65535", field="origin") from None
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default else "")


def allowed_origins() -> list[AllowedOrigin]:
    return list(db.session.scalars(select(AllowedOrigin).order_by(AllowedOrigin.origin)))


def load_origin(origin_id: int, actor: User) -> AllowedOrigin:
    """An allowed website, for a coordinator to remove."""
    return load_for_coordinator(AllowedOrigin, origin_id, actor, to="choose which websites may call the API",
                                missing=f"There is no allowed website {origin_id}")


def allow_origin(actor: User, origin: str, note: str = "") -> AllowedOrigin:
    """A coordinator lets pages on `origin` call the API from a browser (each still needs a token)."""
    require_coordinator(actor, "choose which websites may call the API")
    origin = normalise(origin)
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput("Note must be 200 characters or fewer", field="note")
    if db.session.scalar(select(AllowedOrigin.id).where(AllowedOrigin.origin == origin)) is not None:
        raise Conflict(f"{origin} is already allowed", field="origin")
    row = AllowedOrigin(origin=origin, note=note, added_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record(actor, "api.origin_allowed", row, f"{actor.display_name} let pages on {origin} call the API")
    return row


def remove_origin(actor: User, row: AllowedOrigin) -> None:
    require_coordinator(actor, "choose which websites may call the API")
    record(actor, "api.origin_removed", row, f"{actor.display_name} stopped pages on {row.origin} calling the API")
    db.session.delete(row)
    db.session.flush()


def is_allowed(origin: str | None) -> bool:
    if not origin or origin == "null" or len(origin) > 255:
        return False
    return db.session.scalar(select(AllowedOrigin.id).where(AllowedOrigin.origin == origin)) is not None


# -- answering browsers -------------------------------------------------------------------------------

def preflight() -> Response | None:
    """The answer to a browser's preflight from an allowed origin; None: Flask's own OPTIONS answer."""
    origin = request.headers.get("Origin")
    if not request.headers.get("Access-Control-Request-Method") or not is_allowed(origin):
        return None
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = MAX_AGE
    return response


def add_headers(response: Response) -> Response:
    """Let an allowed origin read the answer (and the headers a client needs)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return response
    response.vary.add("Origin")
    if "Access-Control-Allow-Origin" not in response.headers and is_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response
