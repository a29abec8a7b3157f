"""Figures that may be a little old: each web worker remembers them for up to a minute.

Counting every open listing on every view of the home page or of the whole directory costs
tens of milliseconds at 100,000 listings (more on SQLite); nobody notices if a headline figure
is a few seconds behind. Each worker process (and each app, so each test) keeps its own copy,
and `FIGURES_MAX_AGE` (seconds, default 60) bounds how old a figure can be; 0 turns this off.
Only plain values belong here (numbers, tuples), never ORM objects tied to one session.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
DEFAULT_MAX_AGE = 60.0
MAX_REMEMBERED = 5_000  # entries a worker keeps before dropping those past their age


def remembered(key: str, compute: Callable[[], T]) -> T:
    """compute()'s answer, worked out at most once every FIGURES_MAX_AGE seconds in this worker."""
    store: dict[str, tuple[float, object]] = current_app.extensions.setdefault("timebank.figures", {})
    max_age = float(current_app.config.get("FIGURES_MAX_AGE", DEFAULT_MAX_AGE))
    now = time.monotonic()
    found = store.get(key)
    if found is not None and now - found[0] < max_age:
        return found[1]  # type: ignore[return-value]
    value = compute()
    if len(store) >= MAX_REMEMBERED:  # keys made per member (a dashboard's needs) must not grow for ever
        for old_key, (moment, _) in list(store.items()):
            if now - moment >= max_age:
                store.pop(old_key, None)
    store[key] = (now, value)  # a plain assignment: safe with several threads, at worst computed twice
    return value
