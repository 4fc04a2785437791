"""Which stored files and checkpoint parts a piece of tracking data names, by digest.

Pure functions over values as they are stored (decoded JSON), shared by the tracking
server's store (deleting objects from the trash gives back the files only they named) and
by migration 0006 (which recorded what existing data names). A migration must mean the
same thing forever, so these functions only read the stored formats of File, FileSet,
FileSeries values and checkpoint parts, which cannot change without a migration of their
own: a new stored format gets a new function here, never a change to these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

#: A SHA-256 hex digest, as files and parts are named.
DIGEST = re.compile(r"[0-9a-f]{64}")

#: The stored field types (``fields.type``) whose values name files.
FILE_TYPES = ("file", "fileSet", "fileSeries")


def files_named(kind: str, value: Any) -> dict[str, int]:
    """digest -> size of the files a value names: of a ``file`` field (a file reference),
    a ``fileSet`` (name -> reference) or the values of a ``fileSeries`` chunk (a list of
    references). Anything else names none."""
    if kind == "file":
        refs = [value]
    elif isinstance(value, dict):
        refs = list(value.values())
    else:
        refs = value if isinstance(value, list) else []
    return {
        ref["digest"]: int(ref.get("size") or 0)
        for ref in refs
        if isinstance(ref, dict) and isinstance(ref.get("digest"), str)
    }


def digests_in(value: Any) -> set[str]:
    """The SHA-256 hex digests among the strings of a JSON value."""
    if isinstance(value, str):
        return {value} if DIGEST.fullmatch(value) else set()
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*map(digests_in, items))


def parts_reached(
    roots: Iterable[str], read: Callable[[list[str]], Iterable[tuple[str, int, Any]]]
) -> dict[str, int]:
    """digest -> size of every checkpoint part reached from ``roots`` (manifests): the
    parts themselves and the digests named in the JSON of the parts reached (groups, cells,
    outputs, images). ``read(digests)`` gives ``(digest, size, decoded JSON or None)`` of
    those stored (a source, an image: None)."""
    found: dict[str, int] = {}
    frontier, seen = set(roots), set()
    while frontier:
        seen |= frontier
        named: set[str] = set()
        batch = sorted(frontier)
        for i in range(0, len(batch), 500):
            for digest, size, value in read(batch[i : i + 500]):
                found[digest] = int(size)
                named |= digests_in(value)
        frontier = named - seen
    return found
