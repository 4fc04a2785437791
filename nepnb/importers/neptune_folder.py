"""Reading a Neptune client 1.x data folder (``.neptune/``): its containers and operation logs.

The layouts the 1.x client wrote (``neptune.metadata_containers.structure_version``)::

    1 (legacy)      async/<uuid>/exec-<n><time>/              container_type, data-N.log
    2 (children)    async/<type>__<uuid>/exec-<time>-<date>-<pid>/   data-N.log
    3 (direct)      {async,offline}/<type>__<uuid>__<pid>__<key>/    metadata.json, data-N.log
    offline, older  offline/<uuid>/ or offline/<type>__<uuid>/

Each execution folder holds ``data-N.log`` files (one JSON record per line:
``{"obj": operation, "version": n, "at": time}``; N is the first version of the file),
``last_put_version`` and ``last_ack_version`` (async: what Neptune's server acknowledged),
and ``upload_path/`` with the in-memory files the logged operations refer to.
Nothing here writes anywhere.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from nepnb.exceptions import NeptuneDataError

DATA_DIRECTORY_ENV = "NEPTUNE_DATA_DIRECTORY"
DEFAULT_DATA_DIRECTORY = ".neptune"
MODES = ("async", "offline")
KINDS = ("run", "model", "model_version", "project")
UPLOAD_PATH = "upload_path"
NEPNB_QUEUE_FILE = "object.json"  # nepnb.client.queue.OBJECT_FILE: nepnb's own queue folders
_LOG_NAME = re.compile(r"^data-(\d+)\.log$")


@dataclass
class Record:
    """One logged operation: its version in the queue, when it was queued, and its body."""

    version: int
    at: float | None
    op: dict[str, Any]


@dataclass
class Execution:
    """One execution folder of a container: the operations one process logged.

    Its logs were read whole once (``read_execution``: a damaged one raised then); what is
    kept is what they hold in sum, and ``records()`` reads them again, one log at a time,
    so a large folder is never in memory at once.
    """

    folder: Path
    logs: list[Path]
    acknowledged: int  # last_ack_version: sent to Neptune's server already (async only)
    put: int  # last_put_version: the last version the process queued
    metadata: dict[str, Any] = field(default_factory=dict)
    versions: list[int] = field(default_factory=list)  # of every record, in order
    first_at: float = 0.0  # when the first record was queued
    partial_tail: bool = False  # the last record was cut short (a killed process)
    custom_run_id: str | None = None  # the last one an AssignString to sys/custom_run_id set

    @property
    def pid(self) -> int | None:
        parts = self.folder.name.split("__")
        return int(parts[2]) if len(parts) >= 4 and parts[2].isdigit() else None

    @cached_property
    def upload_path(self) -> Path:
        return self.folder / UPLOAD_PATH

    @property
    def last_version(self) -> int:
        return self.versions[-1] if self.versions else self.acknowledged

    def records(self) -> Iterator[Record]:
        """Every record of the logs, in order (the cut-short last one left out)."""
        for index, log in enumerate(self.logs):
            yield from LogReader(log, last=index == len(self.logs) - 1)


@dataclass
class Container:
    """A Neptune run, model, model version or project, with all its execution folders."""

    mode: str
    kind: str
    container_id: str
    layout: int
    folder: Path
    executions: list[Execution]

    @property
    def created_at(self) -> str | None:
        for execution in self.executions:
            if execution.metadata.get("createdAt"):
                return str(execution.metadata["createdAt"])
        return None

    def _floor(self, execution: Execution) -> int:
        return execution.acknowledged if self.mode == "async" else 0

    def new_records(self) -> Iterator[tuple[Execution, Record]]:
        """The records still to be imported, with the execution each is from: all of an
        offline container's, only the unacknowledged ones of an async container (the others
        reached Neptune's server)."""
        for execution in self.executions:
            floor = self._floor(execution)
            if any(v > floor for v in execution.versions):
                yield from ((execution, r) for r in execution.records() if r.version > floor)

    def acknowledged_records(self) -> Iterator[Record]:
        """The records of an async container Neptune's server acknowledged that are still in
        its logs (Neptune deletes a log only once all of it is acknowledged)."""
        for execution in self.executions:
            floor = self._floor(execution)
            if any(v <= floor for v in execution.versions):
                yield from (r for r in execution.records() if r.version <= floor)

    def new_count(self) -> int:
        """How many records ``new_records`` yields."""
        return sum(sum(1 for v in e.versions if v > self._floor(e)) for e in self.executions)

    @property
    def custom_run_id(self) -> str | None:
        found = [e.custom_run_id for e in self.executions if e.custom_run_id]
        return found[-1] if found else None

    def writer_alive(self) -> int | None:
        """The pid of a Neptune process on this machine still writing this container."""
        for execution in self.executions:
            pid = execution.pid
            if pid is not None and _holds_open(pid, execution.folder):
                return pid
        return None

    def acknowledged_count(self) -> int:
        """How many operations of an async container Neptune's server acknowledged."""
        return sum(e.acknowledged for e in self.executions) if self.mode == "async" else 0


