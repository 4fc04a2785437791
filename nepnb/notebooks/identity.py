"""Which history a notebook file belongs to: the one rule the CLI, the Jupyter server
extension and the kernel share.

A notebook carries a stable id in ``metadata.nepnb.notebook_id``. Tools that write the file
without it (``git checkout``, ``pull`` or ``merge`` of a version committed before the first
checkpoint, nbstripout, a kernel that may not write into the file) must not split its history,
and a copy of another notebook must not be taken for it. For a file at ``path``
(:func:`identify`):

1. ``new_id`` asked: a new history.
2. The file has no id: the history last checkpointed at this path goes on (the file got
   there by a tool, not by a copy: a copy carries its original's id); none yet: a new one.
3. The file's id is unknown to the store, or its history was last checkpointed at this path:
   that history.
4. Its history was last checkpointed at another path:

   - the other file no longer holds the id: the notebook was moved or renamed, its history
     goes on here (even over a history this path had: the file *is* that other notebook);
   - the other file still holds it: this file is a copy, another notebook. ``same_history``
     says it is the same notebook anyway. Otherwise ``on_copy`` says what happens: ``"ask"``
     (the CLI, the server extension: NotebookIdentityConflict, the user chooses) or
     ``"own"`` (the kernel, which can neither ask nor write the id into the file: the copy's
     own history, the one kept at this path, or a new one).

Where the same file is known under several spellings (the CLI and the kernel record absolute
paths, the server extension paths relative to its root), ``also_at`` gives the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nepnb.exceptions import NotebookError, NotebookIdentityConflict
from nepnb.store.base import NotebookInfo, Store

METADATA_KEY = "nepnb"

#: Tells whether a notebook with this id still lives at that path: (path, notebook_id) -> bool.
FileCheck = Callable[[str, str], bool]

#: Why a file got the history it got (``Identity.reason``).
Reason = Literal["new", "own", "path", "moved", "copy_own", "copy_same"]


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


def other_file_holds_id(current: Path) -> FileCheck:
    """A FileCheck: whether another file (not ``current`` itself, however it is written)
    still holds the notebook id."""
    from nepnb.notebooks.format import read_notebook

    def check(other: str, notebook_id: str) -> bool:
        other_path = Path(other).expanduser()
        if other_path.resolve() == current or not other_path.is_file():
            return False
        try:
            return notebook_id_of(read_notebook(other_path)) == notebook_id
        except NotebookError:
            return False

    return check


@dataclass(frozen=True)
class Identity:
    """The history a notebook file belongs to, and the notebook carrying its id."""

    notebook_id: str
    notebook: dict[str, Any]
    #: The file does not carry this id yet: save ``notebook`` (where the caller may).
    assigned: bool
    reason: Reason


def notebook_at(store: Store, project: str, paths: Iterable[str]) -> NotebookInfo | None:
    """The notebook last checkpointed at any of ``paths`` (the most recently updated one)."""
    wanted = set(paths)
    return next((n for n in store.list_notebooks(project) if n.path in wanted), None)


def identify(
    store: Store,
    project: str,
    notebook: dict[str, Any],
    *,
    path: str,
    also_at: Iterable[str] = (),
    file_check: FileCheck | None = None,
    new_id: bool = False,
    same_history: bool = False,
    on_copy: Literal["ask", "own"] = "ask",
) -> Identity:
    """The history the notebook file at ``path`` belongs to (the rule in the module's doc).

    NotebookIdentityConflict for a copy of another notebook when ``on_copy`` is "ask"."""
    paths = [path, *(p for p in also_at if p and p != path)]

    def fresh(reason: Reason) -> Identity:
        notebook_id = uuid.uuid4().hex
        return Identity(notebook_id, with_notebook_id(notebook, notebook_id), True, reason)

    def joined(known: NotebookInfo, reason: Reason) -> Identity:
        return Identity(
            known.notebook_id, with_notebook_id(notebook, known.notebook_id), True, reason
        )

    if new_id:
        return fresh("new")
    notebook_id = notebook_id_of(notebook)
    if notebook_id is None:
        here = notebook_at(store, project, paths)
        return joined(here, "path") if here is not None else fresh("new")
    known = store.get_notebook(project, notebook_id)
    if known is None or known.path in paths:
        return Identity(notebook_id, notebook, False, "own")
    if same_history:
        return Identity(notebook_id, notebook, False, "copy_same")
    if file_check is None or not file_check(known.path, notebook_id):
        return Identity(notebook_id, notebook, False, "moved")
    if on_copy == "ask":
        raise NotebookIdentityConflict(
            f"{path} has the notebook id of {known.path}, which still exists: it looks like a "
            "copy. Give it its own history (new_id / --new-id), or say it is the same notebook "
            "moved (same_history / --same-history).",
            notebook_id=notebook_id,
            other_path=known.path,
        )
    here = notebook_at(store, project, paths)
    if here is not None and here.notebook_id != notebook_id:
        return joined(here, "copy_own")
    return fresh("copy_own")
