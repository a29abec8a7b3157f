"""Numbers read from a URL (its path or its query string), bounded so that a typed or forged URL
cannot overflow a query."""
from __future__ import annotations

from flask import request
from werkzeug.routing import IntegerConverter

# Far past the last page of anything the exchange lists; larger numbers are read as this.
MAX_PAGE = 10_000
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def page_arg(name: str = "page") -> int:
    """?page= as a page number from 1 to MAX_PAGE; anything else is page 1 (or MAX_PAGE, if too large)."""
    text = (request.args.get(name) or "").strip()
    if not text.isdecimal() or not text.isascii():
        return 1
    return min(max(1, int(text)), MAX_PAGE) if len(text) <= 6 else MAX_PAGE


def id_arg(name: str) -> int | None:
    """A row id from the query string or form, or None when it is missing, malformed or cannot name a row."""
    text = (request.values.get(name) or "").strip()
    if not text.isdecimal() or not text.isascii() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """A row id in a path: 1 to 999,999,999. Longer numbers do not match the route at all (404).

    The API's `<id:...>` and every page's `<int:...>` (create_app registers it as "int"): a
    21-digit id once overflowed SQLite's integers and answered 500.
    """

    regex = r"[1-9][0-9]{0,8}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=999_999_999)
