"""Compare two versions of a notebook: cells added, removed, moved and changed.

Cells whose source and outputs have the same digests on both sides are matched first, by a
longest-common-subsequence pass over the digests; they are never diffed again. Only the
stretches in between go to nbdime's diff engine, which pairs changed cells and diffs their
source lines. Outputs are compared by digest, text outputs line by line with bounded context,
and images visually (how many pixels changed, and a picture of where).

The result (:class:`NotebookDiff`) is plain data: ``to_json()`` for the UI, and
:mod:`nepnb.notebooks.render` for the terminal.
"""

from __future__ import annotations

import bisect
import difflib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nepnb.notebooks.snapshot import (
    Snapshot,
    canonical,
    digest_of,
    load_cells,
    load_entries,
    take_snapshot,
)

#: Cell metadata that records how the cell was shown or run, not what it is.
VOLATILE_METADATA = frozenset({"execution", "collapsed", "scrolled", "jupyter", "ExecuteTime"})
#: Notebook metadata nepnb writes itself (the notebook id), left out of comparisons.
NOTEBOOK_OWN_METADATA = frozenset({"nepnb"})
#: Longer sources are diffed with difflib: nbdime's line matching grows with the square.
NBDIME_MAX_LINES = 2_000
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
TEXT_TYPES = ("text/plain", "text/markdown", "text/latex", "application/json", "text/html")

GetParts = Callable[[Iterable[str]], dict[str, bytes]]


@dataclass
class CompareOptions:
    """How to compare: hide outputs, and how much unchanged context long diffs keep."""

    outputs: bool = True
    context: int = 3
    max_lines: int = 400  # lines of one output diff before the rest is summarized
    images: bool = True  # compare images visually (else only say they differ)
    # Also the sources of unchanged cells and the images of changed outputs (base64), so that
    # a viewer (the JupyterLab compare view) needs nothing but this diff.
    for_viewer: bool = False


# -- the two sides ------------------------------------------------------------------------


