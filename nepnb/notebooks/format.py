"""Reading notebooks: parse, check, upgrade and normalize, with clear errors for bad files.

Notebooks are handled as plain dicts in the in-memory form of nbformat (multi-line strings
joined), whether they come from a file, from a Jupyter contents manager or from a browser.
Outputs are kept as they are, even when broken: a checkpoint stores what the user had.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from nepnb.exceptions import NotebookError

#: The format nepnb stores; older notebooks are upgraded to it.
NBFORMAT = 4
CELL_TYPES = ("code", "markdown", "raw")
#: Notebook metadata that nbformat drops when it saves a file (see nbformat.strip_transient).
TRANSIENT_NOTEBOOK_METADATA = frozenset({"signature", "orig_nbformat", "orig_nbformat_minor"})


def read_notebook(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read, check and normalize the notebook file at ``path``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotebookError(f"no notebook at {path}: the file does not exist") from None
    except IsADirectoryError:
        raise NotebookError(f"{path} is a folder, not a notebook file") from None
    except OSError as error:
        raise NotebookError(f"cannot read {path}: {error.strerror}") from None
    return parse_notebook(data, str(path))


def parse_notebook(data: str | bytes, source: str = "the notebook") -> dict[str, Any]:
    """A notebook dict from its JSON text; NotebookError saying what is wrong otherwise."""
    try:
        notebook = json.loads(data)
    except UnicodeDecodeError:
        raise NotebookError(f"{source} is not a notebook: it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"{source} is not a notebook: invalid JSON at line {error.lineno}, column "
            f"{error.colno} ({error.msg})"
        ) from None
    except RecursionError:
        raise NotebookError(_too_deep(source)) from None
    try:
        return normalize_notebook(notebook, source)
    except RecursionError:
        raise NotebookError(_too_deep(source)) from None


def _too_deep(source: str) -> str:
    return f"{source} is not a notebook nepnb can store: its JSON is nested too deeply"


def normalize_notebook(notebook: Any, source: str = "the notebook") -> dict[str, Any]:
    """Check the structure, upgrade to nbformat 4 and join multi-line strings (a new dict)."""
    if not isinstance(notebook, dict):
        raise NotebookError(f"{source} is not a notebook: its JSON is not an object")
    version = notebook.get("nbformat")
    if not isinstance(version, int):
        raise NotebookError(f"{source} is not a notebook: it has no 'nbformat' version")
    if version > NBFORMAT:
        raise NotebookError(
            f"{source} uses nbformat {version}, newer than nepnb knows ({NBFORMAT}); upgrade nepnb"
        )
    if version < NBFORMAT:
        notebook = _upgrade(notebook, source)
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"{source} is not a notebook: it has no list of 'cells'")
    normalized_cells = [_normalize_cell(cell, i, source) for i, cell in enumerate(cells)]
    metadata = notebook.get("metadata", {})
    if not isinstance(metadata, dict):
        raise NotebookError(f"{source}: the notebook 'metadata' is not an object")
    metadata = {k: v for k, v in metadata.items() if k not in TRANSIENT_NOTEBOOK_METADATA}
    normalized = {**notebook, "nbformat": NBFORMAT, "metadata": metadata, "cells": normalized_cells}
    normalized.pop("nbformat_minor", None)
    if "nbformat_minor" in notebook:  # missing in some old files: it stays missing
        normalized["nbformat_minor"] = notebook["nbformat_minor"]
    return normalized


def _upgrade(notebook: dict[str, Any], source: str) -> dict[str, Any]:
    """An older format read by nbformat's own reader for it (which joins its line lists and
    knows its fields), then converted: never upgraded from the raw JSON."""
    import nbformat

    try:
        upgraded = nbformat.reads(json.dumps(notebook), as_version=NBFORMAT)
    except Exception as error:
        raise NotebookError(
            f"{source} uses nbformat {notebook.get('nbformat')} and could not be upgraded to "
            f"{NBFORMAT}: {error}"
        ) from None
    return json.loads(json.dumps(upgraded))


def _joined(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    return value


def _normalize_cell(cell: Any, index: int, source: str) -> dict[str, Any]:
    if not isinstance(cell, dict):
        raise NotebookError(f"{source}: cell {index} is not an object")
    cell_type = cell.get("cell_type")
    if not isinstance(cell_type, str) or not cell_type:
        raise NotebookError(
            f"{source}: cell {index} has cell_type {cell_type!r}; expected one of "
            f"{', '.join(CELL_TYPES)}"
        )
    # Another type (a newer minor format's, an old "heading"): nbformat reads it, so it is
    # kept as it is.
    # A field the cell lacks stays missing (an invalid notebook nbformat still reads): what
    # comes back from a checkpoint is what was there.
    normalized = dict(cell)
    if "source" in cell:
        text = _joined(cell["source"])
        if not isinstance(text, str):
            raise NotebookError(f"{source}: cell {index} has a source that is not text")
        normalized["source"] = text
    metadata = cell.get("metadata")
    if isinstance(metadata, dict) and "trusted" in metadata:
        # Jupyter marks cells trusted while a notebook is open; nbformat never saves it.
        normalized["metadata"] = {k: v for k, v in metadata.items() if k != "trusted"}
    outputs = cell.get("outputs")
    if isinstance(outputs, list):
        normalized["outputs"] = [_normalize_output(o) for o in outputs]
    return normalized


def _normalize_output(output: Any) -> Any:
    if not isinstance(output, dict):
        return output  # a broken output is kept as it is
    normalized = dict(output)
    if "text" in normalized:
        normalized["text"] = _joined(normalized["text"])
    data = normalized.get("data")
    if isinstance(data, dict):
        normalized["data"] = {
            mime: value if mime.endswith("json") else _joined(value) for mime, value in data.items()
        }
    return normalized


def notebook_json(notebook: dict[str, Any]) -> str:
    """The notebook as .ipynb text (nbformat's layout: multi-line strings split into lines).

    A notebook nbformat cannot write (a broken output) is written as plain JSON, as it is.
    """
    import nbformat

    try:
        return nbformat.writes(nbformat.from_dict(notebook), version=NBFORMAT)
    except Exception:
        return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_new_file(path: Path, text: str) -> None:
    """Create ``path`` with ``text``; FileExistsError rather than overwrite anything."""
    with open(path, "x", encoding="utf-8") as out:
        out.write(text)


def replace_file(path: Path, text: str) -> None:
    """Replace ``path``'s content atomically (a temporary file renamed over it), keeping the
    file's mode and owner; NotebookError naming ``path`` when it cannot be written."""
    try:
        status = path.stat()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise NotebookError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, stat.S_IMODE(status.st_mode))
        if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            os.chown(tmp, status.st_uid, status.st_gid)
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise NotebookError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def id_write_refusal(*, version: Any, mode: int | None, writable: bool = True) -> str | None:
    """Why nepnb must not write its notebook id into a notebook file (None: it may): the file
    is read-only, or in an older format that writing would convert. ``version`` is the file's
    own ``nbformat``, ``mode`` its permission bits when known."""
    if version != NBFORMAT:
        return (
            f"it is in nbformat {version}, and writing the id would rewrite it as nbformat "
            f"{NBFORMAT}"
        )
    if not writable or (mode is not None and not mode & 0o222):
        return "it is read-only"
    return None