def locate(path: Path | None) -> Path:
    """The Neptune data folder at ``path``: the folder itself, or the ``.neptune`` in it.

    Without a path: ``$NEPTUNE_DATA_DIRECTORY``, else ``./.neptune``.
    """
    if path is None:
        path = Path(os.environ.get(DATA_DIRECTORY_ENV) or DEFAULT_DATA_DIRECTORY)
    path = path.expanduser()
    if not path.exists():
        raise NeptuneDataError(f"{path} does not exist; pass the folder that holds .neptune")
    for candidate in (path, path / DEFAULT_DATA_DIRECTORY):
        if any((candidate / mode).is_dir() for mode in MODES):
            return candidate.resolve()
    raise NeptuneDataError(
        f"no Neptune client data in {path}: expected a .neptune folder (or one with async/ "
        "or offline/ in it), as the Neptune client 1.x writes in the folder a script ran from "
        f"(or in ${DATA_DIRECTORY_ENV})"
    )


def _parse_name(mode: str, name: str) -> tuple[str, str, int]:
    """(kind, container id, layout) from a container folder's name, as Neptune parses it."""
    parts = name.split("__")
    if len(parts) == 1:
        return "run", name, 1 if mode == "async" else 3
    if len(parts) == 2:
        return parts[0], parts[1], 2 if mode == "async" else 3
    if len(parts) in (4, 5):
        return parts[0], parts[1], 3
    raise NeptuneDataError(f"{name}: not a Neptune container folder name")


def scan(data_dir: Path) -> tuple[list[Container], list[tuple[Path, str]]]:
    """Every container under ``data_dir``, and the folders that could not be read (with why).

    A container split over several folders (one per process, or per execution) is one
    Container whose executions are in the order they were written.
    """
    found: dict[tuple[str, str, str], Container] = {}
    broken: list[tuple[Path, str]] = []
    for mode in MODES:
        base = data_dir / mode
        if not base.is_dir():
            continue
        for folder in sorted(p for p in base.iterdir() if p.is_dir()):
            try:
                if (folder / NEPNB_QUEUE_FILE).is_file():
                    raise NeptuneDataError(
                        "this is nepnb's own queue, not Neptune's; upload it with `nepnb sync`"
                    )
                kind, container_id, layout = _parse_name(mode, folder.name)
                if layout == 3:
                    folders = [folder]
                else:
                    folders = sorted(p for p in folder.iterdir() if p.is_dir())
                executions = [read_execution(f) for f in folders]
                if layout == 1:
                    kind = _legacy_kind(folders) or kind
                meta_kind = next(
                    (
                        e.metadata["containerType"]
                        for e in executions
                        if e.metadata.get("containerType")
                    ),
                    kind,
                )
                kind = str(meta_kind)
                if kind not in KINDS:
                    raise NeptuneDataError(f"unknown container type {kind!r}")
            except NeptuneDataError as error:
                broken.append((folder, str(error)))
                continue
            key = (mode, kind, container_id)
            if key in found:
                found[key].executions.extend(executions)
            else:
                found[key] = Container(mode, kind, container_id, layout, folder, executions)
    for container in found.values():
        container.executions.sort(key=_written_at)
    return list(found.values()), broken


def _written_at(execution: Execution) -> tuple[str, float]:
    return str(execution.metadata.get("createdAt", "")), execution.first_at


