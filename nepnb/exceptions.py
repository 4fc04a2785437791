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
    ├── ProjectNotFound                a project that does not exist (or the token cannot reach)
    ├── InvalidProjectName             a project name that is not ``workspace/project``
    ├── ReadOnlyMode                   a write through an object opened in read-only mode
    ├── InactiveObject                 use of an object after ``stop()``
    ├── NotAvailableInMode             a fetch in offline or debug mode
    ├── RejectedOperations             async writes the store refused, reported by wait()/stop()
    ├── StoreError                     the store failed (disk, database, schema)
    │   ├── StoreSchemaTooNew          the store was written by a newer nepnb
    │   ├── StoreFull                  the store's disk (or quota) is full: nothing was stored
    │   │   └── StorageLimitExceeded   the project's storage limit on the server is reached
    │   ├── ServerUnavailable          the tracking server cannot be reached (data stays queued)
    │   └── ContentNotFound            a blob or checkpoint part the tracking server lacks
    ├── SyncError                      ``nepnb sync`` could not upload a queued run
    ├── NeptuneDataError               ``nepnb import-neptune``: Neptune client data it cannot read
    ├── MissingRequirement             an integration whose package is not installed (also ImportError)
    ├── InvalidToken                   an API token that is not a nepnb token (malformed)
    ├── Unauthenticated                the server refused the token: unknown, expired, revoked
    ├── PermissionDenied               the token's account may not do this (role, read-only)
    ├── Conflict                       a name that exists already (account, project, workspace)
    └── ServerRequired                 something only a tracking server does (members, accounts)

Errors carry a ``code`` and an ``http_status``: that is the one table of statuses, used by
the tracking server and by the Jupyter server extension alike. The tracking server answers an error as
``{"error": {"code": ..., "message": ...}}`` with that status, and the HTTP store raises
the same class again from the code (:func:`error_from_payload`), as mlflow's REST store does.

    NepnbWarning                       base of every warning nepnb emits
    ├── ValueDropped                   a value was not stored (non-increasing step …)
    ├── ValueTruncated                 a string longer than the limit was cut
    └── AliasStepsAside                the `neptune` alias is on, but the real client is installed

The Neptune client's names are aliases (``NeptuneException``, ``MissingFieldException``,
``InactiveRunException`` …) so ``except neptune.exceptions.X`` keeps working after
``import nepnb as neptune`` or with the alias on (``nepnb alias enable``). Two of them,
``NeptuneMissingApiTokenException`` and ``NeptuneMissingProjectNameException``, are never
raised (the local store needs neither a token nor a project name): they exist so code that
catches them runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nepnb.store.field_types import with_article

__all__ = [
    "AliasStepsAside",
    "CheckpointNotFound",
    "Conflict",
    "ContentNotFound",
    "FieldTypeConflict",
    "InactiveContainerException",
    "InactiveModelException",
    "InactiveModelVersionException",
    "InactiveObject",
    "InactiveProjectException",
    "InactiveRunException",
    "InvalidPath",
    "InvalidProjectName",
    "InvalidToken",
    "InvalidValue",
    "MissingField",
    "MissingFieldException",
    "MissingRequirement",
    "NepnbError",
    "NepnbWarning",
    "NeptuneDataError",
    "NeptuneException",
    "NeptuneLegacyIncompatibilityException",
    "NeptuneMissingApiTokenException",
    "NeptuneMissingProjectNameException",
    "NeptuneMissingRequirementException",
    "NotAvailableInMode",
    "NotebookError",
    "NotebookIdentityConflict",
    "ObjectNotFound",
    "PermissionDenied",
    "ProjectNotFound",
    "ReadOnlyMode",
    "RejectedOperation",
    "RejectedOperations",
    "ServerRequired",
    "ServerUnavailable",
    "StorageLimitExceeded",
    "StoreError",
    "StoreFull",
    "StoreSchemaTooNew",
    "SyncError",
    "Unauthenticated",
    "UnsupportedValue",
    "ValueDropped",
    "ValueTruncated",
]


class NepnbError(Exception):
    """Base class of the errors raised by nepnb."""

    code = "INTERNAL_ERROR"
    http_status = 500


class InvalidPath(NepnbError, ValueError):
    """A field path that is empty, has an empty segment, or is too long."""

    code = "INVALID_PATH"
    http_status = 400


class FieldTypeConflict(NepnbError, TypeError, ValueError):
    """A write whose type differs from the type the field already has."""

    code = "FIELD_TYPE_CONFLICT"
    http_status = 409

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

    code = "UNSUPPORTED_VALUE"
    http_status = 400


class InvalidValue(NepnbError, ValueError):
    """A value of a supported type that is not acceptable (out of range, bad stage …)."""

    code = "INVALID_VALUE"
    http_status = 400


class MissingField(NepnbError, KeyError):
    """Fetching a field that does not exist."""

    code = "MISSING_FIELD"
    http_status = 404

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

    code = "OBJECT_NOT_FOUND"
    http_status = 404


class CheckpointNotFound(NepnbError, LookupError):
    """No checkpoint with that id (or id prefix) in the project."""

    code = "CHECKPOINT_NOT_FOUND"
    http_status = 404


class NotebookError(NepnbError, ValueError):
    """A file that cannot be used as a notebook: not JSON, not a notebook, unknown format."""

    code = "INVALID_NOTEBOOK"
    http_status = 400


class NotebookIdentityConflict(NepnbError):
    """A notebook whose id belongs to another notebook file that still exists (a copy)."""

    code = "NOTEBOOK_IDENTITY_CONFLICT"
    http_status = 409

    def __init__(self, message: str, *, notebook_id: str, other_path: str) -> None:
        super().__init__(message)
        self.notebook_id = notebook_id
        self.other_path = other_path


