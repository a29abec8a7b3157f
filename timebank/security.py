"""Security headers on every response, the rate limits of the pages attackers like, and what a
request may carry (its size; no NUL characters), and the refusal to serve other machines on a
key that is not this installation's own."""
from __future__ import annotations

import ipaddress
import time

from flask import Flask, Request, current_app, g, render_template, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.serving import WSGIRequestHandler

from timebank.api.problems import problem
from timebank.config import is_real_secret
from timebank.extensions import limiter

# No inline script or style anywhere: templates keep all CSS and JS in static files.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Limits per client address (Flask-Limiter); the account lockout in accounts.services guards
# each account on top of these.
LOGIN_LIMIT = "10 per minute;60 per hour"
PASSWORD_RESET_LIMIT = "5 per minute;20 per hour"
SIGN_UP_LIMIT = "10 per minute;30 per hour"

# The largest request body read (a form or a JSON document): the longest text any form takes is a
# few thousand characters; a bigger body is refused with 413 before it is parsed.
MAX_CONTENT_LENGTH = 256 * 1024
# What the development server's Server header says: not the framework or its version.
SERVER_NAME_HEADER = "exchange"


def answer_no_sooner_than(moment: float) -> None:
    """Hold this request's answer until time.monotonic() reaches `moment`, so its time does not say
    which path it took.

    The account pages do the same password-hash work and send the same email on every path, but a
    registered address writes rows an unknown one does not (a link, a failure count): 10 to 25 ms
    here (bench/account_timing.py), enough to tell them apart over many tries. The wait comes after
    the request's commit and its mail (timebank/unit_of_work.py), so it covers their time too.
    """
    from timebank.unit_of_work import after_commit

    after_commit(wait_until, moment)


def wait_until(moment: float) -> None:
    """Sleep until time.monotonic() reaches `moment` (at once if it has)."""
    left = moment - time.monotonic()
    if left > 0:
        time.sleep(left)


class NulFreeMultiDict(ImmutableMultiDict):
    """Form fields and query parameters with NUL characters removed.

    No database stores a NUL in text (PostgreSQL refuses it), and nobody types one: it only ever
    arrives from a script. Removing it where the request is parsed covers every form and search.
    """

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        pairs = MultiDict(mapping).items(multi=True)
        super().__init__([(_without_nul(key), _without_nul(value)) for key, value in pairs])


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class ExchangeRequest(Request):
    parameter_storage_class = NulFreeMultiDict


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler for `flask serve`, naming neither Werkzeug nor Python in `Server`."""

    def version_string(self) -> str:
        return SERVER_NAME_HEADER


def is_local(address: str | None) -> bool:
    """Whether a client address is this machine (loopback)."""
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def has_own_secret(app: Flask) -> bool:
    """Whether the app runs on a key set for this installation (not the generated one, not a public one)."""
    return not app.config.get("SECRET_KEY_GENERATED") and is_real_secret(app.config.get("SECRET_KEY"))


def register(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.request_class = ExchangeRequest

    # Registered before the limiter, so it runs after the limiter has added its headers (Flask runs
    # after_request functions last-registered first).
    @app.after_request
    def retry_after_only_when_waiting(response):
        """Retry-After means "wait, then try again": only on 429 and 503 (the limiter adds it to every answer)."""
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limiter.init_app(app)
    own_secret = has_own_secret(app)

    @app.before_request
    def only_this_machine_without_a_secret():
        """Without its own SECRET_KEY the exchange answers this machine only (scripts/serve, tests)."""
        if own_secret or is_local(request.remote_addr):
            return None
        current_app.logger.warning("Refused a request from %s: SECRET_KEY is not set", request.remote_addr)
        if request.path.startswith("/api/"):
            return problem("unavailable", "This exchange is not set up to be used from other machines yet.")
        return render_template("errors/no_secret_key.html"), 503

    @app.after_request
    def security_headers(response):
        headers = response.headers
        if _signed_in() or request.path.startswith("/api/"):
            # Pages and API answers about a person must not be kept by a browser or a shared cache.
            headers["Cache-Control"] = "no-store"
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("ENV_NAME") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response

    @app.errorhandler(413)
    def too_large(error):
        limit = f"{app.config['MAX_CONTENT_LENGTH'] // 1024} KB"
        if request.path.startswith("/api/"):
            return problem("content-too-large", f"The request body is larger than {limit}.")
        return render_template("errors/413.html", limit=limit), 413

    @app.errorhandler(429)
    def too_many_requests(error):
        if request.path.startswith("/api/"):
            return problem("rate-limited", f"Rate limit exceeded ({error.description}). Wait, then try again.")
        return render_template("errors/429.html"), 429


def _signed_in() -> bool:
    """Whether this request was answered for a signed-in person or an API token (without loading anyone)."""
    user = g.get("_login_user")
    return bool(g.get("api_actor")) or (user is not None and user.is_authenticated)
