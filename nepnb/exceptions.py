"""The exceptions and warnings of nepnb.

Every error a user can cause says what went wrong and how to fix it. The tree:

    NepnbError                         base of everything nepnb raises on purpose
    ├── InvalidPath                    a field path that breaks the rules (also ValueError)
    ├── FieldTypeConflict              a write of another type than the field has (also TypeError,
    │                                  and ValueError as the Neptune client raised)
    ├── UnsupportedValue               a value nepnb cannot store (also TypeError)
    ├── InvalidValue                   a value of the right type that is out of bounds (also ValueError)
    ├── MissingField                   fetching a field that does not exist (also KeyError)
    ├── ObjectNotFound                 `with_id` or `custom_run_id` that names no object
    ├── CheckpointNotFound             a checkpoint id that names no checkpoint
    ├── NotebookError                  a file that is not a usable notebook (also ValueError)
    ├── NotebookIdentityConflict       a copied notebook: its id belongs to another file
    ├── ProjectNotFound                a project that does not exist (tracking server)
    ├── InvalidProjectName             a project name that is not ``workspace/project``
    ├── ReadOnlyMode                   a write through an object opened in read-only mode
    ├── InactiveObject                 use of an object after ``stop()``
    ├── NotAvailableInMode             a fetch in offline or debug mode
    ├── RejectedOperations             async writes the store refused, reported by wait()/stop()
    ├── StoreError                     the store failed (disk, database, schema)
    │   ├── StoreSchemaTooNew          the store was written by a newer nepnb
    │   └── StoreFull                  the store's disk (or quota) is full: nothing was stored
    ├── SyncError                      ``nepnb sync`` could not upload a queued run
    └── NeptuneDataError               ``nepnb import-neptune``: Neptune client data it cannot read

    NepnbWarning                       base of every warning nepnb emits
    ├── ValueDropped                   a value was not stored (non-increasing step …)
    └── ValueTruncated                 a string longer than the limit was cut

The Neptune client's names are aliases (``NeptuneException``, ``MissingFieldException`` …) so
``except neptune.exceptions.X`` keeps working after ``import nepnb as neptune``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nepnb.store.field_types import with_article

__all__ = [
    "CheckpointNotFound",
    "FieldTypeConflict",
    "InactiveObject",
    "InvalidPath",
    "InvalidProjectName",
    "InvalidValue",
    "MissingField",
    "MissingFieldException",
    "NepnbError",
    "NepnbWarning",
    "NeptuneDataError",
    "NeptuneException",
    "NotAvailableInMode",
    "NotebookError",
    "NotebookIdentityConflict",
    "ObjectNotFound",
    "ProjectNotFound",
    "ReadOnlyMode",
    "RejectedOperation",
    "RejectedOperations",
    "StoreError",
    "StoreFull",
    "StoreSchemaTooNew",
    "SyncError",
    "UnsupportedValue",
    "ValueDropped",
    "ValueTruncated",
]


class NepnbError(Exception):
    """Base class of the errors raised by nepnb."""


class InvalidPath(NepnbError, ValueError):
    """A field path that is empty, has an empty segment, or is too long."""


class FieldTypeConflict(NepnbError, TypeError, ValueError):
    """A write whose type differs from the type the field already has."""

    def __init__(self, path: str, existing: str, attempted: str, hint: str = "") -> None:
        self.path, self.existing, self.attempted = path, existing, attempted
        message = (
            f"field '{path}' is {with_article(existing)}; cannot store "
            f"{with_article(attempted)} there. "
            f"Nothing was stored. Write the {attempted} to another path"
        )
        super().__init__(message + (f", or {hint}." if hint else "."))


class UnsupportedValue(NepnbError, TypeError):
    """A value of a type nepnb cannot store."""


class InvalidValue(NepnbError, ValueError):
    """A value of a supported type that is not acceptable (out of range, bad stage …)."""


class MissingField(NepnbError, KeyError):
    """Fetching a field that does not exist."""

    def __init__(self, path: str, object_id: str = "") -> None:
        self.path = path
        where = f" in {object_id}" if object_id else ""
        super().__init__(
            f"there is no field '{path}'{where}. Check the path; "
            "`obj.get_structure()` or `obj.print_structure()` lists the fields."
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ObjectNotFound(NepnbError, LookupError):
    """No object with the given id in the project."""


class CheckpointNotFound(NepnbError, LookupError):
    """No checkpoint with that id (or id prefix) in the project."""


class NotebookError(NepnbError, ValueError):
    """A file that cannot be used as a notebook: not JSON, not a notebook, unknown format."""


class NotebookIdentityConflict(NepnbError):
    """A notebook whose id belongs to another notebook file that still exists (a copy)."""

    def __init__(self, message: str, *, notebook_id: str, other_path: str) -> None:
        super().__init__(message)
        self.notebook_id = notebook_id
        self.other_path = other_path


class ProjectNotFound(NepnbError, LookupError):
    """No project of that name."""


class InvalidProjectName(NepnbError, ValueError):
    """A project name that is not of the form ``workspace/project``."""


class ReadOnlyMode(NepnbError):
    """A write through an object opened with ``mode="read-only"``."""


class InactiveObject(NepnbError):
    """A call on an object after ``stop()``."""


class NotAvailableInMode(NepnbError):
    """An operation the object's mode cannot do (fetching in offline or debug mode)."""


