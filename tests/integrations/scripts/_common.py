"""What every integration script shares: opening the run the same way under either client,
and writing down what landed in it, read back through the public API.

Each script says ``import neptune``: the real Neptune 1.14 client in its venv (debug mode: it
keeps what is logged in memory), or nepnb through the alias (its default async mode, into
NEPNB_HOME). ``dump`` walks ``run.get_structure()`` and records, for every field, its class
(``type(attribute).__name__``: Float, FloatSeries …) and what it reads back: values of atoms,
step/value pairs of float and string series, extensions of files, names of tags.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timezone
from typing import Any

import neptune

#: nepnb writes these itself (its monitoring, sys/ …): left out of the comparison.
OWN = ("sys/", "source_code/", "monitoring/")


def open_run() -> Any:
    return neptune.init_run(
        project="workspace/integrations",
        mode=os.environ["INTEGRATION_MODE"],
        capture_stdout=False,
        capture_stderr=False,
        capture_hardware_metrics=False,
        capture_traceback=False,
        source_files=[],
        git_ref=False,
    )


def _value(attribute: Any) -> Any:
    kind = type(attribute).__name__
    if kind in ("Float", "Integer", "Boolean", "String", "Datetime"):
        value = attribute.fetch()
        # The same instant, however each client hands it back (naive local, or aware).
        return value.astimezone(timezone.utc).isoformat() if kind == "Datetime" else value
    if kind in ("FloatSeries", "StringSeries"):
        frame = attribute.fetch_values(include_timestamp=False)
        return [
            [float(step), value] for step, value in zip(frame["step"], frame["value"], strict=True)
        ]
    if kind == "File":
        return attribute.fetch_extension()
    if kind == "StringSet":
        return sorted(attribute.fetch())
    return None  # FileSeries, FileSet: the type says enough (Neptune's debug mode keeps no files)


def _walk(tree: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, item in tree.items():
        path = prefix + key
        if isinstance(item, dict):
            _walk(item, path + "/", out)
        else:
            out[path] = [type(item).__name__, _value(item)]


def collect(run: Any) -> dict[str, Any]:
    """What ``run`` holds, field by field, and which ``neptune`` wrote it."""
    run.wait()
    fields: dict[str, Any] = {}
    _walk(run.get_structure(), "", fields)
    return {"client": client(), "fields": fields}


def client() -> dict[str, str]:
    """Which ``neptune`` this is: its file and version."""
    return {"file": str(neptune.__file__), "version": neptune.__version__}


def write(result: dict[str, Any]) -> None:
    """Write ``result`` to the JSON file named by argv[1]."""
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(result, out, indent=1, sort_keys=True, default=repr)


def dump(run: Any, **extra: Any) -> None:
    """Write what ``run`` holds (and ``extra``) to the JSON file named by argv[1]."""
    write({**collect(run), **extra})
