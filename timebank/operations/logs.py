"""One line of JSON per request (the access log) and per job, with no email address or token in it.

Every line has `ts`, `level`, `logger` and `message`; a request's line adds `event: "request"`,
`request_id` (also sent back as X-Request-ID), `method`, `route` (the URL rule, such as
`/members/<int:member_id>`), `path`, `query`, `status`, `duration_ms`, `user_id`, `member_id` and
`remote_addr`; a job's adds `event: "job"`, `job`, `outcome` and `duration_ms`. Path parts that
carry a token (a URL rule's `<token>`) and query values other than a few harmless ones are
replaced by `[redacted]`, and anything shaped like an email address by `[email]`, in every line.
Lines go to standard error (journald or the container's log); ACCESS_LOG=FILE also appends the
request lines to FILE (reopened when logrotate moves it).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler

from flask import Flask, g, has_request_context, request

access_log = logging.getLogger("timebank.access")

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
API_TOKEN = re.compile(r"tbk_[A-Za-z0-9_-]+")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Query parameters whose values are logged as they are: paging, sorting and filters by kind.
PLAIN_QUERY_PARAMETERS = frozenset({"page", "per_page", "sort", "order", "kind", "direction", "status", "format"})
SECRET_ARGUMENT = re.compile(r"token|secret|key|signature|code", re.IGNORECASE)
# In a path no route matched, any long opaque part may be a mistyped link's token.
OPAQUE_PART = re.compile(r"^[A-Za-z0-9_.=-]{20,}$")
# A LogRecord's own attributes; anything else on a record came from `extra=` and is logged.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def scrub(text: str) -> str:
    """The text with email addresses and API tokens replaced."""
    return API_TOKEN.sub("[token]", EMAIL.sub("[email]", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(line, default=str))


class RequestIdFilter(logging.Filter):
    """Adds the request's id to every line logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g and not hasattr(record, "request_id"):
            record.request_id = g.request_id
        return True


_handlers: dict[str, logging.Handler] = {}


def _handler(target: str) -> logging.Handler:
    """One handler per target for the whole process, however many apps it builds (tests build many)."""
    if target not in _handlers:
        handler = logging.StreamHandler(sys.stderr) if target == "-" else WatchedFileHandler(target)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        _handlers[target] = handler
    return _handlers[target]


def register_logging(app: Flask) -> None:
    from flask.logging import default_handler

    logger = logging.getLogger("timebank")
    logger.removeHandler(default_handler)
    for name in ("timebank", "timebank.access", "timebank.jobs"):
        logging.getLogger(name).disabled = False  # logging.config.fileConfig may have disabled them
    if _handler("-") not in logger.handlers:
        logger.addHandler(_handler("-"))
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if app.config.get("ACCESS_LOG") and _handler(app.config["ACCESS_LOG"]) not in access_log.handlers:
        access_log.addHandler(_handler(app.config["ACCESS_LOG"]))
    app.before_request(_start_request)
    app.after_request(_log_request)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex


def logged_path() -> str:
    """The request's path with every token-like part replaced."""
    rule, args = request.url_rule, request.view_args or {}
    if rule is None:
        return "/".join("[redacted]" if OPAQUE_PART.match(part) else part for part in request.path.split("/"))
    path = request.path
    for name, value in args.items():
        if SECRET_ARGUMENT.search(name) and str(value):
            path = path.replace(str(value), "[redacted]")
    return path


def logged_query() -> str:
    return "&".join(f"{name}={value if name in PLAIN_QUERY_PARAMETERS else '[redacted]'}"
                    for name, value in request.args.items(multi=True))


def _user_id() -> int | None:
    user = g.get("_login_user")  # set only if something in the request looked at the user
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id
    actor = g.get("api_actor")
    return getattr(getattr(actor, "user", None), "id", None)


def _log_request(response):
    started = g.get("request_started")
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers.setdefault("X-Request-ID", request_id)
    path = logged_path()
    access_log.info("%s %s %s", request.method, path, response.status_code, extra={
        "event": "request", "request_id": request_id, "method": request.method,
        "route": request.url_rule.rule if request.url_rule else None, "path": path,
        "query": logged_query(), "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "user_id": _user_id(), "member_id": (request.view_args or {}).get("member_id"),
        "remote_addr": request.remote_addr})
    return response
