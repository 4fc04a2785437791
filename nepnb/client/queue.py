"""The disk queue of an object: batches waiting to reach the store.

One folder per object and process: ``object.json`` says which object (project, kind, ids)
and ``batches/`` holds one file per batch, named in order. A batch file is written to a
temporary name and renamed, so a killed process leaves whole batches or nothing.
``nepnb sync`` ships what a dead process left behind.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

from nepnb.store.operations import Batch

OBJECT_FILE = "object.json"
BATCHES = "batches"
BLOBS = "blobs"


class OperationQueue:
    """The queue folder ``folder`` (created if missing)."""

    def __init__(self, folder: Path, meta: dict[str, Any] | None = None) -> None:
        self.folder = Path(folder)
        (self.folder / BATCHES).mkdir(parents=True, exist_ok=True)
        self._next = self._last_number() + 1
        if meta is not None:
            self.write_meta(meta)

    # object description ---------------------------------------------------------------
    def read_meta(self) -> dict[str, Any]:
        return json.loads((self.folder / OBJECT_FILE).read_text())

    def write_meta(self, meta: dict[str, Any]) -> None:
        _write_atomically(self.folder / OBJECT_FILE, json.dumps(meta, indent=1).encode())

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        meta = {**self.read_meta(), **changes}
        self.write_meta(meta)
        return meta

    # batches --------------------------------------------------------------------------
    def push(self, batch: Batch) -> Path:
        """Write ``batch`` as the newest file of the queue."""
        path = self.folder / BATCHES / f"{self._next:012d}.batch"
        _write_atomically(path, pickle.dumps(batch, protocol=5))
        self._next += 1
        return path

    def pending(self) -> list[Path]:
        """Batch files not shipped yet, oldest first."""
        return sorted((self.folder / BATCHES).glob("*.batch"))

    @staticmethod
    def load(path: Path) -> Batch:
        with open(path, "rb") as handle:
            batch = pickle.load(handle)
        if not isinstance(batch, Batch):
            raise ValueError(f"{path} does not hold a batch")
        return batch

    @staticmethod
    def remove(path: Path) -> None:
        path.unlink(missing_ok=True)

    def blob_folder(self) -> Path:
        folder = self.folder / BLOBS
        folder.mkdir(exist_ok=True)
        return folder

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())

    def _last_number(self) -> int:
        numbers = [int(p.stem) for p in (self.folder / BATCHES).glob("*.batch") if p.stem.isdigit()]
        return max(numbers, default=0)


def new_queue_folder(data_dir: Path, mode: str, sys_id: str | None, kind: str) -> Path:
    """A fresh folder name for one object's queue in ``data_dir/mode``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    label = sys_id or kind
    return Path(data_dir) / mode / f"{label}__{stamp}__{os.getpid()}__{os.urandom(3).hex()}"


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
