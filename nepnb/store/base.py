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
from typing import TYPE_CHECKING, Any

import numpy as np

from nepnb.exceptions import (
    InvalidProjectName,
    InvalidValue,
    MissingField,
    ObjectNotFound,
    RejectedOperation,
    StoreError,
)
from nepnb.store.downsample import SeriesBuckets, check_request, downsample, sort_by_x
from nepnb.store.field_types import FieldType, with_article
from nepnb.store.operations import Batch

if TYPE_CHECKING:
    from nepnb.store.liveness import AliveLock

_PROJECT_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: The field that says an object is in its project's trash.
TRASHED_FIELD = "sys/trashed"


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
class TrashUsage:
    """Bytes of a project's storage limit that deleting its trash gives back (see
    ``Store.trash_usage``): ``each`` trashed object's alone (by uid), and the ``total``."""

    each: dict[str, int]
    total: int


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


def object_ids(ids: str | Iterable[str]) -> list[str]:
    """``ids`` (one ``sys/id`` or several) as a list without repeats; InvalidValue if there
    is none or one is not a string."""
    items = [ids] if isinstance(ids, str) else list(ids) if ids is not None else []
    bad = [item for item in items if not isinstance(item, str) or not item.strip()]
    if bad:
        raise InvalidValue(f"object ids are non-empty strings such as 'CLS-12'; got {bad[0]!r}")
    if not items:
        raise InvalidValue("give at least one object id, e.g. ids=['CLS-12']")
    return list(dict.fromkeys(item.strip().upper() for item in items))


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

    #: "local", "http" or "sql": for messages only. Client code asks the capabilities
    #: below (``remote``, ``hold_alive``, ``mark_abandoned``), never the kind.
    kind: str
    #: Reached over a network (a tracking server): it may not answer for a while, so the
    #: client queues what it writes, files included, and ships them when it does.
    remote: bool = False

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

    def create_project(self, name: str, *, key: str | None = None) -> ProjectInfo:
        """A new project with the short ``key`` (default: made from its name); Conflict if
        the project or the key exists."""
        raise NotImplementedError

    def delete_project(self, name: str) -> None:
        """Delete a project for good: its objects, notebooks and checkpoints."""
        raise NotImplementedError

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

    @abstractmethod
    def get_object(self, uid: str) -> ObjectInfo:
        """The object ``uid`` (its project, kind and ids); ObjectNotFound if there is none."""

    # trash ---------------------------------------------------------------------------
    # Trashed objects keep their data, and count toward the project's storage limit, until
    # they are deleted from the trash. They can still be read and written (a process still
    # logging to a run that was trashed loses nothing); tables leave them out by default.
    def find_objects(self, project: str, ids: str | Iterable[str]) -> list[ObjectInfo]:
        """The objects of ``project`` with these ``sys/id`` (in that order); ObjectNotFound
        listing every id that names none, InvalidValue for the project's own object."""
        wanted = object_ids(ids)
        found, unknown = [], []
        for sys_id in wanted:
            try:
                found.append(self.find_object(project, sys_id=sys_id))
            except ObjectNotFound:
                unknown.append(sys_id)
        if unknown:
            raise ObjectNotFound(
                f"no object with id {', '.join(unknown)} in project {project!r}; nothing was "
                "changed. Check the ids (`nepnb trash list` lists the trash) and the project."
            )
        if any(info.kind is ObjectKind.PROJECT for info in found):
            raise InvalidValue(
                f"{project!r}'s own object cannot be trashed; name runs, models or model versions"
            )
        return found

    def trash_objects(self, project: str, ids: str | Iterable[str]) -> list[ObjectInfo]:
        """Move objects (by ``sys/id``) to the project's trash: ``sys/trashed`` becomes True.
        All or nothing: an unknown id changes nothing. Returns the objects."""
        found = self.find_objects(project, ids)
        self._set_trashed([info.uid for info in found], True)
        return found

    def restore_objects(self, project: str, ids: str | Iterable[str]) -> list[ObjectInfo]:
        """Take objects out of the trash (``sys/trashed`` False). Returns the objects."""
        found = self.find_objects(project, ids)
        self._set_trashed([info.uid for info in found], False)
        return found

    def delete_objects_from_trash(self, project: str, ids: str | Iterable[str]) -> list[ObjectInfo]:
        """Delete objects that are in the trash, for good: their fields, series and batch
        ids; their bytes no longer count toward the project's use. InvalidValue (nothing
        deleted) if one of them is not in the trash. Returns the objects deleted."""
        found = self.find_objects(project, ids)
        trashed = {info.uid for info in self.list_trash(project)}
        outside = [info.sys_id for info in found if info.uid not in trashed]
        if outside:
            raise InvalidValue(
                f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not in the trash "
                f"of {project!r}; nothing was deleted. Trash objects first (`nepnb trash add`)."
            )
        self._delete_trashed(project, [info.uid for info in found])
        return found

    def clear_trash(self, project: str) -> list[ObjectInfo]:
        """Delete every object in the project's trash (see ``delete_objects_from_trash``)."""
        found = self.list_trash(project)
        if found:
            self._delete_trashed(project, [info.uid for info in found])
        return found

    @abstractmethod
    def list_trash(self, project: str) -> list[ObjectInfo]:
        """The objects in the project's trash, oldest first (ProjectNotFound if none)."""

    def trash_usage(self, project: str) -> TrashUsage | None:
        """How many bytes of the project's storage limit deleting its trash gives back:
        each trashed object alone (uid -> bytes), and all of them (files named by several
        trashed objects only come back with the last). None where the store has no storage
        limits (the local store)."""
        return None

    def _set_trashed(self, uids: list[str], trashed: bool) -> None:
        """Set ``sys/trashed`` of the objects ``uids`` (not a user write: never refused by a
        storage limit, and not a modification)."""
        raise NotImplementedError

    def _delete_trashed(self, project: str, uids: list[str]) -> None:
        """Delete those of the objects ``uids`` that are still trashed, in one transaction."""
        raise NotImplementedError

    # fields --------------------------------------------------------------------------
    @abstractmethod
    def apply(self, uid: str, batch: Batch) -> ApplyResult:
        """Apply ``batch`` to the object ``uid``. Each refused operation is reported, not raised."""

    def get_fields(
        self,
        uid: str,
        paths: Iterable[str] | None = None,
        *,
        prefix: str | None = None,
        sizes: bool = True,
    ) -> dict[str, FieldInfo]:
        """Fields of ``uid``: all of them, those in ``paths``, or those under ``prefix``.
        ``sizes=False`` leaves out ``sys/size``, the one field computed when read (a client
        opening an object needs the types and last steps only)."""
        return self.get_fields_of([uid], paths, prefix=prefix, sizes=sizes).get(uid, {})

    @abstractmethod
    def get_fields_of(
        self,
        uids: Iterable[str],
        paths: Iterable[str] | None = None,
        *,
        prefix: str | None = None,
        sizes: bool = True,
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

    # liveness ------------------------------------------------------------------------
    def hold_alive(self, uid: str, *, new: bool = False) -> AliveLock | None:
        """Hold the object ``uid`` open for writing in this process until ``release()``, so
        that a process that died with it "running" is told from a live one (``new``: the uid
        was chosen for ``create_object``). None (the default): this store cannot tell."""
        return None

    def mark_abandoned(self, project: str) -> list[str]:
        """Mark the objects of ``project`` left "running" by a process that died; returns
        their ``sys/id``. The default marks nothing: a store that cannot tell a live writer
        from a dead one (see ``hold_alive``) leaves them as they are."""
        return []

    def close(self) -> None:  # noqa: B027 - optional
        """Release connections."""
