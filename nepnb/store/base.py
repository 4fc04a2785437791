"""The Store interface: what every tracking store (local, HTTP) does.

Writes arrive as batches of operations (``apply``); reads are fields, series and blobs.
One contract test suite (tests/store/test_contract.py) runs against every implementation.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from nepnb.exceptions import (
    InvalidProjectName,
    InvalidValue,
    MissingField,
    RejectedOperation,
    StoreError,
)
from nepnb.store.downsample import SeriesBuckets, check_request, downsample, sort_by_x
from nepnb.store.field_types import FieldType, with_article
from nepnb.store.operations import Batch

_PROJECT_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ObjectKind(str, Enum):
    """The kinds of objects a project holds."""

    RUN = "run"
    MODEL = "model"
    MODEL_VERSION = "model_version"
    PROJECT = "project"


@dataclass(frozen=True)
class ProjectInfo:
    """A project: ``workspace/project`` and its short key (``CLS``)."""

    name: str
    key: str


@dataclass(frozen=True)
class ObjectInfo:
    """An object of a project: its store-internal ``uid`` and its ``sys_id`` (``CLS-12``)."""

    uid: str
    project: str
    kind: ObjectKind
    sys_id: str
    custom_run_id: str | None = None
    created: bool = False  # set by create_object: False when an existing object was returned


@dataclass(frozen=True)
class FieldInfo:
    """A stored field: its type and value (for series: a dict of last value, count, config)."""

    path: str
    type: FieldType
    value: Any


@dataclass
class SeriesData:
    """All points of a series, in step order."""

    steps: np.ndarray
    values: Any  # float64 array, or a list of str / file references
    timestamps: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class NotebookInfo:
    """A notebook known to a project: its stable id and where it was last checkpointed."""

    project: str
    notebook_id: str
    path: str
    created: float
    updated: float
    checkpoints: int = 0


@dataclass(frozen=True)
class CheckpointInfo:
    """An immutable checkpoint of a notebook; ``manifest`` is the digest of its content."""

    id: str
    project: str
    notebook_id: str
    seq: int
    parent_id: str | None
    path: str
    summary: str
    body: str
    author: str
    created: float
    manifest: str
    runs: tuple[str, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The whole message: summary line, blank line, body."""
        return f"{self.summary}\n\n{self.body}" if self.body else self.summary

    def to_json(self) -> dict[str, Any]:
        """The checkpoint as JSON data (the REST API and `nepnb checkpoint list --json`)."""
        return {
            "id": self.id,
            "project": self.project,
            "notebook_id": self.notebook_id,
            "seq": self.seq,
            "parent_id": self.parent_id,
            "path": self.path,
            "summary": self.summary,
            "body": self.body,
            "author": self.author,
            "created": self.created,
            "runs": list(self.runs),
            "stats": dict(self.stats),
        }


@dataclass
class ApplyResult:
    """What ``apply`` did not store, and why."""

    rejected: list[RejectedOperation] = field(default_factory=list)
    duplicate: bool = False  # the batch had been applied before; nothing was done


def require_float_series(path: str, ftype: FieldType | None, object_id: str = "") -> None:
    """Nothing if ``ftype`` is a FloatSeries; MissingField if there is no field, else
    InvalidValue naming the path and its type (only float series can be charted)."""
    if ftype is None:
        raise MissingField(path, object_id)
    if ftype is not FieldType.FLOAT_SERIES:
        raise InvalidValue(
            f"field '{path}' is {with_article(ftype.label)}; only a FloatSeries can be "
            "downsampled for a chart. Chart a float series, or fetch this field's values."
        )


def require_parts(wanted: set[str], found: dict[str, bytes], where: str) -> dict[str, bytes]:
    """``found``, if it has every part of ``wanted``; else a StoreError naming what is missing."""
    if len(found) != len(wanted):
        missing = sorted(wanted - set(found))
        raise StoreError(
            f"{len(missing)} part(s) of a checkpoint are missing from {where} "
            f"(e.g. {missing[0]}); the store is damaged"
        )
    return found


def validate_project_name(name: str) -> str:
    """``name`` if it is ``workspace/project``; else InvalidProjectName saying how to fix it."""
    parts = name.split("/") if isinstance(name, str) else []
    if len(parts) != 2 or not all(_PROJECT_PART.match(part) for part in parts):
        raise InvalidProjectName(
            f"project name {name!r} is not of the form 'workspace/project' (letters, digits, "
            "'.', '_' and '-', starting with a letter or digit), e.g. project='team/cls'"
        )
    return name


