"""What tests share besides fixtures: servers, kernels, notebooks, API calls, browser steps.

Test modules import from here, never from each other; conftest.py files hold fixtures only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

#: init_run() options of runs whose automatic logging would only get in the way of a test.
QUIET: dict[str, Any] = {
    "capture_stdout": False,
    "capture_stderr": False,
    "capture_hardware_metrics": False,
    "git_ref": False,
    "source_files": [],
}
