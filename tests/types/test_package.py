"""``nepnb.types``: what it exports, and that importing it stays light."""

from __future__ import annotations

import json
import subprocess
import sys

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


def test_exports() -> None:
    assert nepnb.types.__all__ == sorted(nepnb.types.__all__)
    assert set(nepnb.types.__all__) == NEPTUNE_TYPES | {"StringifyValue", "stringify_unsupported"}
    for name in nepnb.types.__all__:
        assert getattr(nepnb.types, name) is not None


@pytest.mark.parametrize("module", ["nepnb.types", "nepnb.types.file"])
def test_import_loads_no_heavy_library(module: str) -> None:
    heavy = ["numpy", "pandas", "PIL", "matplotlib", "plotly", "altair", "bokeh", "torch"]
    code = (
        f"import json, sys, {module}\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []
