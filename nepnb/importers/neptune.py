"""``nepnb import-neptune``: a Neptune client 1.x data folder imported into a nepnb store
(the local store, or a tracking server through the HTTP store: only the Store interface).

Each container (run, model, model version, project) of ``.neptune/async`` and
``.neptune/offline`` becomes a nepnb object; its operations are translated
(``neptune_ops``) and applied in batches whose ids are derived from the container and the
operations' versions, and the object's uid from the container id, so importing the same
folder again finds the same objects and stores nothing twice. Everything of a container is
read before anything of it is written: a damaged log imports nothing of its container.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from nepnb.exceptions import ObjectNotFound
from nepnb.importers.neptune_folder import Container, locate, scan
from nepnb.importers.neptune_ops import Counts, Translator, coalesce
from nepnb.store.base import ObjectInfo, ObjectKind, Store
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind

#: Neptune records per nepnb batch.
BATCH_RECORDS = 1000
#: The model that holds imported model versions: local data does not say whose they were.
VERSIONS_MODEL_KEY = "NEPTUNE"
_UID_NAMESPACE = uuid.UUID("9b8c2d4e-7f61-4a3b-9d2e-5c1f0a6b7e83")

Progress = Callable[[int, int], None]


@dataclass
class ContainerResult:
    """What importing one Neptune container did."""

    container: Container
    sys_id: str | None = None
    created: bool = False
    operations: int = 0  # Neptune operations read as new data
    acknowledged: int = 0  # async: operations Neptune's server had already (not in the folder)
    batches: int = 0  # batches stored now
    already: int = 0  # batches stored by an earlier import
    counts: Counts = field(default_factory=Counts)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    """What ``import_neptune`` did, container by container."""

    data_dir: Path
    project: str
    results: list[ContainerResult] = field(default_factory=list)
    broken: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def imported(self) -> list[ContainerResult]:
        """The containers that stored something now (not only in an earlier import)."""
        return [r for r in self.results if r.batches]

    @property
    def objects(self) -> int:
        return len(self.imported)

    @property
    def fields(self) -> int:
        return sum(len(r.counts.fields) for r in self.imported)

    @property
    def points(self) -> int:
        return sum(r.counts.points for r in self.imported)

    @property
    def files(self) -> int:
        return sum(r.counts.files for r in self.imported)

    @property
    def already(self) -> int:
        """Containers every batch of which an earlier import stored."""
        return sum(1 for r in self.results if r.already and not r.batches)

    @property
    def warnings(self) -> int:
        return sum(len(r.warnings) for r in self.results)


def object_uid(container: Container, project: str) -> str:
    """The nepnb uid of a Neptune container imported into ``project``: the same every time."""
    key = f"{project}:{container.kind}:{container.container_id}"
    return uuid.uuid5(_UID_NAMESPACE, key).hex


def import_neptune(
    path: Path | None,
    store: Store,
    project: str,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the Neptune data folder at ``path`` (see ``neptune_folder.locate``) into
    ``project`` of ``store``. NeptuneDataError when there is no Neptune data there."""
    data_dir = locate(path)
    containers, broken = scan(data_dir)
    summary = ImportSummary(data_dir, project, broken=broken)
    total = sum(container.new_count() for container in containers)
    done = 0
    for container in containers:
        writer = container.writer_alive()
        if writer is not None:
            summary.broken.append(
                (container.folder, f"process {writer} is still writing it; import it after")
            )
            continue
        result = ContainerResult(container, acknowledged=container.acknowledged_count())
        summary.results.append(result)
        result.warnings.extend(_losses(container))
        result.operations = container.new_count()
        for count in _import_container(container, store, project, result, data_dir.parent):
            done += count
            if progress is not None:
                progress(done, total)
    return summary


def _import_container(
    container: Container,
    store: Store,
    project: str,
    result: ContainerResult,
    cwd: Path,
) -> Iterator[int]:
    """Import the new records of ``container``; yields how many records each batch held.

    Its logs were read whole before (``scan``): a damaged one stopped everything of the
    container then. Translating reports, never fails, so batches go one at a time.
    """
    if not result.operations:
        return
    translator = Translator(store, project, result.warnings.append, cwd)
    for record in container.acknowledged_records():
        translator.observe(record.op)
    info = _target(container, store, project, result)
    result.sys_id, result.created = info.sys_id, info.created
    records = container.new_records()
    while chunk := list(islice(records, BATCH_RECORDS)):
        operations = [
            op
            for execution, record in chunk
            for op in translator.translate(record.op, execution.upload_path)
        ]
        execution, first = chunk[0]
        part = f"{execution.folder.name}:{first.version}-{chunk[-1][1].version}"
        batch = Batch(coalesce(operations), batch_id=_batch_id(container, project, part))
        applied = store.apply(info.uid, batch)
        if applied.duplicate:
            result.already += 1
        else:
            result.batches += 1
            result.warnings.extend(f"{r.path}: not stored: {r.reason}" for r in applied.rejected)
        yield len(chunk)
    result.counts = translator.counts
    store.apply(info.uid, _closing_batch(container, project, info))


def _losses(container: Container) -> list[str]:
    """What the Neptune process queued that its log does not hold (it was killed)."""
    out = []
    for execution in container.executions:
        name = execution.folder.name
        if execution.partial_tail:
            out.append(
                f"{name}: the last record was cut short (the process was killed while writing "
                "it); everything before it was imported"
            )
        last = execution.last_version
        if execution.put > last:
            out.append(
                f"{name}: the client queued {execution.put - last} more operation(s) than its "
                f"log holds (last_put_version {execution.put}, last record {last}): they never "
                "reached the disk before the process ended"
            )
    return out


def _batch_id(container: Container, project: str, part: str) -> str:
    key = f"neptune-import:{project}:{container.mode}:{container.kind}:{container.container_id}"
    key += f":{part}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _target(
    container: Container,
    store: Store,
    project: str,
    result: ContainerResult,
) -> ObjectInfo:
    """The nepnb object of ``container``: found when imported before, else created."""
    kind = ObjectKind(container.kind)
    if kind is ObjectKind.PROJECT:
        return store.create_object(project, kind)
    uid = object_uid(container, project)
    known = _known_id(store, uid)
    if known is not None:
        return ObjectInfo(uid, project, kind, known, created=False)
    if kind is ObjectKind.RUN:
        custom = container.custom_run_id
        return store.create_object(project, kind, custom_run_id=custom, uid=uid)
    if kind is ObjectKind.MODEL:
        key = "N" + uid[:9].upper()
        result.warnings.append(
            f"Neptune's local data does not hold the model's key; imported with key {key}"
        )
        return store.create_object(project, kind, model_key=key, uid=uid)
    model = store.create_object(project, ObjectKind.MODEL, model_key=VERSIONS_MODEL_KEY)
    result.warnings.append(
        "Neptune's local data does not say which model this version belongs to; imported "
        f"under the model {model.sys_id}"
    )
    return store.create_object(project, kind, model_id=model.sys_id, uid=uid)


def _known_id(store: Store, uid: str) -> str | None:
    """The sys/id of the object ``uid`` when an earlier import made it. The local store has
    no fields for an unknown uid; the tracking server answers ObjectNotFound."""
    try:
        known = store.get_fields(uid, ["sys/id"]).get("sys/id")
    except ObjectNotFound:
        return None
    return None if known is None else str(known.value)


def _closing_batch(container: Container, project: str, info: ObjectInfo) -> Batch:
    """The run is over (its process is gone); it began when Neptune's client opened it."""
    operations = []
    if info.kind is ObjectKind.RUN:
        operations.append(Operation(OpKind.ASSIGN, "sys/state", FieldType.RUN_STATE, "inactive"))
    created = container.created_at
    if info.created and created:
        when = datetime.fromisoformat(created).timestamp()
        operations.append(Operation(OpKind.ASSIGN, "sys/creation_time", FieldType.DATETIME, when))
    return Batch(operations, batch_id=_batch_id(container, project, "closing"))
