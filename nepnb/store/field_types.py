"""The field types of the data model (DESIGN.md section 2).

A field's type is fixed by its first write. The string values are the names the
Neptune Query Language uses in `` `path`:type `` (``float``, ``floatSeries`` …).
"""

from __future__ import annotations

from enum import Enum


class FieldType(str, Enum):
    """The type of a field at a path of an object."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    STRING = "string"
    DATETIME = "datetime"
    FLOAT_SERIES = "floatSeries"
    STRING_SERIES = "stringSeries"
    FILE_SERIES = "fileSeries"
    FILE = "file"
    FILE_SET = "fileSet"
    STRING_SET = "stringSet"
    GIT_REF = "gitRef"
    NOTEBOOK_REF = "notebookRef"
    ARTIFACT = "artifact"
    RUN_STATE = "experimentState"

    @property
    def is_series(self) -> bool:
        return self in SERIES_TYPES

    @property
    def label(self) -> str:
        """The name users know from the Neptune client (``FloatSeries``, ``StringSet`` …)."""
        return _LABELS[self]


SERIES_TYPES = frozenset({FieldType.FLOAT_SERIES, FieldType.STRING_SERIES, FieldType.FILE_SERIES})

_LABELS = {
    FieldType.FLOAT: "Float",
    FieldType.INT: "Integer",
    FieldType.BOOL: "Boolean",
    FieldType.STRING: "String",
    FieldType.DATETIME: "Datetime",
    FieldType.FLOAT_SERIES: "FloatSeries",
    FieldType.STRING_SERIES: "StringSeries",
    FieldType.FILE_SERIES: "FileSeries",
    FieldType.FILE: "File",
    FieldType.FILE_SET: "FileSet",
    FieldType.STRING_SET: "StringSet",
    FieldType.GIT_REF: "GitRef",
    FieldType.NOTEBOOK_REF: "NotebookRef",
    FieldType.ARTIFACT: "Artifact",
    FieldType.RUN_STATE: "RunState",
}


def with_article(noun: str) -> str:
    """``noun`` with its indefinite article: "a Float", "an Integer"."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"