@dataclass(frozen=True)
class RejectedOperation:
    """One write the store refused: where, and why.

    ``dropped`` marks points the store left out as the Neptune client does (non-increasing
    steps): reported as a ValueDropped warning rather than an error.
    """

    path: str
    reason: str
    dropped: bool = False


class RejectedOperations(NepnbError):
    """Writes refused by the store, reported by ``wait()`` and ``stop()`` in async mode."""

    def __init__(self, object_id: str, rejected: Sequence[RejectedOperation]) -> None:
        self.rejected = list(rejected)
        lines = [f"  - {item.path}: {item.reason}" for item in self.rejected[:20]]
        more = len(self.rejected) - len(lines)
        if more > 0:
            lines.append(f"  … and {more} more")
        super().__init__(
            f"{len(self.rejected)} write(s) to {object_id} were rejected and not stored "
            "(everything else was):\n" + "\n".join(lines)
        )


class StoreError(NepnbError):
    """The store could not do what was asked (disk full, database damaged …)."""


class StoreSchemaTooNew(StoreError):
    """The store was written by a newer nepnb than this one."""


class StoreFull(StoreError):
    """The store's disk or quota is full; the write was not stored (and nothing else lost)."""


def store_full_error(error: BaseException, location: str) -> StoreFull | None:
    """``error`` as a :class:`StoreFull` when it means the disk or quota is full, else None."""
    import errno
    import sqlite3

    full_errnos = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
    is_full = (isinstance(error, OSError) and error.errno in full_errnos) or (
        isinstance(error, sqlite3.OperationalError) and "full" in str(error).lower()
    )
    if not is_full:
        return None
    return StoreFull(
        f"the nepnb store at {location} is full ({error}). Nothing of this request was "
        "stored; free some disk space (or raise the quota) and retry."
    )


class SyncError(NepnbError):
    """A queued run that ``nepnb sync`` could not upload."""


class NeptuneDataError(NepnbError):
    """A Neptune client data folder (``.neptune/``) that cannot be imported as it is."""


class NepnbWarning(UserWarning):
    """Base class of the warnings emitted by nepnb."""


class ValueDropped(NepnbWarning):
    """A value that was not stored (a non-increasing step, an unsupported value …)."""


class ValueTruncated(NepnbWarning):
    """A string longer than the limit, cut to the limit."""


# The Neptune client's names, for code written against it.
NeptuneException = NepnbError
MissingFieldException = MissingField
