"""Domain errors raised by services and translated at the edge (form messages, 4xx JSON).

Each kind of error has a `kind`: the API answers it as a problem of that type
(`/api/v1/problems/<kind>`, timebank/api/problems.py), so an integrating system can tell a credit
limit from a wrong state without reading the prose.
"""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the exchange was broken. `field` names the form field it belongs beside, if any."""

    status_code = 400
    kind = "rule"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status_code = 403
    kind = "forbidden"


class NotFound(DomainError):
    status_code = 404
    kind = "not-found"


class Conflict(DomainError):
    """The thing is not in a state that allows this (already answered, not yet scheduled, ...)."""

    status_code = 409
    kind = "wrong-state"


class ConcurrentChange(Conflict):
    """Someone else changed the same thing at the same moment; reading it again and retrying is safe."""

    kind = "concurrent-change"


class InvalidInput(DomainError):
    status_code = 422