class ProjectNotFound(NepnbError, LookupError):
    """No project of that name."""

    code = "PROJECT_NOT_FOUND"
    http_status = 404


class InvalidProjectName(NepnbError, ValueError):
    """A project name that is not of the form ``workspace/project``."""

    code = "INVALID_PROJECT_NAME"
    http_status = 400


class ReadOnlyMode(NepnbError):
    """A write through an object opened with ``mode="read-only"``."""

    code = "READ_ONLY_MODE"
    http_status = 400


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

    code = "STORE_ERROR"
    http_status = 500


class ContentNotFound(StoreError, LookupError):
    """A file blob or checkpoint part, named by its digest, that the server does not hold."""

    code = "CONTENT_NOT_FOUND"
    http_status = 404


class StoreSchemaTooNew(StoreError):
    """The store was written by a newer nepnb than this one."""

    code = "SCHEMA_TOO_NEW"
    http_status = 500


class StoreFull(StoreError):
    """The store's disk or quota is full; the write was not stored (and nothing else lost)."""

    code = "STORE_FULL"
    http_status = 507


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


class StorageLimitExceeded(StoreFull):
    """A write that would take a project past its storage limit on the tracking server."""

    code = "STORAGE_LIMIT_EXCEEDED"
    http_status = 413


class ServerUnavailable(StoreError):
    """The tracking server did not answer (down, unreachable, overloaded) after retries."""

    code = "SERVER_UNAVAILABLE"
    http_status = 503


class DatabaseUnavailable(ServerUnavailable):
    """The tracking server answers, but cannot reach its database (restart, failover, outage):
    a matter for its admin; clients retry meanwhile."""

    code = "DATABASE_UNAVAILABLE"
    http_status = 503


class InvalidToken(NepnbError, ValueError):
    """An API token that is not a base64 JSON nepnb token."""

    code = "INVALID_TOKEN"
    http_status = 400


class Unauthenticated(NepnbError):
    """No token, or one the server does not accept: unknown, expired or revoked."""

    code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(NepnbError):
    """The token's account lacks the role (or the token is read-only) for this request."""

    code = "PERMISSION_DENIED"
    http_status = 403


class Conflict(NepnbError):
    """Creating something whose name is taken (an account, a project, a workspace)."""

    code = "CONFLICT"
    http_status = 409


class ServerRequired(NepnbError):
    """What only a tracking server can do (project members, service accounts), asked of the
    local store."""

    code = "SERVER_REQUIRED"
    http_status = 400


class SyncError(NepnbError):
    """A queued run that ``nepnb sync`` could not upload."""

    code = "SYNC_ERROR"
    http_status = 500


def _error_classes() -> dict[str, type[NepnbError]]:
    found: dict[str, type[NepnbError]] = {}
    pending: list[type[NepnbError]] = [NepnbError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def error_payload(error: NepnbError) -> dict[str, Any]:
    """The JSON the tracking server answers ``error`` with."""
    return {"error": {"code": error.code, "message": str(error)}}


def error_from_payload(status: int, payload: Any) -> NepnbError:
    """The error a tracking server's reply stands for: the class of its code, else by status."""
    body = payload.get("error") if isinstance(payload, dict) else None
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    cls = _error_classes().get(str(code))
    if cls is None:
        cls = {401: Unauthenticated, 403: PermissionDenied, 404: ObjectNotFound}.get(
            status, StoreError if status >= 500 else InvalidValue
        )
    error = cls.__new__(cls)
    Exception.__init__(error, message or f"the tracking server answered HTTP {status}")
    return error


class NeptuneDataError(NepnbError):
    """A Neptune client data folder (``.neptune/``) that cannot be imported as it is."""

    code = "NEPTUNE_DATA_ERROR"
    http_status = 400


class MissingRequirement(NepnbError, ImportError):
    """``neptune.integrations.X`` asked for, and the package that implements it not installed."""

    code = "MISSING_REQUIREMENT"
    http_status = 400

    def __init__(self, what: str, package: str, hint: str = "") -> None:
        self.package = package
        argument = f"'{package}'" if any(c in package for c in "<>=") else package
        super().__init__(
            hint
            or f"{what} needs the package {package}, which is not installed here; "
            f"install it with: pip install {argument}"
        )


class NeptuneMissingApiTokenException(NepnbError):
    """The Neptune client's error for a missing API token. nepnb never raises it: without a
    token it uses the local store."""


class NeptuneMissingProjectNameException(NepnbError):
    """The Neptune client's error for a missing project name. nepnb never raises it: without
    a project it uses ``local/default``."""


class NeptuneLegacyIncompatibilityException(NepnbError):
    """The Neptune client's error for a legacy ``Experiment`` object. nepnb has none, so it
    never raises it."""


class NepnbWarning(UserWarning):
    """Base class of the warnings emitted by nepnb."""


class ValueDropped(NepnbWarning):
    """A value that was not stored (a non-increasing step, an unsupported value …)."""


class ValueTruncated(NepnbWarning):
    """A string longer than the limit, cut to the limit."""


class AliasStepsAside(NepnbWarning):
    """``import neptune`` with the alias on, in an environment where the real Neptune client
    is installed: the real client is imported."""


# The Neptune client's names, for code written against it.
NeptuneException = NepnbError
MissingFieldException = MissingField
NeptuneMissingRequirementException = MissingRequirement
# A stopped run, model, model version or project: one class here, under each Neptune name.
InactiveContainerException = InactiveObject
InactiveRunException = InactiveObject
InactiveModelException = InactiveObject
InactiveModelVersionException = InactiveObject
InactiveProjectException = InactiveObject
