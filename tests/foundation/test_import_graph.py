"""No import cycle between domain folders: a module of timebank/<folder>/ never needs, through any
chain of imports (those inside functions included), a module that needs it back from another folder
(a module at the top of timebank/, like security.py, counts as a folder of its own).

Python resolves a cycle only by luck of import order, and a lazy import inside a function is how a
cycle hides; so both count here. Imports under `if TYPE_CHECKING:` are for annotations only and do
not run, so they do not. Imports of the app factory (`timebank/__init__.py`) are left out: it
imports every folder to build the app, and the few modules that build an app of their own (the RQ
worker's jobs in matcher/runs.py and matcher/repair.py, backup.py's restore drill) or read the
release's number (operations/metrics.py) import it back.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "timebank"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the timebank modules it imports (a name imported from a package counts as its module if it is one)."""
    modules = {_module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target != "timebank":
                    graph.setdefault(name, set()).add(target)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other, however indirectly."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups


def folder_of(module: str) -> str | None:
    """`timebank.members.people` -> "members"; a module at the top is a folder of its own
    (`timebank.security` -> "security"): a cycle through it is a cycle all the same."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def cycles_between_folders(graph: dict[str, set[str]]) -> list[list[str]]:
    return [sorted(group) for group in strongly_connected(graph)
            if len({folder_of(m) for m in group} - {None}) > 1]


# Still to break, between exactly these folders (a new cycle, or one reaching a third folder, fails),
# each with the chain that closes it. None today; keep the list for the day one must wait.
NOT_YET_BROKEN: list[set[str]] = []


def test_no_import_cycle_between_domain_folders():
    cycles = [group for group in cycles_between_folders(import_graph())
              if {folder_of(m) for m in group} - {None} not in NOT_YET_BROKEN]
    assert cycles == [], "modules of different folders that import each other:\n" + "\n".join(map(str, cycles))


def test_the_check_finds_a_cycle_hidden_in_a_function(tmp_path):
    package = tmp_path / "timebank"
    for folder, source in (("members", "def f():\n    from timebank.exchanges.services import g\n"),
                           ("exchanges", "from timebank.members.services import f\n"),
                           ("ledger", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      "    from timebank.members.services import f\n")):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
        (package / folder / "services.py").write_text(source)
    (package / "__init__.py").write_text("")
    graph = import_graph(package)
    assert "timebank.members.services" not in graph.get("timebank.ledger.services", set())
    assert [sorted(group) for group in strongly_connected(graph) if len(group) > 1] == [
        ["timebank.exchanges.services", "timebank.members.services"]]


def test_a_module_at_the_top_counts_as_a_folder_of_its_own(tmp_path):
    package = tmp_path / "timebank"
    (package / "api").mkdir(parents=True)
    for path, source in (("__init__.py", ""), ("api/__init__.py", ""),
                         ("api/core.py", "from timebank.security import LIMIT\n"),
                         ("security.py", "from timebank.api.core import problem\n")):
        (package / path).write_text(source)
    assert cycles_between_folders(import_graph(package)) == [["timebank.api.core", "timebank.security"]]
