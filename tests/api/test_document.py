"""The OpenAPI document is written when first read (see `ExchangeApi`): whole, once, whoever reads first."""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from timebank import create_app
from timebank.api.core import API_PREFIX

CONFIG = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test-secret"}
# Pages for people (the reference, the problem types' pages) and the document itself are not operations.
NOT_OPERATIONS = ("api_docs.", "api-docs.")


def _routes(app) -> set[str]:
    """'METHOD /path/{name}' for every API route the app answers."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") or rule.endpoint.startswith(NOT_OPERATIONS):
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


# -- what every operation of the document has (document.py) ------------------------------------------

OPERATION_IDS = Path(__file__).with_name("operation_ids.txt")


def _document() -> dict:
    return create_app(CONFIG).test_client().get(f"{API_PREFIX}/openapi.json").json


def test_every_operation_keeps_its_operation_id_and_has_one_resource_tag():
    """A generated client names its functions after operationIds: published ones never change."""
    from timebank.api.core import TAGS

    document = _document()
    found = sorted(f"{op['operationId']} {method.upper()} {path}" for path, item in document["paths"].items()
                   for method, op in item.items() if method != "parameters")
    published = [line for line in OPERATION_IDS.read_text().splitlines() if line]
    gone = sorted(set(published) - set(found))
    new = sorted(set(found) - set(published))
    assert not gone, f"These published operations changed or went: {gone}. Clients call them by these names: " \
                     "keep each operationId, method and path (add a new operation instead)."
    assert not new, f"Add these new operations to {OPERATION_IDS.name} (one line each, kept sorted): {new}"
    assert len({line.split()[0] for line in found}) == len(found)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                assert len(operation["tags"]) == 1 and operation["tags"][0] in TAGS, f"{method} {path}"
    assert [tag["name"] for tag in document["tags"]] == [name for name in TAGS if name in
                                                          {op["tags"][0] for item in document["paths"].values()
                                                           for m, op in item.items() if m != "parameters"}]


def test_every_post_takes_an_idempotency_key_and_every_answer_documents_its_headers():
    document = _document()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = operation.get("parameters", [])
            assert (method == "post") == ({"$ref": "#/components/parameters/IdempotencyKey"} in parameters), path
            for status, answer in operation["responses"].items():
                headers = answer.get("headers", {})
                assert ("Retry-After" in headers) == (status in ("429", "503")), f"{method} {path} {status}"
                if status.startswith("2") and "application/json" in answer.get("content", {}):
                    assert "ETag" in headers, f"{method} {path} {status}"
                if status.startswith(("4", "5")):
                    assert list(answer["content"]) == ["application/problem+json"], f"{method} {path} {status}"


def test_redocly_lint_finds_no_error_and_no_warning(tmp_path):
    """Redocly's own linter (npm @redocly/cli, the version pinned in scripts/lint-api), when npx is here."""
    if shutil.which("npx") is None:
        pytest.skip("npx is not installed (Node.js); scripts/lint-api runs the same check")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([str(root / "scripts" / "lint-api"), str(tmp_path / "openapi.json")], capture_output=True,
                          text=True, timeout=600, cwd=root)
    report = done.stdout + done.stderr
    if done.returncode != 0 and ("ENOTFOUND" in report or "EAI_AGAIN" in report):
        pytest.skip("the npm registry cannot be reached to fetch @redocly/cli")
    assert done.returncode == 0 and "Redocly lint: 0 errors, 0 warnings" in report, report