class Store(ABC):
    """A tracking store. Implementations must be safe for several threads and processes."""

    #: "local" or "http"
    kind: str

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the store is: a folder or a URL."""

    # projects ------------------------------------------------------------------------
    @abstractmethod
    def get_project(self, name: str, *, create: bool = False) -> ProjectInfo:
        """The project ``name``; created first when ``create`` (local store only)."""

    @abstractmethod
    def list_projects(self) -> list[ProjectInfo]:
        """Every project this store holds (that the caller can see)."""

    # objects -------------------------------------------------------------------------
    @abstractmethod
    def create_object(
        self,
        project: str,
        kind: ObjectKind,
        *,
        custom_run_id: str | None = None,
        model_key: str | None = None,
        model_id: str | None = None,
        initial: Batch | None = None,
        uid: str | None = None,
    ) -> ObjectInfo:
        """Create an object and apply ``initial`` to it in the same transaction.

        A run with a ``custom_run_id`` that exists already is returned as it is
        (``created=False``), so that several processes can write to one run. The project
        object is created once and returned after that. ``uid``: the new object's, chosen
        by the caller (default: a new one), so that a creation retried after its answer was
        lost finds the object it made.
        """

    @abstractmethod
    def find_object(
        self, project: str, *, sys_id: str | None = None, custom_run_id: str | None = None
    ) -> ObjectInfo:
        """The object with this ``sys_id`` or ``custom_run_id``; ObjectNotFound otherwise."""

    @abstractmethod
    def list_objects(
        self, project: str, kind: ObjectKind, *, model_id: str | None = None
    ) -> list[ObjectInfo]:
        """The project's objects of ``kind`` (model versions of ``model_id`` only, if given)."""

    # fields --------------------------------------------------------------------------
    @abstractmethod
    def apply(self, uid: str, batch: Batch) -> ApplyResult:
        """Apply ``batch`` to the object ``uid``. Each refused operation is reported, not raised."""

    @abstractmethod
    def get_fields(
        self, uid: str, paths: Iterable[str] | None = None, *, prefix: str | None = None
    ) -> dict[str, FieldInfo]:
        """Fields of ``uid``: all of them, those in ``paths``, or those under ``prefix``."""

    @abstractmethod
    def get_fields_of(
        self, uids: Iterable[str], paths: Iterable[str] | None = None
    ) -> Mapping[str, dict[str, FieldInfo]]:
        """Fields of several objects at once (for tables)."""

    @abstractmethod
    def read_series(self, uid: str, path: str) -> SeriesData:
        """Every point of the series at ``path`` (MissingField if there is none)."""

    def read_series_buckets(
        self,
        uid: str,
        path: str,
        *,
        buckets: int,
        x_axis: str = "step",
        start: float | None = None,
        end: float | None = None,
    ) -> SeriesBuckets:
        """The float series at ``path`` downsampled to ``buckets`` buckets of ``[start, end]``
        (default: all of it) along its steps or its timestamps (``x_axis="time"``).

        MissingField if there is no such field; InvalidValue for a series of strings or
        files, or a bad argument. This default reads every point; stores override it.
        """
        start, end = check_request(buckets, x_axis, start, end)
        info = self.get_fields(uid, [path]).get(path)
        require_float_series(path, None if info is None else info.type)
        data = self.read_series(uid, path)
        if x_axis == "step":
            return downsample(data.steps, data.values, buckets, start, end)
        return downsample(*sort_by_x(data.timestamps, data.values), buckets, start, end)

    def series_extent(self, uid: str, path: str) -> tuple[float, float] | None:
        """The first and last step of the series at ``path`` (None when it is empty).

        MissingField if there is no such series. This default reads every point."""
        info = self.get_fields(uid, [path]).get(path)
        if info is None or not info.type.is_series:
            raise MissingField(path)
        steps = self.read_series(uid, path).steps
        return (float(steps[0]), float(steps[-1])) if len(steps) else None

    # blobs ---------------------------------------------------------------------------
    # ``project``: the project the bytes belong to. A tracking server needs it (only readers
    # of a project holding a digest may read its bytes, and they count against the project's
    # storage limit); the local store ignores it. The bytes themselves are stored once.
    @abstractmethod
    def put_blob(self, data: bytes, *, project: str | None = None) -> str:
        """Store bytes for ``project``; returns their SHA-256 digest."""

    @abstractmethod
    def put_blob_file(self, source: Path, *, project: str | None = None) -> tuple[str, int]:
        """Store a file's bytes for ``project``; returns digest and size."""

    @abstractmethod
    def read_blob(self, digest: str) -> bytes:
        """The bytes of blob ``digest``."""

    @abstractmethod
    def copy_blob_to(self, digest: str, destination: Path) -> None:
        """Write blob ``digest`` to the file ``destination``."""

    # notebook checkpoints -------------------------------------------------------------
    # ``project``: as for blobs (parts belong to the projects that uploaded them).
    @abstractmethod
    def put_parts(self, parts: Mapping[str, bytes], *, project: str | None = None) -> int:
        """Store content-addressed parts (digest → bytes) not stored yet; returns how many were new."""

    @abstractmethod
    def missing_parts(self, digests: Iterable[str], *, project: str | None = None) -> set[str]:
        """Which of ``digests`` the store does not hold (for ``project``)."""

    @abstractmethod
    def get_parts(self, digests: Iterable[str], *, project: str | None = None) -> dict[str, bytes]:
        """The parts with these digests (StoreError if one is missing)."""

    @abstractmethod
    def add_checkpoint(
        self,
        project: str,
        notebook_id: str,
        *,
        path: str,
        summary: str,
        body: str,
        author: str,
        manifest: str,
        runs: Iterable[str] = (),
        stats: Mapping[str, Any] | None = None,
    ) -> CheckpointInfo:
        """Record a checkpoint whose parts are stored; its parent is the notebook's latest one.

        Concurrent calls for one notebook are all stored, one after the other.
        """

    @abstractmethod
    def list_checkpoints(self, project: str, notebook_id: str) -> list[CheckpointInfo]:
        """The checkpoints of a notebook, newest first."""

    @abstractmethod
    def get_checkpoint(self, project: str, checkpoint_id: str) -> CheckpointInfo:
        """A checkpoint by id or unique id prefix (at least 4 characters); CheckpointNotFound else."""

    @abstractmethod
    def list_notebooks(self, project: str) -> list[NotebookInfo]:
        """The notebooks of a project that have checkpoints, most recently checkpointed first."""

    @abstractmethod
    def get_notebook(self, project: str, notebook_id: str) -> NotebookInfo | None:
        """One notebook of the project, or None."""

    def close(self) -> None:  # noqa: B027 - optional
        """Release connections."""
