"""Idempotency-Key: a POST retried with the same key gets the first answer again, and does nothing twice.

Per token, for a day (`KEEP`). The key is claimed before the request's own changes, in the same
transaction: a second request with the same key (a retry sent while the first is still running)
waits at the unique key until the first commits, then replays its answer. A request that fails
(any 4xx or 5xx) leaves nothing behind, so the same key can be sent again. The same key with
another method, path or body is refused (422, idempotency-key-reused).
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from flask import Response, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from timebank.api.models import IdempotentRequest
from timebank.api.problems import problem
from timebank.db import utcnow
from timebank.extensions import db
from timebank.unit_of_work import discard

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEEP = timedelta(days=1)
KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as a UUID or a ULID is
KEY_PATTERN = "^[!-~]{1,255}$"  # the same, for the OpenAPI document
KEPT_HEADERS = ("Content-Type", "Location", "ETag")


def _fingerprint() -> str:
    """The method, path, query and body: JSON bodies compared by value, not by spacing or key order."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except ValueError:
        body = raw
    head = f"{request.method} {request.path}?{request.query_string.decode('latin-1')}\n".encode()
    return hashlib.sha256(head + body).hexdigest()


def _find(token_id: int, key: str) -> IdempotentRequest | None:
    return db.session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.token_id == token_id, IdempotentRequest.key == key))


def _answer(kept: IdempotentRequest, fingerprint: str) -> Response:
    if kept.fingerprint != fingerprint:
        return problem("idempotency-key-reused",
                       f"This {HEADER} was used in the last 24 hours for another request. "
                       "Send a new key with each new request.", errors={HEADER: ["Used for another request"]})
    if kept.status_code is None:
        return problem("request-in-progress", f"The first request with this {HEADER} is still being answered.")
    g.api_replayed = True
    response = Response(kept.body, status=kept.status_code)
    for name, value in (kept.headers or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def begin(token) -> Response | None:
    """Claim the request's key, or answer it: the first answer again, or a problem. None: go on."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.fullmatch(key):
        return problem("validation", f"{HEADER} must be 1 to 255 visible ASCII characters, like a UUID.",
                       errors={HEADER: ["Use 1 to 255 visible ASCII characters"]})
    fingerprint = _fingerprint()
    kept = _find(token.id, key)
    if kept is not None and kept.created_at < utcnow() - KEEP:
        db.session.delete(kept)  # older than a day: the key is free again
        db.session.flush()
        kept = None
    if kept is not None:
        return _answer(kept, fingerprint)
    claim = IdempotentRequest(token_id=token.id, key=key, fingerprint=fingerprint)
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        # A request with this key committed while we waited at the unique key: answer as it did.
        discard()
        kept = _find(token.id, key)
        if kept is None:
            return problem("request-in-progress", f"The first request with this {HEADER} is still being answered.")
        return _answer(kept, fingerprint)
    g.api_idempotency = claim
    return None


def never_kept(*fields: str) -> None:
    """Keep this answer without these fields (null in a replay): a secret is shown once and never stored."""
    g.api_never_kept = fields


def keep(response: Response) -> None:
    """Write the answer into the claimed row (the caller commits it with the request's changes)."""
    claim = g.pop("api_idempotency", None)
    if claim is None:
        return
    claim.status_code = response.status_code
    claim.body = response.get_data(as_text=True)
    hidden = g.pop("api_never_kept", ())
    if hidden:
        claim.body = json.dumps({**json.loads(claim.body), **dict.fromkeys(hidden)})
    claim.headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}


def purge() -> int:
    """Forget the answers older than a day (the purge-idempotency-keys job)."""
    done = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < utcnow() - KEEP))
    return done.rowcount or 0