def _legacy_kind(folders: list[Path]) -> str | None:
    for folder in folders:
        marker = folder / "container_type"
        if marker.is_file():
            return marker.read_text().strip() or None
    return None


def read_execution(folder: Path) -> Execution:
    """The records, markers and metadata of one execution folder.

    A last record cut short by a killed process is left out (``partial_tail``); anything
    else that is not a record raises NeptuneDataError naming the file and line.
    """
    metadata: dict[str, Any] = {}
    meta_file = folder / "metadata.json"
    if meta_file.is_file():
        try:
            metadata = json.loads(meta_file.read_text())
        except ValueError as error:
            raise NeptuneDataError(f"{meta_file} is not valid JSON ({error})") from None
    logs = sorted(
        ((int(m.group(1)), p) for p in folder.iterdir() if (m := _LOG_NAME.match(p.name))),
    )
    execution = Execution(
        folder,
        [log for _, log in logs],
        acknowledged=_marker(folder / "last_ack_version"),
        put=_marker(folder / "last_put_version"),
        metadata=metadata,
    )
    for index, (_, log) in enumerate(logs):
        reader = LogReader(log, last=index == len(logs) - 1)
        for record in reader:
            if not execution.versions:
                execution.first_at = record.at or 0.0
            execution.versions.append(record.version)
            op = record.op
            if op["type"] == "AssignString" and op.get("path") == ["sys", "custom_run_id"]:
                execution.custom_run_id = str(op.get("value") or "") or None
        execution.partial_tail = execution.partial_tail or reader.partial
    return execution


class LogReader:
    """The records of one ``data-N.log``, parsed a group of lines at a time.

    After iterating, ``partial`` says whether the last record was cut short, which is
    tolerated in the ``last`` log of a folder only (a process killed while writing it);
    anything else that is not a record raises NeptuneDataError naming the file and line.
    """

    GROUP = 10_000  # lines per JSON parse: one parse per group is much faster than per line

    def __init__(self, path: Path, last: bool) -> None:
        self.path = path
        self.last = last
        self.partial = False

    def __iter__(self) -> Iterator[Record]:
        group: list[tuple[int, str]] = []
        with self.path.open(encoding="utf-8", errors="replace") as file:
            for number, line in enumerate(file, 1):
                if line.strip():
                    group.append((number, line))
                if len(group) > self.GROUP:  # the file's last line stays for the final parse
                    yield from self._parse(group[:-1], final=False)
                    group = group[-1:]
        yield from self._parse(group, final=True)

    def _parse(self, group: list[tuple[int, str]], final: bool) -> list[Record]:
        try:
            raws = json.loads("[" + ",".join(line for _, line in group) + "]")
            return [_record(raw) for raw in raws]
        except (ValueError, KeyError, TypeError):
            pass  # find the line at fault
        records: list[Record] = []
        for position, (number, line) in enumerate(group):
            try:
                records.append(_record(json.loads(line)))
            except (ValueError, KeyError, TypeError) as error:
                if final and self.last and position == len(group) - 1:
                    self.partial = True
                    break
                raise NeptuneDataError(
                    f"{self.path}, line {number}: not a Neptune operation record ({error}); "
                    "the log is damaged, so this container was not imported (move the file "
                    "away to import the others, or fix the line)"
                ) from None
        return records


def _record(raw: Any) -> Record:
    op = raw["obj"]
    if not isinstance(op, dict) or not isinstance(op.get("type"), str):
        raise ValueError("no operation type")
    return Record(int(raw["version"]), raw.get("at"), op)


def _holds_open(pid: int, folder: Path) -> bool:
    """Whether process ``pid`` has a file of ``folder`` open (Neptune's client keeps its log
    and version markers open while it writes)."""
    if pid == os.getpid():
        return False
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:  # no such process (or not ours to look at)
        return False
    prefix = f"{folder.resolve()}{os.sep}"
    return any(link.startswith(prefix) for link in links)


def _marker(path: Path) -> int:
    try:
        text = path.read_text().strip()
    except OSError:
        return 0
    try:
        return int(text) if text else 0
    except ValueError:
        raise NeptuneDataError(f"{path}: expected a version number, found {text[:40]!r}") from None
