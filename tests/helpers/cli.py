"""Running the installed ``nepnb`` command as a user would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``nepnb ARGS`` as a separate process (no input: a question it asks reads end of file)."""
    exe = shutil.which("nepnb", path=str(Path(sys.executable).parent))
    assert exe, "the nepnb console script is not installed next to this Python"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
