"""Domain errors raised by services and translated at the edge (form messages, 4xx JSON)."""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the exchange was broken. `field` names the form field it belongs beside, if any."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class InvalidInput(DomainError):
    status_code = 422
