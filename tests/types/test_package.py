"""``nepnb.types``: what it exports, and that importing it stays light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import nepnb.types

# neptune.types.__all__ of neptune 1.14.0.post2
NEPTUNE_TYPES = {
    "Artifact",
    "Boolean",
    "Datetime",
    "File",
    "Float",
    "GitRef",
    "Integer",
    "String",
    "FileSet",
    "StringSet",
    "FileSeries",
    "FloatSeries",
    "StringSeries",
}

# Libraries only some conversions need: importing nepnb.types must not load them.
OPTIONAL = ["pandas", "PIL", "matplotlib", "plotly", "altair", "bokeh", "seaborn", "torch"]


def test_exports() -> None:
    assert nepnb.types.__all__ == sorted(nepnb.types.__all__)
    assert set(nepnb.types.__all__) == NEPTUNE_TYPES | {"StringifyValue", "stringify_unsupported"}
    for name in nepnb.types.__all__:
        assert getattr(nepnb.types, name) is not None


@pytest.mark.parametrize("module", ["nepnb.types", "nepnb.types.file"])
def test_import_loads_no_optional_library(module: str) -> None:
    code = (
        f"import json, sys, {module}\n"
        f"print(json.dumps([m for m in {OPTIONAL!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []


def test_modules_import_conversion_libraries_only_inside_functions() -> None:
    """No module of nepnb.types imports NumPy or an optional library at its top level."""
    heavy = {"numpy", *OPTIONAL}
    for source in Path(nepnb.types.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text(), str(source))
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in heavy, f"{source.name} imports {name}"


def test_importing_nepnb_leaves_the_heavy_parts_for_later() -> None:
    """`import nepnb` in a training script loads none of the Jupyter, server, HTTP or widget
    stacks (the HTTP store was once imported eagerly: +65 ms for every user of the local store)."""
    import subprocess
    import sys

    heavy = (
        "tornado",
        "jupyter_server",
        "httpx",
        "fastapi",
        "sqlalchemy",
        "boto3",
        "anywidget",
        "ipywidgets",
        "nbdime",
        "IPython",
        "pandas",
    )
    code = f"import sys, nepnb; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
