"""What one executed cell printed: a tee on ``sys.stdout`` / ``sys.stderr``.

The tee writes through to the stream it replaced first (the notebook shows output exactly as
before), then keeps a copy while a cell is being captured. Capturing is bounded: past
``MAX_CAPTURED_CHARS`` a stream's text is counted, not kept.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

MAX_CAPTURED_CHARS = 1_000_000


class StreamTee:
    """Stands in for a text stream; ``start()``/``finish()`` bracket one cell's copy."""

    def __init__(self, original: TextIO) -> None:
        self.original = original
        self._chunks: list[str] | None = None
        self._kept = 0
        self._dropped = 0

    def write(self, text: str) -> int:
        written = self.original.write(text)
        chunks = self._chunks
        if chunks is not None and type(text) is str:
            room = MAX_CAPTURED_CHARS - self._kept
            if len(text) <= room:
                chunks.append(text)
                self._kept += len(text)
            else:
                if room > 0:
                    chunks.append(text[:room])
                    self._kept += room
                self._dropped += len(text) - max(room, 0)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def start(self) -> None:
        self._chunks, self._kept, self._dropped = [], 0, 0

    def finish(self) -> str:
        """The text written since ``start()`` (with a note of what did not fit)."""
        chunks, self._chunks = self._chunks, None
        text = "".join(chunks or ())
        if self._dropped:
            text += f"\n[nepnb: {self._dropped:,} more characters were printed, not captured]"
        return text

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ipykernel's …
        return getattr(self.original, name)


class OutputCapture:
    """The tees of stdout and stderr, installed while runs that capture are open."""

    def __init__(self) -> None:
        self.stdout: StreamTee | None = None
        self.stderr: StreamTee | None = None

    @property
    def installed(self) -> bool:
        return self.stdout is not None

    def install(self) -> None:
        if self.installed:
            return
        self.stdout = StreamTee(sys.stdout)
        self.stderr = StreamTee(sys.stderr)
        sys.stdout, sys.stderr = self.stdout, self.stderr  # type: ignore[assignment]

    def uninstall(self) -> None:
        """Put the original streams back, unless someone replaced ours meanwhile (then ours
        stay in their chain, and only stop copying)."""
        if self.stdout is not None and sys.stdout is self.stdout:
            sys.stdout = self.stdout.original
        if self.stderr is not None and sys.stderr is self.stderr:
            sys.stderr = self.stderr.original
        self.stdout = self.stderr = None

    def start(self) -> None:
        for tee in (self.stdout, self.stderr):
            if tee is not None:
                tee.start()

    def finish(self) -> tuple[str, str]:
        out = self.stdout.finish() if self.stdout is not None else ""
        err = self.stderr.finish() if self.stderr is not None else ""
        return out, err
