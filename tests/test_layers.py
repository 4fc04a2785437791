"""The layers stay apart: the client asks a store for its capabilities, never for its kind."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "nepnb"


def _modules(*layers: str) -> Iterator[tuple[Path, ast.Module]]:
    for layer in layers:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


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