def id_refusal_of_file(path: Path) -> str | None:
    """``id_write_refusal`` for the notebook file at ``path``."""
    try:
        version = json.loads(path.read_bytes()).get("nbformat")
        mode = path.stat().st_mode
    except (OSError, ValueError, AttributeError):
        return None  # reading it again says what is wrong
    return id_write_refusal(version=version, mode=mode, writable=os.access(path, os.W_OK))


def write_notebook_id(path: Path, notebook_id: str, key: str) -> None:
    """Add ``metadata.<key>.notebook_id`` to the notebook file at ``path`` and change nothing
    else: its other JSON stays as it is (key order, lists of lines, unknown fields), in the
    file's own layout when it can be told, and the file keeps its mode and owner."""
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    layout = _layout_of(text, notebook)
    metadata = notebook.setdefault("metadata", {})
    own = metadata.get(key)
    keys_sorted = list(metadata) == sorted(metadata)
    metadata[key] = {**(own if isinstance(own, dict) else {}), "notebook_id": notebook_id}
    if keys_sorted:
        notebook["metadata"] = dict(sorted(metadata.items()))
    replace_file(path, _dumps(notebook, layout) + ("\n" if text.endswith("\n") else ""))


_Layout = tuple[str | None, bool, tuple[str, str] | None]
#: nbformat's own layout.
NBFORMAT_LAYOUT: _Layout = (" ", False, None)


def _dumps(value: Any, layout: _Layout) -> str:
    indent, ascii_only, separators = layout
    return json.dumps(value, indent=indent, ensure_ascii=ascii_only, separators=separators)


def _layout_of(text: str, value: Any) -> _Layout:
    """The json.dumps options that write ``value`` exactly as ``text`` (nbformat's if none)."""
    body = text[:-1] if text.endswith("\n") else text
    line = body.split("\n", 2)[1] if "\n" in body else ""
    indent = line[: len(line) - len(line.lstrip(" \t"))] or None
    candidates: list[_Layout] = [NBFORMAT_LAYOUT]
    for ascii_only in (False, True):
        if indent is not None:
            candidates.append((indent, ascii_only, None))
        else:
            candidates += [(None, ascii_only, None), (None, ascii_only, (",", ":"))]
    for layout in candidates:
        if _dumps(value, layout) == body:
            return layout
    return NBFORMAT_LAYOUT


def free_path(wanted: Path) -> Path:
    """``wanted``, or ``name-1.ipynb``, ``name-2.ipynb`` … if it exists: never overwrite."""
    if not wanted.exists():
        return wanted
    for number in range(1, 10_000):
        candidate = wanted.with_name(f"{wanted.stem}-{number}{wanted.suffix}")
        if not candidate.exists():
            return candidate
    raise NotebookError(f"too many files named like {wanted}")
