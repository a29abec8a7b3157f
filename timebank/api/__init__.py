"""The JSON API at /api/v1: the same service functions as the web pages, behind personal access tokens.

`register(app)` is called by the app factory. The resources live one per module; `core.py`
holds what they share (token authentication, the unit of work, paging, ETags and If-Match,
idempotency keys, CORS), `problems.py` the kinds of error, `document.py` what the OpenAPI
document says about all of them.
"""
from __future__ import annotations

from flask import Flask

API_PREFIX = "/api/v1"


def register(app: Flask) -> None:
    from timebank.api.core import register_api

    register_api(app)