@dataclass
class Side:
    """One version of the notebook: its cell entries, and a way to fetch their parts."""

    label: str
    metadata: dict[str, Any]
    entries: list[dict[str, Any]]
    get_parts: GetParts

    def key(self, index: int) -> str:
        """What matches a cell to its unchanged self: type, source and output digests."""
        entry = self.entries[index]
        return digest_of(
            canonical(
                [
                    entry["cell_type"],
                    entry["source"],
                    entry.get("outputs"),
                    entry.get("attachments"),
                ]
            )
        )

    def cells(self, indices: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Full cells (source and outputs) for these indices."""
        wanted = list(indices)
        cells = load_cells([self.entries[i] for i in wanted], self.get_parts)
        return dict(zip(wanted, cells, strict=True))


def side_of_notebook(notebook: dict[str, Any], label: str) -> Side:
    """A side for a notebook in memory (normalized, see nepnb.notebooks.format)."""
    snapshot = take_snapshot(notebook)
    return _side_of_snapshot(snapshot, label)


def _side_of_snapshot(snapshot: Snapshot, label: str) -> Side:
    parts = snapshot.parts
    return side_of_manifest(snapshot.manifest, lambda ds: {d: parts[d] for d in ds}, label)


def side_of_manifest(manifest: str, get_parts: GetParts, label: str) -> Side:
    """A side for a stored checkpoint: only the manifest and cell entries are read now."""
    header, entries = load_entries(manifest, get_parts)
    return Side(label, header["metadata"], entries, get_parts)


# -- the result ---------------------------------------------------------------------------


@dataclass
class LineOp:
    """A run of lines: ``equal``, ``delete`` (only in a), ``insert`` (only in b), ``skip``
    (that many equal lines left out) or ``omitted`` (that many more lines, changed ones
    among them, cut to keep the diff short)."""

    op: str
    lines: list[str] = field(default_factory=list)
    count: int = 0

    def to_json(self) -> dict[str, Any]:
        if self.op in ("skip", "omitted"):
            return {"op": self.op, "count": self.count}
        return {"op": self.op, "lines": self.lines}


@dataclass
class OutputChange:
    status: str  # unchanged, added, removed, changed
    a_index: int | None
    b_index: int | None
    output_type: str
    kind: str  # text, image, error, other
    mime: str | None = None
    text_diff: list[LineOp] | None = None
    image: dict[str, Any] | None = None
    preview: list[str] | None = None
    note: str = ""
    image_data: dict[str, str] | None = None  # "a"/"b": base64 (CompareOptions.for_viewer)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "a_index": self.a_index,
            "b_index": self.b_index,
            "output_type": self.output_type,
            "kind": self.kind,
            "mime": self.mime,
        }
        if self.text_diff is not None:
            data["text_diff"] = [op.to_json() for op in self.text_diff]
        if self.image is not None:
            data["image"] = self.image
        if self.preview is not None:
            data["preview"] = self.preview
        if self.note:
            data["note"] = self.note
        if self.image_data is not None:
            data["image_data"] = self.image_data
        return data


@dataclass
class MetadataChange:
    key: str
    status: str  # added, removed, changed
    a: Any = None
    b: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "status": self.status, "a": self.a, "b": self.b}


@dataclass
class CellChange:
    """One cell of the comparison (unchanged cells too, so a UI can lay out both sides)."""

    status: str  # unchanged, added, removed, moved, changed
    a_index: int | None
    b_index: int | None
    cell_type: str
    cell_id: str | None = None
    source_a: str | None = None
    source_b: str | None = None
    source_diff: list[LineOp] | None = None
    outputs: list[OutputChange] = field(default_factory=list)
    metadata: list[MetadataChange] = field(default_factory=list)
    execution_count: tuple[Any, Any] | None = None
    moved: bool = False  # also set on a moved cell that changed (status "changed")
    attachments_changed: bool = False

    @property
    def changed_parts(self) -> list[str]:
        parts = []
        if self.source_diff:
            parts.append("source")
        if any(o.status != "unchanged" for o in self.outputs):
            parts.append("outputs")
        if self.metadata:
            parts.append("metadata")
        if self.attachments_changed:
            parts.append("attachments")
        if self.execution_count is not None:
            parts.append("execution count")
        return parts

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "a_index": self.a_index,
            "b_index": self.b_index,
            "cell_type": self.cell_type,
            "cell_id": self.cell_id,
            "moved": self.moved,
        }
        if self.status == "unchanged":
            if self.source_b is not None:
                data["source"] = self.source_b
            return data
        data.update(
            {
                "source_a": self.source_a,
                "source_b": self.source_b,
                "source_diff": None
                if self.source_diff is None
                else [op.to_json() for op in self.source_diff],
                "outputs": [o.to_json() for o in self.outputs],
                "metadata": [m.to_json() for m in self.metadata],
                "execution_count": list(self.execution_count) if self.execution_count else None,
                "changed_parts": self.changed_parts,
            }
        )
        return data


@dataclass
class NotebookDiff:
    a: str
    b: str
    cells: list[CellChange]
    metadata: list[MetadataChange]
    options: CompareOptions

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(("added", "removed", "moved", "changed", "unchanged"), 0)
        for cell in self.cells:
            counts[cell.status] += 1
            if cell.moved and cell.status == "changed":
                counts["moved"] += 1
        counts["metadata"] = len(self.metadata)
        return counts

    @property
    def identical(self) -> bool:
        """Whether the two versions are the same notebook: the same cells in the same order,
        each with the same type, source, attachments, metadata (but for how the cell was shown
        or timed: :data:`VOLATILE_METADATA`), outputs (images by their pixels) and execution
        count, and the same notebook metadata (but for nepnb's own id). Without outputs
        (``CompareOptions.outputs`` False) outputs and execution counts are left out. This is
        what the summary line counts and what ``nepnb checkpoint diff --exit-code`` tells."""
        summary = self.summary
        return summary["unchanged"] == len(self.cells) and not self.metadata

    def summary_line(self) -> str:
        s = self.summary
        if self.identical:
            return "no changes"
        parts = [
            f"{s[name]} {name}" for name in ("changed", "added", "removed", "moved") if s[name]
        ]
        if s["metadata"]:
            parts.append(f"{s['metadata']} notebook metadata change(s)")
        return ", ".join(parts) + f"; {s['unchanged']} unchanged"

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "summary": self.summary,
            "summary_line": self.summary_line(),
            "identical": self.identical,
            "outputs_compared": self.options.outputs,
            "metadata": [m.to_json() for m in self.metadata],
            "cells": [c.to_json() for c in self.cells],
        }


# -- comparing ----------------------------------------------------------------------------


def compare_notebooks(a: Side, b: Side, options: CompareOptions | None = None) -> NotebookDiff:
    """Compare side ``a`` (older) with side ``b`` (newer)."""
    options = options or CompareOptions()
    keys_a = [a.key(i) for i in range(len(a.entries))]
    keys_b = [b.key(i) for i in range(len(b.entries))]
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    plan: list[tuple[str, int | None, int | None]] = []  # (kind, a index, b index)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            plan.extend(("same", i, j) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            plan.extend(_align_region(a, b, i1, i2, j1, j2))
    plan = _find_moves(plan, keys_a, keys_b, a, b)

    needs_a = {i for kind, i, _ in plan if kind != "same" and i is not None}
    needs_b = {j for kind, _, j in plan if kind != "same" and j is not None}
    cells_a, cells_b = a.cells(needs_a), b.cells(needs_b)
    changes = [
        _cell_change(
            kind,
            i,
            j,
            a,
            b,
            None if i is None else cells_a.get(i),
            None if j is None else cells_b.get(j),
            options,
        )
        for kind, i, j in plan
    ]
    if options.for_viewer:
        _add_unchanged_sources(changes, b)
    metadata = _dict_changes(a.metadata, b.metadata, NOTEBOOK_OWN_METADATA)
    return NotebookDiff(a.label, b.label, changes, metadata, options)


def _add_unchanged_sources(changes: list[CellChange], b: Side) -> None:
    """Give unchanged cells their source (read in one round, sources only: no outputs)."""
    pending = [
        (change, b.entries[change.b_index]["source"])
        for change in changes
        if change.status == "unchanged" and change.b_index is not None
    ]
    parts = b.get_parts({digest for _, digest in pending}) if pending else {}
    for change, digest in pending:
        change.source_b = parts[digest].decode()


def _align_region(
    a: Side, b: Side, i1: int, i2: int, j1: int, j2: int
) -> list[tuple[str, int | None, int | None]]:
    """Pair the cells of a stretch that differs, with nbdime's cell matching."""
    if i1 == i2:
        return [("added", None, j) for j in range(j1, j2)]
    if j1 == j2:
        return [("removed", i, None) for i in range(i1, i2)]
    from nbdime.diffing.notebooks import diff_cells

    region_a = a.cells(range(i1, i2))
    region_b = b.cells(range(j1, j2))
    if i2 - i1 == 1 and j2 - j1 == 1:
        # One cell became one cell, the most common edit: nbdime's matching would only tell
        # whether they are alike enough to be one cell changed; so does this, much faster.
        if _alike(region_a[i1], region_b[j1]):
            return [("paired", i1, j1)]
        return [("removed", i1, None), ("added", None, j1)]
    cells_a = [_for_nbdime(region_a[i]) for i in range(i1, i2)]
    cells_b = [_for_nbdime(region_b[j]) for j in range(j1, j2)]
    plan: list[tuple[str, int | None, int | None]] = []
    try:
        ops = diff_cells(cells_a, cells_b)
    except Exception:  # nbdime fails on broken outputs (text that is not text …): pair in order
        ops = []
    ai = bi = 0
    for op in sorted(ops, key=_op_order):
        key = op["key"]
        while ai < key:  # cells nbdime left alone: same to it, so pair them
            plan.append(("paired", i1 + ai, j1 + bi))
            ai, bi = ai + 1, bi + 1
        if op["op"] == "addrange":
            for _ in op["valuelist"]:
                plan.append(("added", None, j1 + bi))
                bi += 1
        elif op["op"] == "removerange":
            for _ in range(op["length"]):
                plan.append(("removed", i1 + ai, None))
                ai += 1
        elif op["op"] == "patch":
            plan.append(("paired", i1 + ai, j1 + bi))
            ai, bi = ai + 1, bi + 1
    while ai < i2 - i1 and bi < j2 - j1:
        plan.append(("paired", i1 + ai, j1 + bi))
        ai, bi = ai + 1, bi + 1
    plan.extend(("removed", i1 + k, None) for k in range(ai, i2 - i1))
    plan.extend(("added", None, j1 + k) for k in range(bi, j2 - j1))
    return plan


def _alike(cell_a: dict[str, Any], cell_b: dict[str, Any]) -> bool:
    """Whether two cells are one cell edited: same type, and the same id, source or outputs
    (or sources at least half alike)."""
    if cell_a["cell_type"] != cell_b["cell_type"]:
        return False
    if cell_a.get("id") and cell_a.get("id") == cell_b.get("id"):
        return True
    if cell_a["source"] == cell_b["source"] or (
        "outputs" in cell_a and canonical(cell_a.get("outputs")) == canonical(cell_b.get("outputs"))
    ):
        return True
    matcher = difflib.SequenceMatcher(None, cell_a["source"], cell_b["source"], autojunk=False)
    return matcher.quick_ratio() >= 0.5 and matcher.ratio() >= 0.5


def _op_order(op: dict[str, Any]) -> tuple[int, int]:
    return op["key"], {"removerange": 0, "addrange": 1, "patch": 2}[op["op"]]


#: How much of a long text output nbdime's approximate matching gets to see.
MATCH_TEXT_CHARS = 500


def _for_nbdime(cell: dict[str, Any]) -> dict[str, Any]:
    """The cell as nbdime's cell matching should see it. nbdime compares outputs with difflib's
    character ratio, quadratic in their length: on base64 images and long HTML tables that
    takes seconds per region. Images become their digests, long texts their beginning plus a
    digest of the whole (equal stays equal, alike stays alike)."""
    from nbformat import from_dict

    outputs = cell.get("outputs")
    if isinstance(outputs, list):
        cell = {**cell, "outputs": [_for_matching(output) for output in outputs]}
    return from_dict(cell)  # type: ignore[no-any-return]


def _for_matching(output: Any) -> Any:
    data = output.get("data") if isinstance(output, dict) else None
    if not isinstance(data, dict):
        return output
    return {**output, "data": {mime: _short(mime, value) for mime, value in data.items()}}


def _short(mime: str, value: Any) -> Any:
    if mime in IMAGE_TYPES:
        return digest_of(canonical(value))
    text = "".join(value) if isinstance(value, list) else value
    if isinstance(text, str) and len(text) > MATCH_TEXT_CHARS:
        return text[:MATCH_TEXT_CHARS] + digest_of(text.encode())
    return value


def _find_moves(
    plan: list[tuple[str, int | None, int | None]],
    keys_a: list[str],
    keys_b: list[str],
    a: Side,
    b: Side,
) -> list[tuple[str, int | None, int | None]]:
    """A removed cell that reappears elsewhere (same content, or same cell id) was moved."""
    removed = [i for kind, i, _ in plan if kind == "removed" and i is not None]
    added = [j for kind, _, j in plan if kind == "added" and j is not None]
    if not removed or not added:
        return plan
    by_key: dict[str, list[int]] = {}
    for i in removed:
        by_key.setdefault(keys_a[i], []).append(i)
    by_id = {a.entries[i].get("id"): i for i in removed if a.entries[i].get("id")}
    moved_to: dict[int, tuple[str, int]] = {}  # b index -> (kind, a index)
    taken: set[int] = set()
    for j in added:
        candidates = [i for i in by_key.get(keys_b[j], []) if i not in taken]
        if candidates:
            moved_to[j] = ("moved", candidates[0])
            taken.add(candidates[0])
    for target in added:
        cell_id = b.entries[target].get("id")
        if target not in moved_to and cell_id in by_id and by_id[cell_id] not in taken:
            moved_to[target] = ("moved_changed", by_id[cell_id])
            taken.add(by_id[cell_id])
    result: list[tuple[str, int | None, int | None]] = []
    for kind, a_index, b_index in plan:
        if kind == "removed" and a_index in taken:
            continue
        if kind == "added" and b_index is not None and b_index in moved_to:
            move_kind, source = moved_to[b_index]
            result.append((move_kind, source, b_index))
            continue
        result.append((kind, a_index, b_index))
    return result


def _cell_change(
    kind: str,
    i: int | None,
    j: int | None,
    a: Side,
    b: Side,
    cell_a: dict[str, Any] | None,
    cell_b: dict[str, Any] | None,
    options: CompareOptions,
) -> CellChange:
    entry = b.entries[j] if j is not None else a.entries[i]  # type: ignore[index]
    change = CellChange(
        "unchanged", i, j, entry["cell_type"], entry.get("id"), moved=kind.startswith("moved")
    )
    if kind == "same":
        _compare_details(change, a.entries[i], b.entries[j], None, None, options)  # type: ignore[index]
        return change
    if kind == "added":
        assert cell_b is not None
        change.status, change.source_b = "added", cell_b["source"]
        change.outputs = _output_list(cell_b, "added", options)
        return change
    if kind == "removed":
        assert cell_a is not None
        change.status, change.source_a = "removed", cell_a["source"]
        change.outputs = _output_list(cell_a, "removed", options)
        return change
    assert cell_a is not None and cell_b is not None
    change.source_a, change.source_b = cell_a["source"], cell_b["source"]
    _compare_details(change, a.entries[i], b.entries[j], cell_a, cell_b, options)  # type: ignore[index]
    if change.moved and change.status == "unchanged":
        change.status = "moved"
    return change


def _compare_details(
    change: CellChange,
    entry_a: dict[str, Any],
    entry_b: dict[str, Any],
    cell_a: dict[str, Any] | None,
    cell_b: dict[str, Any] | None,
    options: CompareOptions,
) -> None:
    """Fill in what differs between two paired cells; status "changed" if anything does."""
    if entry_a["cell_type"] != entry_b["cell_type"]:
        change.metadata.append(
            MetadataChange("cell_type", "changed", entry_a["cell_type"], entry_b["cell_type"])
        )
    if cell_a is not None and cell_b is not None and entry_a["source"] != entry_b["source"]:
        change.source_diff = line_diff(cell_a["source"], cell_b["source"], context=None)
    if canonical(entry_a.get("attachments")) != canonical(entry_b.get("attachments")):
        change.attachments_changed = True
    if options.outputs:
        change.outputs = _output_changes(entry_a, entry_b, cell_a, cell_b, options)
    change.metadata.extend(
        _dict_changes(entry_a.get("metadata", {}), entry_b.get("metadata", {}), VOLATILE_METADATA)
    )
    counts = (entry_a.get("execution_count"), entry_b.get("execution_count"))
    if options.outputs and counts[0] != counts[1]:  # counts go with outputs: how it was run
        change.execution_count = counts
    if change.changed_parts:
        change.status = "changed"


def _output_list(cell: dict[str, Any], status: str, options: CompareOptions) -> list[OutputChange]:
    if not options.outputs or not isinstance(cell.get("outputs"), list):
        return []
    return [
        _whole_output(status, index, output, options)
        for index, output in enumerate(cell["outputs"])
    ]


def _whole_output(status: str, index: int, output: Any, options: CompareOptions) -> OutputChange:
    """An output only one side has (``status`` "added" or "removed"), with a preview."""
    kind, mime, text = _describe_output(output)
    a_index, b_index = (index, None) if status == "removed" else (None, index)
    preview = None if text is None else _bounded(text.splitlines(), options.max_lines)
    change = OutputChange(status, a_index, b_index, _type_of(output), kind, mime, preview=preview)
    if options.for_viewer and kind == "image" and mime is not None:
        side = "a" if status == "removed" else "b"
        change.image_data = {side: _base64_of(output["data"][mime])}
    return change


def _base64_of(value: Any) -> str:
    """An image of an output's data as one base64 string (nbformat may split it in lines)."""
    text = "".join(value) if isinstance(value, list) else str(value)
    return "".join(text.split())


def _output_changes(
    entry_a: dict[str, Any],
    entry_b: dict[str, Any],
    cell_a: dict[str, Any] | None,
    cell_b: dict[str, Any] | None,
    options: CompareOptions,
) -> list[OutputChange]:
    digests_a: list[str] = entry_a["outputs"] if isinstance(entry_a.get("outputs"), list) else []
    digests_b: list[str] = entry_b["outputs"] if isinstance(entry_b.get("outputs"), list) else []
    if digests_a == digests_b:
        known = cell_b.get("outputs", []) if cell_b is not None else []
        return [
            OutputChange(
                "unchanged",
                k,
                k,
                _type_of(known[k]) if k < len(known) else "",
                _describe_output(known[k])[0] if k < len(known) else "other",
            )
            for k in range(len(digests_a))
        ]
    assert cell_a is not None and cell_b is not None
    outputs_a, outputs_b = cell_a.get("outputs", []), cell_b.get("outputs", [])
    result: list[OutputChange] = []
    matcher = difflib.SequenceMatcher(None, digests_a, digests_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(
                OutputChange(
                    "unchanged", i, j, _type_of(outputs_a[i]), _describe_output(outputs_a[i])[0]
                )
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        pairs = min(i2 - i1, j2 - j1)
        for k in range(pairs):
            result.append(
                _compare_output(i1 + k, j1 + k, outputs_a[i1 + k], outputs_b[j1 + k], options)
            )
        result.extend(
            _whole_output("removed", i, outputs_a[i], options) for i in range(i1 + pairs, i2)
        )
        result.extend(
            _whole_output("added", j, outputs_b[j], options) for j in range(j1 + pairs, j2)
        )
    return result


def _compare_output(
    i: int, j: int, out_a: Any, out_b: Any, options: CompareOptions
) -> OutputChange:
    """Two outputs at matching places whose digests differ: what differs, and how much.

    Every MIME type is compared (not only the one shown first): an unchanged text/plain next to
    changed JSON, SVG or HTML is a change. It is "unchanged" only when nothing but the encoding
    of an image differs.
    """
    kind, mime, _ = _describe_output(out_b)
    change = OutputChange("changed", i, j, _type_of(out_b), kind, mime)
    if not (isinstance(out_a, dict) and isinstance(out_b, dict)):
        _text_diff(change, _as_text(out_a), _as_text(out_b), options)
        return change
    data_a, data_b = out_a.get("data"), out_b.get("data")
    rest_differs = canonical(_without(out_a, "data")) != canonical(_without(out_b, "data"))
    if not (isinstance(data_a, dict) and isinstance(data_b, dict)):
        _, _, text_a = _describe_output(out_a)
        _, _, text_b = _describe_output(out_b)
        if text_a == text_b and rest_differs:
            change.note = "output details changed (" + _changed_keys(out_a, out_b) + ")"
        _text_diff(change, text_a or "", text_b or "", options)
        return change
    changed = [
        m
        for m in sorted(set(data_a) | set(data_b))
        if canonical(data_a.get(m)) != canonical(data_b.get(m))
    ]
    shown = [m for m in IMAGE_TYPES if m in data_a and m in data_b]  # encodings of the picture
    images: list[str] = []
    if any(m in changed for m in shown):
        from nepnb.notebooks.images import representation_to_compare

        images = [representation_to_compare(data_a, data_b) or shown[0]]  # PNG, not JPEG
    others = [m for m in changed if m not in shown]
    same_pixels = True
    if images:
        change.mime = images[0]
        if options.images:
            from nepnb.notebooks.images import compare_images

            comparison = compare_images(data_a[images[0]], data_b[images[0]])
            change.image = comparison.to_json()
            same_pixels = not comparison.changed
        else:
            same_pixels = False
            change.note = "image differs"
        if options.for_viewer:
            change.image_data = {
                "a": _base64_of(data_a[images[0]]),
                "b": _base64_of(data_b[images[0]]),
            }
    if others:
        change.mime = others[0]
        if len(others) > 1:
            change.note = f"also changed: {', '.join(others[1:])}"
        _text_diff(
            change,
            _as_text(data_a.get(others[0], "")),
            _as_text(data_b.get(others[0], "")),
            options,
        )
    if not others and same_pixels and not rest_differs:
        change.status = "unchanged"
        change.note = "same pixels, different encoding" if images else ""
    elif not others and not images and rest_differs:
        change.note = "output details changed (" + _changed_keys(out_a, out_b) + ")"
    return change


def _text_diff(change: OutputChange, a: str, b: str, options: CompareOptions) -> None:
    """Set the change's line diff of two output texts; a note says where it fell back."""
    notes: list[str] = []
    change.text_diff = line_diff(
        a, b, context=options.context, max_lines=options.max_lines, engine="lines", notes=notes
    )
    if notes:
        change.note = "; ".join(part for part in (change.note, *notes) if part)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=1, sort_keys=True)


def _without(output: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in output.items() if k != key}


def _changed_keys(a: dict[str, Any], b: dict[str, Any]) -> str:
    keys = [k for k in sorted(set(a) | set(b)) if canonical(a.get(k)) != canonical(b.get(k))]
    return ", ".join(keys)


def _type_of(output: Any) -> str:
    return str(output.get("output_type", "?")) if isinstance(output, dict) else "?"


def _describe_output(output: Any) -> tuple[str, str | None, str | None]:
    """(kind, main mime type, text if it is textual) of one output."""
    if not isinstance(output, dict):
        return "other", None, json.dumps(output)
    output_type = output.get("output_type")
    if output_type == "stream":
        text = output.get("text", "")
        return (
            "text",
            f"stream/{output.get('name', 'stdout')}",
            text if isinstance(text, str) else str(text),
        )
    if output_type == "error":
        lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
        return "error", None, _strip_ansi("\n".join(str(line) for line in lines))
    data = output.get("data")
    if isinstance(data, dict):
        for mime in IMAGE_TYPES:
            if mime in data:
                return "image", mime, None
        for mime in TEXT_TYPES:
            if mime in data:
                value = data[mime]
                text = (
                    value if isinstance(value, str) else json.dumps(value, indent=1, sort_keys=True)
                )
                return "text", mime, text
        first = next(iter(data), None)
        return "other", first, None
    return "other", None, None


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _bounded(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"… {len(lines) - limit} more lines"]


def line_diff(
    a: str,
    b: str,
    *,
    context: int | None = 3,
    max_lines: int | None = None,
    engine: str = "nbdime",
    notes: list[str] | None = None,
) -> list[LineOp]:
    """Line runs of equal/deleted/inserted text, equal runs longer than twice ``context`` cut
    to a ``skip`` (``context=None`` keeps them all).

    ``engine`` "nbdime" uses nbdime's sequence diff (as for cell sources, up to
    :data:`NBDIME_MAX_LINES`); "lines" is :func:`align_lines`, near linear, for outputs and
    long sources. Where it had to fall back (see there), it says why in ``notes``.
    """
    lines_a, lines_b = a.splitlines(), b.splitlines()
    if engine == "nbdime" and len(lines_a) + len(lines_b) > NBDIME_MAX_LINES:
        engine = "lines"
    if engine == "nbdime":
        ops = _nbdime_ops(lines_a, lines_b)
    else:
        huge = len(a) + len(b) > HUGE_TEXT
        ops, note = _aligned_ops(lines_a, lines_b, huge=huge)
        if note and notes is not None:
            notes.append(note)
    ops = _merge(ops)
    if context is not None:
        ops = _with_context(ops, context)
    if max_lines is not None:
        ops = _truncate(ops, max_lines)
    return ops


def _nbdime_ops(lines_a: list[str], lines_b: list[str]) -> list[LineOp]:
    from nbdime.diffing.generic import diff

    ops: list[LineOp] = []
    position = 0
    for entry in sorted(diff(lines_a, lines_b), key=_op_order):
        key = entry["key"]
        if key > position:
            ops.append(LineOp("equal", lines_a[position:key]))
            position = key
        if entry["op"] == "removerange":
            ops.append(LineOp("delete", lines_a[key : key + entry["length"]]))
            position = key + entry["length"]
        elif entry["op"] == "addrange":
            ops.append(LineOp("insert", list(entry["valuelist"])))
    if position < len(lines_a):
        ops.append(LineOp("equal", lines_a[position:]))
    return ops


#: Texts longer than this (both sides together, in characters) are only matched at their
#: common beginning and end; what lies between is shown as removed and added.
HUGE_TEXT = 32_000_000
#: The largest stretch (lines of a times lines of b) with no line found once on each side
#: that difflib aligns line by line; a longer one is shown as removed and added.
MAX_ALIGN = 250_000

Opcode = tuple[str, int, int, int, int]


def align_lines(a: list[str], b: list[str], *, huge: bool = False) -> tuple[list[Opcode], str]:
    """difflib-style opcodes (equal, delete, insert, replace) turning lines ``a`` into ``b``,
    and a note when part of it had to be shown as replaced rather than aligned.

    Near linear, as git's patience diff: the common beginning and end are matched first, then
    the lines that occur exactly once on each side anchor the rest (their longest increasing
    run), and the stretches between anchors are aligned the same way. A stretch with no such
    line goes to difflib when small (:data:`MAX_ALIGN`), else it is shown as replaced. A
    ``huge`` text is only matched at its beginning and end. So one line inserted into 10,000
    identical lines, or into a 50 MB output, costs one pass over the lines.
    """
    result: list[Opcode] = []
    coarse = [0, 0]  # lines of a and b shown replaced without being aligned
    work: list[Opcode] = [("solve", 0, len(a), 0, len(b))]
    while work:
        tag, a1, a2, b1, b2 = work.pop()
        if tag != "solve":
            result.append((tag, a1, a2, b1, b2))
            continue
        # This stretch comes next: its common beginning goes out now, its end after the rest.
        start_a, start_b = a1, b1
        while a1 < a2 and b1 < b2 and a[a1] == b[b1]:
            a1, b1 = a1 + 1, b1 + 1
        if a1 > start_a:
            result.append(("equal", start_a, a1, start_b, b1))
        end_a, end_b = a2, b2
        while a2 > a1 and b2 > b1 and a[a2 - 1] == b[b2 - 1]:
            a2, b2 = a2 - 1, b2 - 1
        if a2 < end_a:
            work.append(("equal", a2, end_a, b2, end_b))
        if a1 == a2 or b1 == b2:
            if a1 < a2:
                result.append(("delete", a1, a2, b1, b1))
            if b1 < b2:
                result.append(("insert", a2, a2, b1, b2))
            continue
        anchors = [] if huge else _unique_anchors(a, b, a1, a2, b1, b2)
        if anchors:
            pieces: list[Opcode] = []
            i, j = a1, b1
            for ai, bj in anchors:
                if ai == i and bj == j and pieces and pieces[-1][0] == "equal":
                    _, e1, _, f1, _ = pieces.pop()  # next to the previous anchor: one run
                    pieces.append(("equal", e1, ai + 1, f1, bj + 1))
                else:
                    pieces.append(("solve", i, ai, j, bj))
                    pieces.append(("equal", ai, ai + 1, bj, bj + 1))
                i, j = ai + 1, bj + 1
            pieces.append(("solve", i, a2, j, b2))
            work.extend(reversed(pieces))
        elif not huge and (a2 - a1) * (b2 - b1) <= MAX_ALIGN:
            matcher = difflib.SequenceMatcher(None, a[a1:a2], b[b1:b2], autojunk=False)
            work.extend(
                (t, a1 + i1, a1 + i2, b1 + j1, b1 + j2)
                for t, i1, i2, j1, j2 in reversed(matcher.get_opcodes())
            )
        else:
            coarse[0] += a2 - a1
            coarse[1] += b2 - b1
            work.append(("replace", a1, a2, b1, b2))
    note = ""
    if coarse[0] or coarse[1]:
        why = (
            "the output is too large to align line by line"
            if huge
            else "no line there occurs once on each side to align on"
        )
        note = (
            f"{coarse[0]} line(s) shown as replaced by {coarse[1]} without a line-by-line "
            f"alignment: {why}"
        )
    return result, note


def _unique_anchors(
    a: list[str], b: list[str], a1: int, a2: int, b1: int, b2: int
) -> list[tuple[int, int]]:
    """Pairs (i, j) of lines found exactly once in a[a1:a2] and once in b[b1:b2], the longest
    run of them in the same order on both sides (patience sorting)."""
    counts: dict[str, int] = {}
    for line in a[a1:a2]:
        counts[line] = counts.get(line, 0) + 1
    in_b: dict[str, int] = {}  # line -> its index in b, or -1 when it occurs more than once
    for j in range(b1, b2):
        line = b[j]
        if counts.get(line) == 1:
            in_b[line] = -1 if line in in_b else j
    pairs = [(i, in_b[a[i]]) for i in range(a1, a2) if in_b.get(a[i], -1) >= 0]
    if not pairs:
        return []
    # the longest increasing run of j, in a's order
    tails: list[int] = []  # tails[k]: the pair ending the best run of k + 1 found so far
    tail_js: list[int] = []  # and its j, increasing: what bisect searches
    previous = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tail_js, j)
        if k > 0:
            previous[index] = tails[k - 1]
        if k == len(tails):
            tails.append(index)
            tail_js.append(j)
        else:
            tails[k], tail_js[k] = index, j
    run = []
    index = tails[-1]
    while index >= 0:
        run.append(pairs[index])
        index = previous[index]
    return run[::-1]


def _aligned_ops(
    lines_a: list[str], lines_b: list[str], *, huge: bool = False
) -> tuple[list[LineOp], str]:
    ops: list[LineOp] = []
    opcodes, note = align_lines(lines_a, lines_b, huge=huge)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            ops.append(LineOp("equal", lines_a[i1:i2]))
            continue
        if i2 > i1:
            ops.append(LineOp("delete", lines_a[i1:i2]))
        if j2 > j1:
            ops.append(LineOp("insert", lines_b[j1:j2]))
    return ops, note


def _merge(ops: list[LineOp]) -> list[LineOp]:
    merged: list[LineOp] = []
    for op in ops:
        if merged and merged[-1].op == op.op and op.op != "skip":
            merged[-1].lines.extend(op.lines)
        elif op.lines or op.op == "skip":
            merged.append(op)
    return merged


def _with_context(ops: list[LineOp], context: int) -> list[LineOp]:
    result: list[LineOp] = []
    for k, op in enumerate(ops):
        if op.op != "equal":
            result.append(op)
            continue
        head = context if k > 0 else 0
        tail = context if k < len(ops) - 1 else 0
        if len(op.lines) <= head + tail + 1:
            result.append(op)
            continue
        if head:
            result.append(LineOp("equal", op.lines[:head]))
        result.append(LineOp("skip", count=len(op.lines) - head - tail))
        if tail:
            result.append(LineOp("equal", op.lines[-tail:]))
    return result


def _truncate(ops: list[LineOp], max_lines: int) -> list[LineOp]:
    """At most ``max_lines`` shown lines; the rest is one ``omitted`` run."""
    shown = 0
    result: list[LineOp] = []
    for k, op in enumerate(ops):
        if op.op == "skip":
            result.append(op)
            continue
        room = max_lines - shown
        if len(op.lines) > room:
            if room > 0:
                result.append(LineOp(op.op, op.lines[:room]))
            rest = (
                len(op.lines)
                - max(room, 0)
                + sum(o.count if o.op == "skip" else len(o.lines) for o in ops[k + 1 :])
            )
            result.append(LineOp("omitted", count=rest))
            break
        result.append(op)
        shown += len(op.lines)
    return result


def _dict_changes(
    a: dict[str, Any], b: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> list[MetadataChange]:
    changes = []
    for key in sorted(set(a) | set(b)):
        if key in ignore:
            continue
        if key not in b:
            changes.append(MetadataChange(key, "removed", a=a[key]))
        elif key not in a:
            changes.append(MetadataChange(key, "added", b=b[key]))
        elif canonical(a[key]) != canonical(b[key]):
            changes.append(MetadataChange(key, "changed", a[key], b[key]))
    return changes
