"""``neptune.attributes``: the classes of the fields ``get_structure()`` and
``get_attribute()`` return (``FloatSeries``, ``String``, ``FileSet`` …)."""

from __future__ import annotations

from nepnb.client.attributes import (
    Artifact,
    Attribute,
    Boolean,
    Datetime,
    File,
    FileSeries,
    FileSet,
    Float,
    FloatSeries,
    GitRef,
    Integer,
    Namespace,
    NotebookRef,
    RunState,
    String,
    StringSeries,
    StringSet,
)

__all__ = [
    "Artifact",
    "Attribute",
    "Boolean",
    "Datetime",
    "File",
    "FileSeries",
    "FileSet",
    "Float",
    "FloatSeries",
    "GitRef",
    "Integer",
    "Namespace",
    "NotebookRef",
    "RunState",
    "String",
    "StringSeries",
    "StringSet",
]
