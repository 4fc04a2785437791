"""Field paths: ``metrics/acc`` — namespaces separated by ``/``."""

from __future__ import annotations

from nepnb.exceptions import InvalidPath

MAX_PATH_LENGTH = 1024


def validate_path(path: object) -> str:
    """``path`` if it is a valid field path; else InvalidPath saying what is wrong."""
    if not isinstance(path, str):
        raise InvalidPath(
            f"a field path must be a string like 'metrics/acc', not {type(path).__name__} {path!r}"
        )
    if not path:
        raise InvalidPath("a field path cannot be empty; use a path like 'metrics/acc'")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidPath(
            f"field path '{path[:60]}…' has {len(path)} characters; at most {MAX_PATH_LENGTH} "
            "are allowed. Use a shorter path."
        )
    if path.startswith("/") or path.endswith("/"):
        raise InvalidPath(
            f"field path {path!r} starts or ends with '/'; write it as {path.strip('/')!r}"
        )
    if "//" in path:
        raise InvalidPath(
            f"field path {path!r} has an empty segment ('//'); write it as "
            f"{'/'.join(p for p in path.split('/') if p)!r}"
        )
    return path


def join(*parts: str) -> str:
    """Join path parts with ``/``, skipping empty ones."""
    return "/".join(p for p in parts if p)


def parents(path: str) -> list[str]:
    """The namespaces above ``path``: ``a/b/c`` → ``["a", "a/b"]``."""
    segments = path.split("/")
    return ["/".join(segments[:i]) for i in range(1, len(segments))]
