"""Checkpoints of notebooks in a store: upload, history, content, compare, restore.

This is the API the CLI, the Jupyter server extension and the kernel magic share; it knows
nothing of HTTP or terminals.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nepnb.exceptions import InvalidValue, NotebookError, NotebookIdentityConflict
from nepnb.notebooks.compare import (
    CompareOptions,
    NotebookDiff,
    Side,
    compare_notebooks,
    side_of_manifest,
    side_of_notebook,
)
from nepnb.notebooks.format import normalize_notebook, read_notebook
from nepnb.notebooks.snapshot import rebuild, take_snapshot
from nepnb.store.base import CheckpointInfo, NotebookInfo, Store

#: Longest summary line of a checkpoint message, and longest body.
MAX_SUMMARY = 512
MAX_BODY = 65_536
METADATA_KEY = "nepnb"

#: Tells whether a notebook with this id still lives at that path: (path, notebook_id) -> bool.
FileCheck = Callable[[str, str], bool]


def notebook_id_of(notebook: dict[str, Any]) -> str | None:
    """The stable id nepnb stored in the notebook's metadata, if any."""
    value = notebook.get("metadata", {}).get(METADATA_KEY, {})
    found = value.get("notebook_id") if isinstance(value, dict) else None
    return found if isinstance(found, str) and found else None


def with_notebook_id(notebook: dict[str, Any], notebook_id: str) -> dict[str, Any]:
    """A copy of ``notebook`` carrying ``notebook_id`` in ``metadata.nepnb.notebook_id``."""
    updated = dict(notebook)
    metadata = dict(notebook.get("metadata", {}))
    own = metadata.get(METADATA_KEY)
    metadata[METADATA_KEY] = {**(own if isinstance(own, dict) else {}), "notebook_id": notebook_id}
    updated["metadata"] = metadata
    return updated


def ensure_notebook_id(notebook: dict[str, Any], new: bool = False) -> tuple[dict[str, Any], bool]:
    """The notebook with a nepnb id (a new one when it has none, or when ``new``), and whether
    it was given one now. Callers save the notebook with its id *before* uploading, so that a
    failed save leaves nothing stored under an id the file does not have."""
    if notebook_id_of(notebook) is not None and not new:
        return notebook, False
    return with_notebook_id(notebook, uuid.uuid4().hex), True


def default_author(home: Path | None = None) -> str:
    """The name checkpoints are signed with (:func:`nepnb.identity.author`): the one set in
    nepnb's settings, else git's user.name, else the login name."""
    from nepnb.identity import author

    return author(home)


def other_file_holds_id(current: Path) -> FileCheck:
    """A FileCheck: whether another file (not ``current`` itself, however it is written)
    still holds the notebook id."""

    def check(other: str, notebook_id: str) -> bool:
        other_path = Path(other).expanduser()
        if other_path.resolve() == current or not other_path.is_file():
            return False
        try:
            return notebook_id_of(read_notebook(other_path)) == notebook_id
        except NotebookError:
            return False

    return check


def split_message(message: str, body: str | None = None) -> tuple[str, str]:
    """(summary, body) from a Git-style message; InvalidValue when it breaks the limits."""
    if not isinstance(message, str):
        raise InvalidValue("the checkpoint message must be text")
    if body is not None and not isinstance(body, str):
        raise InvalidValue(f"the checkpoint body must be text, not {type(body).__name__}")
    text = message.replace("\r\n", "\n").strip("\n")
    summary, _, rest = text.partition("\n")
    summary = summary.strip()
    full_body = "\n".join(part for part in (rest.strip("\n"), (body or "").strip("\n")) if part)
    if not summary:
        raise InvalidValue(
            "the checkpoint message is empty: write a summary line, e.g. -m 'Try dropout 0.3'"
        )
    if len(summary) > MAX_SUMMARY:
        raise InvalidValue(
            f"the summary line has {len(summary)} characters; at most {MAX_SUMMARY} are allowed "
            "(put the details in the body, after a blank line)"
        )
    if len(full_body) > MAX_BODY:
        raise InvalidValue(
            f"the message body has {len(full_body)} characters; at most {MAX_BODY} are allowed"
        )
    return summary, full_body


@dataclass(frozen=True)
class Upload:
    """What ``upload`` did: the checkpoint, and the notebook as it should now be saved."""

    checkpoint: CheckpointInfo
    notebook_id: str
    id_assigned: bool  # the notebook had no id (or asked for a new one): save ``notebook``
    notebook: dict[str, Any]
    new_parts: int


