"""nepnb errors as the HTTP edges answer them: one of each kind a handler may raise."""

from __future__ import annotations

from nepnb.exceptions import (
    Conflict,
    FieldTypeConflict,
    InvalidPath,
    MissingField,
    NepnbError,
    NotebookIdentityConflict,
    PermissionDenied,
    ReadOnlyMode,
    StorageLimitExceeded,
    StoreFull,
)
from nepnb.store.query import QuerySyntaxError

#: ``(error, status)``: the status both the tracking server and the Jupyter extension answer.
ERRORS: list[tuple[NepnbError, int]] = [
    (FieldTypeConflict("metrics/acc", "Float", "String"), 409),
    (Conflict("the project 'team/cls' exists already"), 409),
    (ReadOnlyMode("the run was opened read-only; open it with mode='async' to write"), 400),
    (InvalidPath("a path has no empty segment: 'a//b'"), 400),
    (MissingField("no field 'x' in CLS-1"), 404),
    (PermissionDenied("a viewer of team/cls cannot write"), 403),
    (NotebookIdentityConflict("a copy", notebook_id="n1", other_path="a.ipynb"), 409),
    (QuerySyntaxError("expected a value", "sys/id ==", 10), 400),
    (StoreFull("the disk is full"), 507),
    (StorageLimitExceeded("team/cls is at its storage limit"), 413),
]
IDS = [type(error).__name__ for error, _ in ERRORS]
