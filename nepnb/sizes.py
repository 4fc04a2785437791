"""Sizes in words, the same everywhere nepnb shows one (the CLI, the runs panel).

Decimal units, 1 kB = 1,000 bytes, as NQL reads ``50MB`` in a query (``sys/size > 2kB``
selects what is shown as more than "2.0 kB"), as disks are sold and as ``du --si`` prints.
"""

from __future__ import annotations

_UNITS = ("kB", "MB", "GB", "TB", "PB")


def human_size(size: float) -> str:
    """``size`` bytes in words: "999 B", "1.5 kB", "2.0 MB" … "3.2 PB"."""
    if abs(size) < 1000:
        return f"{size:.0f} B"
    for unit in _UNITS:
        size /= 1000
        if abs(size) < 999.95 or unit == _UNITS[-1]:
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")
