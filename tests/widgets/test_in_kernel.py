"""The chart in a real kernel: what the notebook's outputs hold, the magic, nbconvert."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from PIL import Image

from tests.helpers.nbrun import error_of, execute, make_notebook, stream_text

pytestmark = pytest.mark.kernel

WIDGET = "application/vnd.jupyter.widget-view+json"
SETUP = (
    "import nepnb\n%load_ext nepnb\n"
    "%neptune init_run --name live --no-checkpoint\n"
    "run['sys/tags'].add('x')"
)


def chart_outputs(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [out for out in cell.outputs if WIDGET in out.get("data", {})]


def test_a_chart_over_a_loop_leaves_its_final_picture_in_the_notebook(
    tmp_path: Path, nepnb_home: Path
) -> None:
    notebook = execute(
        make_notebook(
            SETUP,
            "run['train/loss'].chart()\n"
            "for i in range(2000):\n"
            "    run['train/loss'].append(1 / (1 + i))",
            "run['other'].append(1.0)",
            "run.stop()",
        ),
        tmp_path,
    )
    _, loop, _, stop = notebook.cells
    assert error_of(loop) is None and error_of(stop) is None
    (output,) = chart_outputs(loop)
    assert output.output_type == "display_data"
    # Shown when the loop had not run; brought up to date after the cells that followed.
    assert "train/loss: 2,000 points, step 0 to 1999" in output.data["text/plain"]
    picture = Image.open(io.BytesIO(base64.b64decode(output.data["image/png"])))
    assert picture.format == "PNG"

    # Where widgets do not render, nbconvert shows the picture: a notebook saved by
    # JupyterLab (which keeps no widget state by default) exported to HTML.
    notebook.metadata.pop("widgets", None)
    notebook_file = tmp_path / "saved.ipynb"
    nbformat.write(notebook, notebook_file)
    html, _ = HTMLExporter().from_filename(str(notebook_file))
    assert f'src="data:image/png;base64,{output.data["image/png"]}' in html.replace("\n", "")


def test_chart_as_the_last_expression_is_shown_once(tmp_path: Path, nepnb_home: Path) -> None:
    notebook = execute(
        make_notebook(SETUP, "run['m'].append(1.0)\nrun['m'].chart()", "run.stop()"), tmp_path
    )
    assert len(chart_outputs(notebook.cells[1])) == 1


def test_the_magic_charts_the_open_run_and_stored_ones(tmp_path: Path, nepnb_home: Path) -> None:
    notebook = execute(
        make_notebook(
            SETUP,
            "for i in range(10):\n    run['a'].append(float(i))\n    run['b'].append(-float(i))\n"
            "run.wait()",
            "%neptune chart a b --x time --log",
            "other = nepnb.init_run(mode='sync', capture_hardware_metrics=False)\n"
            "other['a'].extend([1.0, 2.0]); other.stop()",
            "%neptune chart a --runs DEF-2 run",
            "w = nepnb.chart(['DEF-1', 'DEF-2'], 'a', show=False); w.x_axis, len(w.series)",
            "run.stop()",
        ),
        tmp_path,
    )
    cells = notebook.cells
    assert all(error_of(cell) is None for cell in cells)
    (magic,) = chart_outputs(cells[2])
    assert "a: 10 points, time" in magic.data["text/plain"]
    assert "b: 10 points" in magic.data["text/plain"]
    (several,) = chart_outputs(cells[4])
    assert "DEF-2 a: 2 points" in several.data["text/plain"]
    assert "DEF-1 (live) a: 10 points" in several.data["text/plain"]
    assert cells[5].outputs[0].data["text/plain"] == "('step', 2)"


def test_magic_mistakes_are_one_line_usage_errors(tmp_path: Path, nepnb_home: Path) -> None:
    notebook = execute(
        make_notebook(
            "%load_ext nepnb",
            "%neptune chart a",
            "%neptune chart",
            "%neptune init_run --no-checkpoint\nrun['s'].append('text'); run.wait()",
            "%neptune chart s",
            "%neptune chart a --smoothing 3",
            "run.stop()",
            "%neptune chart nope/x --runs DEF-1",
            "%neptune chart a --runs NOPE-1",
        ),
        tmp_path,
        allow_errors=True,
    )
    cells = notebook.cells
    errors = [stream_text(cell, "stderr") for cell in cells]
    assert errors[1] == (
        "UsageError: %neptune chart: no run is open in this kernel; name runs with --runs ID ...\n"
    )
    assert "the following arguments are required: paths" in errors[2]
    assert errors[4].startswith("UsageError: %neptune chart: field 's' is a StringSeries")
    assert errors[5].startswith("UsageError: %neptune chart: smoothing must be between 0 and 0.99")
    assert errors[7].startswith("UsageError: %neptune chart: there is no field 'nope/x' in DEF-1")
    assert errors[8].startswith("UsageError: %neptune chart: ") and "NOPE-1" in errors[8]
    assert all("Traceback" not in text for text in errors)
    assert not any(chart_outputs(cell) for cell in cells)
