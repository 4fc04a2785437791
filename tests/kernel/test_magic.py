"""`%load_ext nepnb` registers `%neptune` in a real IPython kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nepnb
from tests.helpers.nbrun import error_of, execute, make_notebook, stream_text


@pytest.mark.kernel
def test_load_ext_registers_neptune_magic(tmp_path: Path, nepnb_home: Path) -> None:
    notebook = execute(
        make_notebook(
            "%load_ext nepnb",
            "%neptune",
            "%neptune version",
            "%neptune?",
            "%neptune bogus",
            "%neptune 'unclosed",
        ),
        tmp_path,
        allow_errors=True,
    )
    load, bare, version, question, bogus, unclosed = notebook.cells
    assert error_of(load) is None
    assert "%neptune: track runs and notebook checkpoints" in stream_text(bare)
    assert stream_text(version).strip() == f"nepnb {nepnb.__version__}"
    # `%neptune?` shows the help through the pager (a payload), not an error.
    assert error_of(question) is None
    # IPython shows a UsageError as one line on stderr, without a traceback.
    assert stream_text(bogus, "stderr") == (
        "UsageError: %neptune: unknown sub-command 'bogus'; known: chart, checkpoint, help, init_run, status, stop, version\n"
    )
    assert stream_text(unclosed, "stderr").startswith("UsageError: %neptune: cannot parse")


def test_import_nepnb_does_not_import_the_server_side() -> None:
    code = (
        "import sys, nepnb\n"
        "heavy = [m for m in ('tornado', 'jupyter_server', 'nepnb.jupyter', 'IPython') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


@pytest.mark.kernel
def test_a_mistaken_option_lists_the_valid_ones_and_points_to_the_help(
    tmp_path: Path, nepnb_home: Path
) -> None:
    notebook = execute(
        make_notebook(
            "%load_ext nepnb", "%neptune init_run --bogus", "%neptune checkpoint --body x"
        ),
        tmp_path,
        allow_errors=True,
    )
    _, bogus, missing = notebook.cells
    assert stream_text(bogus, "stderr") == (
        "UsageError: %neptune init_run: unrecognized arguments: --bogus; valid options: "
        "--project, --name, --description, --tags, --with-id, --custom-run-id, --mode, --var, "
        "--no-capture, --no-checkpoint (see `%neptune?`)\n"
    )
    assert stream_text(missing, "stderr") == (
        "UsageError: %neptune checkpoint: the following arguments are required: -m/--message; "
        "valid options: -m/--message, --body (see `%neptune?`)\n"
    )
