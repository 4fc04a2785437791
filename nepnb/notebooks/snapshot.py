"""A notebook as content-addressed parts: one per cell source, per output and per cell.

The manifest lists the cells' digests; a cell lists its source and outputs digests. So a
checkpoint that changes one cell stores that cell's new parts and a new manifest, and an
image output repeated in a hundred checkpoints is stored once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1
#: In a cell entry: the cell had no source (it is compared as an empty one).
NO_SOURCE = "$no_source"
NOTEBOOK_FIELDS = ("nbformat", "nbformat_minor", "metadata", "cells")
GROUP_SPACING = 16
MAX_GROUP = 64


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(value: Any) -> bytes:
    """Stable JSON bytes of a value (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Snapshot:
    """The parts of one notebook and the digest of its manifest."""

    manifest: str
    parts: dict[str, bytes] = field(default_factory=dict)
    cells: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.parts.values())


def take_snapshot(notebook: dict[str, Any]) -> Snapshot:
    """Split a normalized notebook into parts."""
    parts: dict[str, bytes] = {}

    def put(data: bytes) -> str:
        digest = digest_of(data)
        parts[digest] = data
        return digest

    cell_digests = []
    for cell in notebook["cells"]:
        entry = {key: value for key, value in cell.items() if key not in ("source", "outputs")}
        entry["source"] = put(cell.get("source", "").encode())
        if "source" not in cell:  # an invalid cell: compared as empty, given back without
            entry[NO_SOURCE] = True
        if "outputs" in cell:
            outputs = cell["outputs"]
            if isinstance(outputs, list):
                # An execute_result's count changes on every run while its data rarely does:
                # keep the count in the cell entry so the output part stays the same.
                counts = {}
                digests = []
                for i, output in enumerate(outputs):
                    if isinstance(output, dict) and "execution_count" in output:
                        counts[str(i)] = output["execution_count"]
                        output = {k: v for k, v in output.items() if k != "execution_count"}
                    digests.append(put(canonical(_images_apart(output, put))))
                entry["outputs"] = digests
                if counts:
                    entry["output_counts"] = counts
            else:
                entry["outputs"] = outputs  # broken, kept as it is
        cell_digests.append(put(canonical(entry)))
    manifest = {
        "format": FORMAT,
        "nbformat": notebook["nbformat"],
        "nbformat_minor": notebook.get("nbformat_minor"),
        "metadata": notebook["metadata"],
        "groups": [put(canonical(group)) for group in _groups(cell_digests)],
    }
    others = {k: v for k, v in notebook.items() if k not in NOTEBOOK_FIELDS}
    if others:  # fields of a newer minor format, kept as they are
        manifest["others"] = others
    return Snapshot(put(canonical(manifest)), parts, cell_digests)


def _groups(digests: list[str]) -> list[list[str]]:
    """The cell list cut where a cell's digest says so (about every 16 cells, at most 64).

    Cuts depend on content, not position, so inserting or deleting a cell changes one or two
    groups and the manifests of a slowly changing notebook share most of their groups.
    """
    groups: list[list[str]] = []
    current: list[str] = []
    for digest in digests:
        current.append(digest)
        if int(digest[:2], 16) % GROUP_SPACING == 0 or len(current) >= MAX_GROUP:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def load_entries(
    manifest: str, get_parts: Callable[[Iterable[str]], dict[str, bytes]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The manifest of a snapshot and its cell entries (without sources and outputs)."""
    header = json.loads(get_parts([manifest])[manifest])
    groups_raw = get_parts(set(header["groups"]))
    cell_digests = [d for g in header["groups"] for d in json.loads(groups_raw[g])]
    entries_raw = get_parts(set(cell_digests))
    return header, [json.loads(entries_raw[d]) for d in cell_digests]


def rebuild(
    manifest: str, get_parts: Callable[[Iterable[str]], dict[str, bytes]]
) -> dict[str, Any]:
    """The notebook whose manifest digest is ``manifest``."""
    header, entries = load_entries(manifest, get_parts)
    cells = load_cells(entries, get_parts)
    for entry, cell in zip(entries, cells, strict=True):
        if entry.get(NO_SOURCE):
            del cell["source"]
    notebook = {"nbformat": header["nbformat"], "metadata": header["metadata"], "cells": cells}
    if header["nbformat_minor"] is not None:
        notebook["nbformat_minor"] = header["nbformat_minor"]
    notebook.update(header.get("others", {}))
    return notebook


def load_cells(
    entries: list[dict[str, Any]], get_parts: Callable[[Iterable[str]], dict[str, bytes]]
) -> list[dict[str, Any]]:
    """Full cells for cell entries: sources and outputs in one round, images in a second."""
    wanted = {e["source"] for e in entries}
    for entry in entries:
        if isinstance(entry.get("outputs"), list):
            wanted.update(entry["outputs"])
    content = get_parts(wanted) if wanted else {}
    outputs = {d: json.loads(content[d]) for e in entries for d in _output_digests(e)}
    images = {ref for output in outputs.values() for ref in _image_refs(output)}
    pictures = get_parts(images) if images else {}
    cells = []
    for entry in entries:
        cell = {k: v for k, v in entry.items() if k not in ("output_counts", NO_SOURCE)}
        cell["source"] = content[entry["source"]].decode()
        if isinstance(entry.get("outputs"), list):
            counts = entry.get("output_counts", {})
            rebuilt = []
            for i, digest in enumerate(entry["outputs"]):
                output = _images_back(outputs[digest], pictures)
                if str(i) in counts:
                    # Cells with the same output share its part (and its parsed dict): the
                    # count is this cell's own, set on a copy.
                    output = {**output, "execution_count": counts[str(i)]}
                rebuilt.append(output)
            cell["outputs"] = rebuilt
        cells.append(cell)
    return cells


def _output_digests(entry: dict[str, Any]) -> list[str]:
    outputs = entry.get("outputs")
    return outputs if isinstance(outputs, list) else []


#: Images in outputs are stored as their bytes, not their base64 text: a third smaller, and
#: not worth compressing. The output keeps a reference to the part.
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_REF = "$nepnb_part"


def _images_apart(output: Any, put: Callable[[bytes], str]) -> Any:
    data = output.get("data") if isinstance(output, dict) else None
    if not isinstance(data, dict) or not any(m in data for m in IMAGE_MIMES):
        return output
    moved = dict(data)
    for mime in IMAGE_MIMES:
        text = data.get(mime)
        if not isinstance(text, str):
            continue
        try:
            raw = base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            continue
        if base64.b64encode(raw).decode() == text:  # only when it comes back exactly
            moved[mime] = {_REF: put(raw)}
    return {**output, "data": moved}


def _image_refs(output: Any) -> list[str]:
    data = output.get("data") if isinstance(output, dict) else None
    if not isinstance(data, dict):
        return []
    return [v[_REF] for v in data.values() if isinstance(v, dict) and _REF in v]


def _images_back(output: Any, pictures: dict[str, bytes]) -> Any:
    refs = _image_refs(output)
    if not refs:
        return output
    data = {
        mime: base64.b64encode(pictures[v[_REF]]).decode()
        if isinstance(v, dict) and _REF in v
        else v
        for mime, v in output["data"].items()
    }
    return {**output, "data": data}
