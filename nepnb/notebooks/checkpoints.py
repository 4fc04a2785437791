"""Checkpoints of notebooks in a store: upload, history, content, compare, restore.

This is the API the CLI, the Jupyter server extension and the kernel magic share; it knows
nothing of HTTP or terminals.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nepnb.exceptions import InvalidValue
from nepnb.notebooks.compare import (
    CompareOptions,
    NotebookDiff,
    Side,
    compare_notebooks,
    side_of_manifest,
    side_of_notebook,
)
from nepnb.notebooks.format import normalize_notebook
from nepnb.notebooks.identity import (
    METADATA_KEY,
    FileCheck,
    Identity,
    identify,
    notebook_at,
    notebook_id_of,
    other_file_holds_id,
    with_notebook_id,
)
from nepnb.notebooks.snapshot import rebuild, take_snapshot
from nepnb.store.base import CheckpointInfo, NotebookInfo, Store

#: Longest summary line of a checkpoint message, and longest body.
MAX_SUMMARY = 512
MAX_BODY = 65_536

__all__ = [
    "Checkpoints",
    "FileCheck",
    "Identity",
    "Upload",
    "default_author",
    "notebook_id_of",
    "other_file_holds_id",
    "restored_name",
    "split_message",
    "with_notebook_id",
]


def default_author(home: Path | None = None) -> str:
    """The name checkpoints are signed with (:func:`nepnb.identity.author`): the one set in
    nepnb's settings, else git's user.name, else the login name."""
    from nepnb.identity import author

    return author(home)


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

    def identify(self, notebook: dict[str, Any], *, path: str, **options: Any) -> Identity:
        """The history the notebook file at ``path`` belongs to: :func:`identify` of
        nepnb.notebooks.identity (``options``: also_at, file_check, new_id, same_history,
        on_copy). Callers that may write the file save ``Identity.notebook`` when
        ``assigned``, then upload it with ``identity=``."""
        return identify(
            self.store, self.project, normalize_notebook(notebook, path), path=path, **options
        )

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
        identity: Identity | None = None,
    ) -> Upload:
        """Store a checkpoint of ``notebook`` (found at ``path``), in the history
        :meth:`identify` gives it (or ``identity``, found before the id was saved).

        If its id belongs to another notebook file that still exists (``file_check`` says so),
        it is a copy: NotebookIdentityConflict, unless ``new_id`` (start its own history) or
        ``same_history`` (it was moved) is given.
        """
        summary, full_body = split_message(message, body)
        if identity is None:
            identity = self.identify(
                notebook,
                path=path,
                file_check=file_check,
                new_id=new_id,
                same_history=same_history,
            )
        notebook, notebook_id = identity.notebook, identity.notebook_id
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
        return Upload(checkpoint, notebook_id, identity.assigned, notebook, new_parts)

    def history(self, notebook: dict[str, Any] | str) -> list[CheckpointInfo]:
        """Checkpoints of a notebook (given as its dict or its id), newest first."""
        notebook_id = notebook if isinstance(notebook, str) else notebook_id_of(notebook)
        if notebook_id is None:
            return []
        return self.store.list_checkpoints(self.project, notebook_id)

    def history_id(self, notebook: dict[str, Any], path: str, *also_at: str) -> str | None:
        """The id of the history the file at ``path`` is in: its own id, else (written without
        it, see nepnb.notebooks.identity) the history kept at its path; None if it has none."""
        found = notebook_id_of(notebook)
        if found is not None:
            return found
        here = self.notebook_at(path, *also_at)
        return here.notebook_id if here is not None else None

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

    def notebook_at(self, path: str, *also_at: str) -> NotebookInfo | None:
        """The notebook last checkpointed at ``path`` (to find the history of a deleted file)."""
        return notebook_at(self.store, self.project, (path, *also_at))

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
