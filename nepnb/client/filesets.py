"""Files picked by glob patterns: their names in a FileSet, and Artifact entries by hash.

Shared by the client (``upload_files``, ``track_files``) and the Neptune importer, so that a
file set or an artifact built from the same files gets the same names and hash either way.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nepnb.client.paths import join
from nepnb.store.blobs import file_digest


def expand_files(matched: Iterable[str], base: Path | None = None) -> list[tuple[str, Path]]:
    """(name in the set, file) for every file in ``matched``, folders walked recursively.

    Names are relative to ``base`` (default: the current folder) when every file is under
    it, else to the deepest folder the files share, so two files never get the same name.
    """
    files: list[Path] = []
    for item in matched:
        source = Path(item)
        if source.is_dir():
            files.extend(p.resolve() for p in sorted(source.rglob("*")) if p.is_file())
        else:
            files.append(source.resolve())
    files = list(dict.fromkeys(files))
    if not files:
        return []
    root = (base or Path.cwd()).resolve()
    if not all(f.is_relative_to(root) for f in files):
        root = Path(os.path.commonpath([f.parent for f in files]))
    return [(f.relative_to(root).as_posix(), f) for f in files]


def artifact_entries(
    matched: Iterable[str], destination: str | None = None
) -> list[dict[str, Any]]:
    """Artifact entries (path in the artifact, SHA-256, size, source) of the matched files.

    Named as the Neptune client names them: a file by its name, the files of a folder by
    their path inside it; under ``destination`` when given.
    """
    entries = []
    for item in matched:
        location = Path(item)
        if location.is_dir():
            named = [(p.relative_to(location).as_posix(), p) for p in sorted(location.rglob("*"))]
        else:
            named = [(location.name, location)]
        for name, source in named:
            if not source.is_file():
                continue
            digest, size = file_digest(source)
            entries.append(
                {
                    "file_path": join(destination or "", name),
                    "file_hash": digest,
                    "type": "Local",
                    "size": size,
                    "metadata": {"file_path": f"file://{source.resolve()}"},
                }
            )
    return entries


def merge_artifact(
    current: dict[str, Any] | None, entries: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    """The Artifact value of ``current`` with ``entries`` added (same path: replaced)."""
    by_path = {e["file_path"]: e for e in (current or {}).get("files", [])}
    by_path.update({e["file_path"]: e for e in entries})
    files = sorted(by_path.values(), key=lambda e: e["file_path"])
    combined = hashlib.sha256(
        "".join(f"{e['file_path']}:{e['file_hash']};" for e in files).encode()
    ).hexdigest()
    return {"hash": combined, "files": files}