class Checkpoints:
    """The checkpoints of ``project`` in ``store``."""

    def __init__(self, store: Store, project: str) -> None:
        self.store = store
        self.project = project

    def upload(
        self,
        notebook: dict[str, Any],
        *,
        path: str,
        message: str,
        body: str | None = None,
        author: str,
        runs: Iterable[str] = (),
        file_check: FileCheck | None = None,
        new_id: bool = False,
        same_history: bool = False,
    ) -> Upload:
        """Store a checkpoint of ``notebook`` (found at ``path``).

        A notebook without an id gets one. If its id belongs to another notebook file that
        still exists (``file_check`` says so), it is a copy: NotebookIdentityConflict, unless
        ``new_id`` (start its own history) or ``same_history`` (it was moved) is given.
        """
        summary, full_body = split_message(message, body)
        notebook = normalize_notebook(notebook, path)
        notebook_id = notebook_id_of(notebook)
        assigned = False
        if notebook_id is None and not new_id:
            # No id (a kernel cannot write one into a file the user has open, and tools
            # such as nbstripout remove it): the notebook last checkpointed here goes on.
            known = self.notebook_at(path) if path else None
            if known is not None:
                notebook_id, assigned = known.notebook_id, True
                notebook = with_notebook_id(notebook, notebook_id)
        if notebook_id is None or new_id:
            notebook_id, assigned = uuid.uuid4().hex, True
            notebook = with_notebook_id(notebook, notebook_id)
        elif not same_history:
            known = self.store.get_notebook(self.project, notebook_id)
            if (
                known is not None
                and known.path != path
                and file_check is not None
                and file_check(known.path, notebook_id)
            ):
                raise NotebookIdentityConflict(
                    f"{path} has the notebook id of {known.path}, which still exists: it "
                    "looks like a copy. Give it its own history (new_id / --new-id), or say "
                    "it is the same notebook moved (same_history / --same-history).",
                    notebook_id=notebook_id,
                    other_path=known.path,
                )
        snapshot = take_snapshot(notebook)
        new_parts = self.store.put_parts(snapshot.parts, project=self.project)
        stats = {
            "cells": len(snapshot.cells),
            "size": snapshot.size,
            "new_parts": new_parts,
        }
        checkpoint = self.store.add_checkpoint(
            self.project,
            notebook_id,
            path=path,
            summary=summary,
            body=full_body,
            author=author,
            manifest=snapshot.manifest,
            runs=runs,
            stats=stats,
        )
        return Upload(checkpoint, notebook_id, assigned, notebook, new_parts)

    def history(self, notebook: dict[str, Any] | str) -> list[CheckpointInfo]:
        """Checkpoints of a notebook (given as its dict or its id), newest first."""
        notebook_id = notebook if isinstance(notebook, str) else notebook_id_of(notebook)
        if notebook_id is None:
            return []
        return self.store.list_checkpoints(self.project, notebook_id)

    def get(self, checkpoint_id: str) -> CheckpointInfo:
        return self.store.get_checkpoint(self.project, checkpoint_id)

    def content(self, checkpoint: CheckpointInfo | str) -> dict[str, Any]:
        """The notebook stored in a checkpoint."""
        info = checkpoint if isinstance(checkpoint, CheckpointInfo) else self.get(checkpoint)
        return rebuild(info.manifest, self._get_parts)

    def compare(
        self,
        a: CheckpointInfo | str | dict[str, Any],
        b: CheckpointInfo | str | dict[str, Any],
        options: CompareOptions | None = None,
    ) -> NotebookDiff:
        """Compare two checkpoints (ids or infos), or a checkpoint and a notebook dict."""
        return compare_notebooks(self._side(a, "a"), self._side(b, "b"), options)

    def _side(self, version: CheckpointInfo | str | dict[str, Any], name: str) -> Side:
        if isinstance(version, dict):
            return side_of_notebook(normalize_notebook(version), "current notebook")
        info = version if isinstance(version, CheckpointInfo) else self.get(version)
        label = f"checkpoint {info.id[:8]} ({info.summary})"
        return side_of_manifest(info.manifest, self._get_parts, label)

    def notebooks(self) -> list[NotebookInfo]:
        return self.store.list_notebooks(self.project)

    def _get_parts(self, digests: Iterable[str]) -> dict[str, bytes]:
        return self.store.get_parts(digests, project=self.project)

    def notebook_at(self, path: str) -> NotebookInfo | None:
        """The notebook last checkpointed at ``path`` (to find the history of a deleted file)."""
        return next((n for n in self.notebooks() if n.path == path), None)

    def restored_copy(self, checkpoint: CheckpointInfo | str) -> dict[str, Any]:
        """The checkpoint's notebook, marked as restored from it (for a new file)."""
        info = checkpoint if isinstance(checkpoint, CheckpointInfo) else self.get(checkpoint)
        notebook = self.content(info)
        # The restored file is a new notebook next to the original: its own id (so that its
        # first checkpoint is not taken for a copy), and where it came from.
        own = notebook["metadata"].get(METADATA_KEY)
        notebook["metadata"][METADATA_KEY] = {
            **(own if isinstance(own, dict) else {}),
            "notebook_id": uuid.uuid4().hex,
            "restored_from": info.id,
            "restored_from_notebook": info.notebook_id,
        }
        return notebook


def restored_name(original: str, checkpoint_id: str) -> str:
    """``analysis.ipynb`` → ``analysis.checkpoint-1a2b3c4d.ipynb`` (same folder)."""
    path = Path(original)
    suffix = path.suffix or ".ipynb"
    return str(path.with_name(f"{path.stem}.checkpoint-{checkpoint_id[:8]}{suffix}"))
