"""The JSON API at /api/v1: the same service functions as the web pages, behind personal access tokens.

`register(app)` is called by the app factory. The resources live one per module; `core.py`
holds what they share (token authentication, problem details, paging, ETags).
"""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from timebank.api.core import (register_api)

    register_api(app)
