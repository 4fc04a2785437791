"""Attributes: the field at a path as an object of its field's class, as Neptune's
``get_structure()`` and ``get_attribute()`` return them.

``run["acc"]`` gives a :class:`~nepnb.client.handler.Handler`, whatever the field holds;
``run.get_attribute("acc")`` gives an instance of the field's class (``FloatSeries``,
``String``, ``FileSet`` …), so code that checks ``isinstance(x, neptune.attributes.FloatSeries)``
or walks a structure by type runs as with Neptune. An attribute is a handler bound to its
path: it has the handler's methods, and writes through it go where ``run[path]`` writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nepnb.client.handler import Handler
from nepnb.store.field_types import FieldType

if TYPE_CHECKING:
    from nepnb.client.objects import NeptuneObject

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
    "attribute_of",
]


class Attribute(Handler):
    """Base class of the attributes: the field (or namespace) at a path of an object."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} field at '{self._path}'>"


class Float(Attribute):
    __slots__ = ()


class Integer(Attribute):
    __slots__ = ()


class Boolean(Attribute):
    __slots__ = ()


class String(Attribute):
    __slots__ = ()


class Datetime(Attribute):
    __slots__ = ()


class File(Attribute):
    __slots__ = ()


class FileSet(Attribute):
    __slots__ = ()


class FloatSeries(Attribute):
    __slots__ = ()


class StringSeries(Attribute):
    __slots__ = ()


class FileSeries(Attribute):
    __slots__ = ()


class StringSet(Attribute):
    __slots__ = ()


class GitRef(Attribute):
    __slots__ = ()


class NotebookRef(Attribute):
    __slots__ = ()


class Artifact(Attribute):
    __slots__ = ()


class RunState(Attribute):
    __slots__ = ()


class Namespace(Attribute):
    """A namespace: the fields under a path."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<Namespace '{self._path}'>"


_CLASSES: dict[FieldType, type[Attribute]] = {
    FieldType.FLOAT: Float,
    FieldType.INT: Integer,
    FieldType.BOOL: Boolean,
    FieldType.STRING: String,
    FieldType.DATETIME: Datetime,
    FieldType.FILE: File,
    FieldType.FILE_SET: FileSet,
    FieldType.FLOAT_SERIES: FloatSeries,
    FieldType.STRING_SERIES: StringSeries,
    FieldType.FILE_SERIES: FileSeries,
    FieldType.STRING_SET: StringSet,
    FieldType.GIT_REF: GitRef,
    FieldType.NOTEBOOK_REF: NotebookRef,
    FieldType.ARTIFACT: Artifact,
    FieldType.RUN_STATE: RunState,
}
assert set(_CLASSES) == set(FieldType), "every field type has its attribute class"


def attribute_of(obj: NeptuneObject, path: str, ftype: FieldType | None) -> Any:
    """The attribute of the field of type ``ftype`` at ``path``; a Namespace for None."""
    cls = _CLASSES[ftype] if ftype is not None else Namespace
    return cls(obj, path)
