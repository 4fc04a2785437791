"""Field values users build: ``File``, ``FloatSeries``, ``StringSet``, ``StringifyValue`` …

Importing this package imports no optional or heavy library (NumPy, Pandas, Pillow,
Matplotlib, Plotly …): ``File``'s converters import what they need when they are called.
"""

from __future__ import annotations

from nepnb.types.atoms import Artifact, Boolean, Datetime, Float, GitRef, Integer, String
from nepnb.types.file import File
from nepnb.types.file_set import FileSet
from nepnb.types.series import FileSeries, FloatSeries, StringSeries
from nepnb.types.sets import StringSet
from nepnb.types.stringify import StringifyValue, stringify_unsupported

__all__ = [
    "Artifact",
    "Boolean",
    "Datetime",
    "File",
    "FileSeries",
    "FileSet",
    "Float",
    "FloatSeries",
    "GitRef",
    "Integer",
    "String",
    "StringSeries",
    "StringSet",
    "StringifyValue",
    "stringify_unsupported",
]
