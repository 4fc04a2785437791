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
        # the client and NumPy come with the first name that needs them (PEP 562): commands
        # and the Jupyter server extension that import nepnb for other parts skip ~100 ms
        "numpy",
        "nepnb.client.objects",
        "nepnb.client.handler",
    )
    code = f"import sys, nepnb; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_names_imported_on_first_use_are_the_modules_own() -> None:
    """``nepnb``'s lazily imported names are the same objects as where they live, listed by
    ``dir()`` and given by ``from nepnb import *``; an unknown name is an AttributeError."""
    import nepnb
    import nepnb.client.config
    import nepnb.client.model
    import nepnb.client.run
    import nepnb.handler

    assert nepnb.init_run is nepnb.client.run.init_run and nepnb.Run is nepnb.client.run.Run
    assert nepnb.init_model_version is nepnb.client.model.init_model_version
    assert nepnb.ANONYMOUS_API_TOKEN == nepnb.client.config.ANONYMOUS_API_TOKEN
    assert nepnb.handler is sys.modules["nepnb.handler"]
    assert set(nepnb.__all__) <= set(dir(nepnb))
    star: dict[str, object] = {}
    exec("from nepnb import *", star)
    assert {name for name in star if not name.startswith("__")} == set(nepnb.__all__) - {
        "__version__"
    }
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        nepnb.not_a_name  # noqa: B018
