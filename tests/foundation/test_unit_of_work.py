"""One unit of work per request (timebank/unit_of_work.py): no view or endpoint commits or rolls
back by hand; a request that answers below 400 commits once, one that fails or refuses undoes all it did."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import abort, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from timebank.accounts.models import User
from timebank.accounts.tokens import ApiToken
from timebank.errors import DomainError
from timebank.extensions import db
from timebank.main.forms import domain_errors

ROOT = Path(__file__).resolve().parents[2] / "timebank"
# The one place that decides for requests, and the runners that own their transactions: the daily
# jobs (the matcher on its schedule among them), the matcher's background run, the repairs queued after
# a decline, backups, and any function made a CLI command (`.command(...)`).
OWN_THEIR_TRANSACTIONS = {"unit_of_work.py", "operations/jobs.py", "matcher/runs.py", "matcher/repair.py",
                          "matcher/schedule.py", "backup.py"}


def by_hand(source: str, name: str) -> list[str]:
    """`...session.commit()` and `...session.rollback()` calls outside CLI commands, as 'name:line in function'."""
    found = []

    def visit(node: ast.AST, function: str, command: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child.name, command or any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "command"
                    for d in child.decorator_list))
                continue
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and not command
                    and child.func.attr in ("commit", "rollback") and ast.unparse(child.func.value).endswith("session")):
                found.append(f"{name}:{child.lineno} in {function}: {ast.unparse(child)}")
            visit(child, function, command)

    visit(ast.parse(source), "<module>", False)
    return found


def test_no_view_or_endpoint_commits_or_rolls_back_by_hand():
    offenders = [hit for path in sorted(ROOT.rglob("*.py")) if (name := path.relative_to(ROOT).as_posix())
                 not in OWN_THEIR_TRANSACTIONS for hit in by_hand(path.read_text(), name)]
    assert offenders == [], "commit or roll back through timebank/unit_of_work.py:\n" + "\n".join(offenders)


def test_the_check_sees_a_commit_by_hand_but_not_in_a_command():
    source = ("def view():\n    try:\n        db.session.commit()\n    except Exception:\n        db.session.rollback()\n"
              "\n@cli.command('x')\ndef job():\n    db.session.commit()\n")
    assert by_hand(source, "views.py") == ["views.py:3 in view: db.session.commit()",
                                           "views.py:5 in view: db.session.rollback()"]


def _rename(user_id: int, name: str) -> None:
    db.session.get(User, user_id).display_name = name


def test_a_request_commits_once_when_it_answers_and_undoes_all_when_it_fails(app, make_user):
    user_id = make_user("ada@example.org", name="Ada")

    def renames(name):
        _rename(user_id, name)
        return "done"

    def renames_then_refuses(name):
        _rename(user_id, name)
        with domain_errors():  # as a view showing a refusal does: the page is drawn, nothing is saved
            _rename(user_id, name + " the second")
            raise DomainError("No")
        return "shown"

    def renames_then_404(name):
        _rename(user_id, name)
        abort(404)

    for rule, view in (("renames", renames), ("refuses", renames_then_refuses), ("missing", renames_then_404)):
        app.add_url_rule(f"/test/{rule}/<name>", view_func=view)
    client = app.test_client()

    def name_now() -> str:
        with app.app_context():
            return db.session.scalar(select(User.display_name).where(User.id == user_id))

    assert client.get("/test/refuses/Bea").status_code == 200 and name_now() == "Ada"
    assert client.get("/test/missing/Cy").status_code == 404 and name_now() == "Ada"
    assert client.get("/test/renames/Di").status_code == 200 and name_now() == "Di"


@pytest.fixture()
def commits():
    """The path of each request, once for every commit made while it was being answered."""
    seen: list[str] = []

    def count(_session) -> None:
        if has_request_context():
            seen.append(request.path)

    event.listen(Session, "after_commit", count)
    yield seen
    event.remove(Session, "after_commit", count)


def test_a_real_page_commits_once_when_it_saves_and_never_when_it_refuses(app, client, auth, make_user, commits):
    make_user("ada@example.org")
    auth.login("ada@example.org")
    commits.clear()
    assert client.post("/account/tokens", data={"name": "Our CRM", "scope": "read"}).status_code == 200
    assert commits == ["/account/tokens"]
    commits.clear()
    assert client.post("/account/tokens", data={"name": "", "scope": "read"}).status_code == 200
    assert client.post("/account/tokens/2147483000/revoke").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 1
    assert commits == ["/account/tokens"]  # the form shown again (200) commits once, having saved nothing; the 404 never
