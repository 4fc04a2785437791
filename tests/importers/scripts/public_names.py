"""Prints the public names of the Neptune client's objects, handler and field types as JSON.

Run with the Neptune client's venv: ``python public_names.py``.
"""

from __future__ import annotations

import json

import neptune
import neptune.attributes
from neptune.handler import Handler

FIELD_TYPES = [
    "Artifact", "Boolean", "Datetime", "File", "FileSeries", "FileSet", "Float", "FloatSeries",
    "GitRef", "Integer", "NotebookRef", "RunState", "String", "StringSeries", "StringSet",
]  # fmt: skip

classes = {
    "Run": neptune.Run,
    "Project": neptune.Project,
    "Model": neptune.Model,
    "ModelVersion": neptune.ModelVersion,
    "Handler": Handler,
    **{name: getattr(neptune.attributes, name) for name in FIELD_TYPES},
}
print(
    json.dumps(
        {
            name: sorted(n for n in dir(cls) if not n.startswith("_"))
            for name, cls in classes.items()
        }
    )
)
