"""What the benchmark scripts share: a text table and the machine they ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def render(header: list[str], rows: list[list[str]]) -> str:
    """Rows under a header, first column left-aligned, a blank line between workloads."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    previous = None
    for row in rows:
        section = row[0].split(" ", 1)[0]  # rows of one workload stay together
        if previous is not None and section != previous:
            out.append("")
        previous = section
        out.append(line(row))
    return "\n".join(out)


def machine_info() -> dict[str, Any]:
    """CPU, Python and platform, for the report."""
    model = ""
    try:
        for text_line in Path("/proc/cpuinfo").read_text().splitlines():
            if text_line.startswith("model name"):
                model = text_line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
