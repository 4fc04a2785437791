"""The layers stay apart: the lower ones (types, store, client) never import the upper ones
(kernel, widgets, jupyter, server, cli, notebooks), not even inside a function, and the
client asks a store for its capabilities, never for its kind."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "nepnb"
LOWER = ("types", "store", "client")
UPPER = ("kernel", "widgets", "jupyter", "server", "cli", "notebooks")


def _modules(*layers: str) -> Iterator[tuple[Path, ast.Module]]:
    for layer in layers:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The absolute names of the modules ``node`` imports (relative imports resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = path.relative_to(REPO_ROOT).with_suffix("").parts[: -node.level]
        base = ".".join([*package, base] if base else package)
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _upward_imports(*layers: str) -> list[str]:
    found = []
    for path, tree in _modules(*layers):
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _imported(path, node):
                parts = name.split(".")
                if len(parts) > 1 and parts[0] == "nepnb" and parts[1] in UPPER:
                    found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} imports {name}")
    return sorted(set(found))


@pytest.mark.parametrize("layer", LOWER)
def test_lower_layers_never_import_upper_ones(layer: str) -> None:
    assert _upward_imports(layer) == []


def test_the_guard_sees_an_import_inside_a_function() -> None:
    tree = ast.parse("def f():\n    from nepnb.kernel.session import run_opened\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert "nepnb.kernel.session" in _imported(PACKAGE / "client" / "run.py", node)
    relative = ast.parse("from ..widgets import chart\n").body[0]
    assert isinstance(relative, ast.ImportFrom)
    assert "nepnb.widgets.chart" in _imported(PACKAGE / "client" / "handler.py", relative)


def _names_a_store(node: ast.AST) -> bool:
    """``store``, ``self.store``, ``obj._store``, ``LocalStore``: anything named for a store."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return "store" in name.lower()


def _kind_checks_in(where: str, tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and len(node.args) == 2
            and any(_names_a_store(n) for n in ast.walk(node.args[1]))
        ):
            found.append(f"{where}:{node.lineno} isinstance(..., {ast.unparse(node.args[1])})")
        if isinstance(node, ast.Attribute) and node.attr == "kind" and _names_a_store(node.value):
            found.append(f"{where}:{node.lineno} {ast.unparse(node)}")
    return found


def test_the_client_asks_stores_for_capabilities_not_kinds() -> None:
    found = [
        check
        for path, tree in _modules("client")
        for check in _kind_checks_in(str(path.relative_to(REPO_ROOT)), tree)
    ]
    assert found == []


def test_the_kind_guard_sees_both_forms() -> None:
    source = (
        "if isinstance(store, (LocalStore, int)): pass\n"
        "if self.store.kind == 'http': pass\n"
        "if request.kind is ObjectKind.RUN: pass\n"
    )
    assert _kind_checks_in("x.py", ast.parse(source)) == [
        "x.py:1 isinstance(..., (LocalStore, int))",
        "x.py:2 self.store.kind",
    ]


def _private_members(path: Path) -> set[str]:
    """The private names of the classes in ``path``: methods and ``self._x`` attributes."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "self":
            names.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return {name for name in names if name.startswith("_") and not name.endswith("__")}


def test_upper_layers_read_objects_through_public_members() -> None:
    private = _private_members(PACKAGE / "client" / "objects.py")
    assert {"_store", "_pipeline", "_writer", "_state", "_log_internal"} <= private
    found = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno} {ast.unparse(node)}"
        for path, tree in _modules("kernel", "widgets", "jupyter")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in private
        and ast.unparse(node.value) not in ("self", "cls", "super()")
    ]
    assert found == []


def _import_graph(layer: str) -> dict[str, set[str]]:
    """``module -> modules of the same layer it imports`` (inside functions too)."""
    graph: dict[str, set[str]] = {}
    for path, tree in _modules(layer):
        name = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
        targets = graph.setdefault(name.removesuffix(".__init__"), set())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets.update(_imported(path, node))
    return {
        name: {t for t in targets if t in graph and t != name} for name, targets in graph.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for target in sorted(graph[node]):
                if target == start:
                    found.append(trail)
                elif target not in trail and target > start:
                    stack.append((target, [*trail, target]))
    return found


def test_the_jupyter_extension_modules_import_each_other_without_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert _cycles(_import_graph("jupyter")) == []
