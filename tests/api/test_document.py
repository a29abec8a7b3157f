"""The OpenAPI document is written when first read (see `ExchangeApi`): whole, once, whoever reads first."""
from __future__ import annotations

import re
import threading

from timebank import create_app
from timebank.api.core import API_PREFIX

CONFIG = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test-secret"}
NOT_OPERATIONS = {f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs"}


def _routes(app) -> set[str]:
    """'METHOD /path/{name}' for every API route the app answers."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") or rule.rule in NOT_OPERATIONS:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        found |= {f"{method} {path}" for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def _operations(document: dict) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item if method != "parameters"}


def test_the_document_written_on_first_read_has_every_api_route():
    app = create_app(CONFIG)
    api = app.extensions["timebank-api"]
    assert api._unwritten, "the operations should wait for the first read"
    document = app.test_client().get(f"{API_PREFIX}/openapi.json").json
    assert not api._unwritten
    routes = _routes(app)
    assert len(routes) > 30
    assert _operations(document) == routes
    # Read again, it is the same document (nothing written twice).
    assert app.test_client().get(f"{API_PREFIX}/openapi.json").json == document


def test_readers_at_the_same_moment_all_get_the_whole_document():
    reference = create_app(CONFIG).extensions["timebank-api"].spec.to_dict()
    api = create_app(CONFIG).extensions["timebank-api"]
    start = threading.Barrier(8)
    read: list[dict] = []
    failures: list[BaseException] = []

    def reader():
        start.wait()
        try:
            read.append(api.spec.to_dict())
        except BaseException as error:  # noqa: BLE001 (reported below)
            failures.append(error)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(read) == 8 and all(document == reference for document in read)
