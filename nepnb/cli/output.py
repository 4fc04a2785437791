"""Terminal output helpers: a progress line on stderr (sizes: :mod:`nepnb.sizes`)."""

from __future__ import annotations

import sys
import time


class ProgressLine:
    """``label: [#####.....] 12/40`` redrawn on stderr (only when it is a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._tty = sys.stderr.isatty()
        self._last = 0.0

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self._tty or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        width = 30
        filled = int(width * done / max(total, 1))
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\r{self.label}: [{bar}] {done}/{total}")
        sys.stderr.flush()

    def done(self, message: str) -> None:
        if self._tty:
            sys.stderr.write("\r\033[K")
        print(f"{self.label}: {message}")
