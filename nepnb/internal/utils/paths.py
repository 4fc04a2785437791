"""``neptune.internal.utils.paths``: field paths as strings and as lists of segments."""

from __future__ import annotations

__all__ = ["join_paths", "parse_path", "path_to_str"]


def parse_path(path: str) -> list[str]:
    """The non-empty segments of ``path``: ``"a//b/"`` gives ``["a", "b"]``."""
    return [segment for segment in str(path).split("/") if segment]


def path_to_str(path: list[str]) -> str:
    """The segments joined with ``/``, empty ones left out."""
    return "/".join(segment for segment in path if segment)


def join_paths(*paths: str) -> str:
    """The paths joined with ``/``, empty segments left out: ``join_paths("a/", "b")``."""
    return path_to_str([str(path) for path in paths])
