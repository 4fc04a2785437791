"""Comparing two versions of a notebook: cells, source lines, outputs, images, metadata.

Notebooks are built with nbformat's v4 helpers and normalized like every notebook nepnb
reads. Each comparison is also serialized (``to_json`` through ``json.dumps``) and rendered
as text, so no case can produce a structure the UI or the terminal cannot show. The same
comparisons are repeated through a real local store (checkpoints uploaded, then compared).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import random
import re
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat import v4
from PIL import Image, ImageDraw

from nepnb.notebooks.checkpoints import Checkpoints, with_notebook_id
from nepnb.notebooks.compare import (
    CellChange,
    CompareOptions,
    LineOp,
    MetadataChange,
    NotebookDiff,
    compare_notebooks,
    side_of_notebook,
)
from nepnb.notebooks.format import normalize_notebook
from nepnb.notebooks.render import render_diff
from nepnb.store.local import LocalStore

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MAGENTA = (255, 0, 255)

# -- building notebooks ----------------------------------------------------------------------


def notebook(cells: list[Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """A normalized notebook dict (as nepnb reads it) from nbformat cells."""
    node = nbformat.from_dict(v4.new_notebook(cells=cells, metadata=metadata or {}))
    return normalize_notebook(json.loads(nbformat.writes(node)))


def code(source: str, cell_id: str, outputs: list[Any] | None = None, **extra: Any) -> Any:
    return v4.new_code_cell(source, id=cell_id, outputs=outputs or [], **extra)


def markdown(source: str, cell_id: str, **extra: Any) -> Any:
    return v4.new_markdown_cell(source, id=cell_id, **extra)


def stream(text: str, name: str = "stdout") -> Any:
    return v4.new_output("stream", name=name, text=text)


def result(text: str, count: int) -> Any:
    return v4.new_output("execute_result", data={"text/plain": text}, execution_count=count)


def png_output(data: bytes, text: str = "<Figure size 200x150>") -> Any:
    payload = base64.b64encode(data).decode("ascii")
    return v4.new_output("display_data", data={"image/png": payload, "text/plain": text})


def error(ename: str, evalue: str, traceback: list[str]) -> Any:
    return v4.new_output("error", ename=ename, evalue=evalue, traceback=traceback)


def encode_png(image: Image.Image, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def plot_image(seed: int, width: int = 200, height: int = 150) -> Image.Image:
    """Something like a small matplotlib plot: white background, a few coloured lines."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([10, 10, width - 10, height - 10], outline=(0, 0, 0))
    for line in range(3):
        points = [
            (x, height / 2 + height * 0.3 * np.sin(x / (15 + seed) + line) + rng.normal())
            for x in range(12, width - 12, 4)
        ]
        draw.line(points, fill=(int(rng.integers(256)), 40 * line, 200), width=2)
    return image


def gradient_image(size: int = 100) -> Image.Image:
    yy, xx = np.mgrid[0:size, 0:size]
    pixels = np.stack([xx * 2 + 20, yy * 2 + 20, (xx + yy) + 20], axis=2).astype(np.uint8)
    return Image.fromarray(pixels)


# -- comparing -------------------------------------------------------------------------------


def compare(a: dict[str, Any], b: dict[str, Any], **options: Any) -> NotebookDiff:
    """Compare in memory; the result must always serialize and render."""
    diff = compare_notebooks(
        side_of_notebook(a, "A"), side_of_notebook(b, "B"), CompareOptions(**options)
    )
    json.dumps(diff.to_json())
    render_diff(diff)
    render_diff(diff, color=True, show_unchanged=True)
    return diff


def layout(diff: NotebookDiff) -> list[tuple[str, int | None, int | None]]:
    return [(cell.status, cell.a_index, cell.b_index) for cell in diff.cells]


def ops(line_ops: list[LineOp] | None) -> list[tuple[str, Any]]:
    assert line_ops is not None
    return [(op.op, op.count if op.op == "skip" else op.lines) for op in line_ops]


def shown_lines(line_ops: list[LineOp]) -> int:
    return sum(len(op.lines) for op in line_ops if op.op not in ("skip", "omitted"))


def accounted_lines(line_ops: list[LineOp]) -> int:
    return sum(op.count if op.op in ("skip", "omitted") else len(op.lines) for op in line_ops)


def five_cells() -> dict[str, Any]:
    return notebook(
        [
            markdown("# Analysis\nLoading the data.", "md0"),
            code("import math\nx = 2", "c1", execution_count=1),
            code(
                "y = math.sqrt(x)\nprint(y)",
                "c2",
                [stream("1.4142135623730951\n")],
                execution_count=2,
            ),
            code("z = y * 10\nz", "c3", [result("14.142135623730951", 3)], execution_count=3),
            markdown("## Done", "md4"),
        ],
        {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


# -- identical, changed source ---------------------------------------------------------------


def test_identical_notebooks_have_no_changes() -> None:
    a = five_cells()
    diff = compare(a, copy.deepcopy(a))
    assert diff.identical
    assert diff.summary_line() == "no changes"
    assert diff.summary == {
        "added": 0,
        "removed": 0,
        "moved": 0,
        "changed": 0,
        "unchanged": 5,
        "metadata": 0,
    }
    assert layout(diff) == [("unchanged", i, i) for i in range(5)]
    assert [cell.cell_id for cell in diff.cells] == ["md0", "c1", "c2", "c3", "md4"]
    assert [cell.cell_type for cell in diff.cells] == [
        "markdown",
        "code",
        "code",
        "code",
        "markdown",
    ]
    assert diff.metadata == []
    data = diff.to_json()
    assert data["summary_line"] == "no changes"
    assert data["a"] == "A" and data["b"] == "B" and data["outputs_compared"] is True
    assert data["cells"][1] == {
        "status": "unchanged",
        "a_index": 1,
        "b_index": 1,
        "cell_type": "code",
        "cell_id": "c1",
        "moved": False,
    }
    text = render_diff(diff)
    assert text == "--- A\n+++ B\nSummary: no changes\n"


def test_a_changed_source_gives_a_line_diff_that_keeps_every_equal_line() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    a["cells"][2]["source"] = "y = math.sqrt(x)\nw = 1\nprint(y)\nprint(w)\nprint(x)\nend = True"
    b["cells"][2]["source"] = "y = math.sqrt(x)\nw = 2\nv = 3\nprint(y)\nprint(x)\nend = True"
    a["cells"][2]["outputs"] = b["cells"][2]["outputs"] = []
    diff = compare(a, b)
    assert layout(diff) == [
        ("unchanged", 0, 0),
        ("unchanged", 1, 1),
        ("changed", 2, 2),
        ("unchanged", 3, 3),
        ("unchanged", 4, 4),
    ]
    cell = diff.cells[2]
    assert cell.cell_id == "c2" and cell.cell_type == "code" and not cell.moved
    assert cell.source_a == a["cells"][2]["source"]
    assert cell.source_b == b["cells"][2]["source"]
    assert ops(cell.source_diff) == [
        ("equal", ["y = math.sqrt(x)"]),
        ("delete", ["w = 1"]),
        ("insert", ["w = 2", "v = 3"]),
        ("equal", ["print(y)"]),
        ("delete", ["print(w)"]),
        ("equal", ["print(x)", "end = True"]),
    ]
    assert cell.changed_parts == ["source"]
    assert cell.metadata == [] and cell.execution_count is None
    assert diff.summary_line() == "1 changed; 4 unchanged"
    data = diff.to_json()["cells"][2]
    assert data["status"] == "changed" and data["changed_parts"] == ["source"]
    assert data["source_diff"][2] == {"op": "insert", "lines": ["w = 2", "v = 3"]}


def test_source_diff_keeps_long_equal_runs_of_source() -> None:
    """Source is shown whole: no equal line of a cell is cut to a skip, however long."""
    lines = [f"step_{k} = {k}" for k in range(40)]
    a = notebook([code("\n".join(lines), "c0")])
    changed = [*lines]
    changed[20] = "step_20 = -1"
    b = notebook([code("\n".join(changed), "c0")])
    diff = compare(a, b, context=1)
    assert ops(diff.cells[0].source_diff) == [
        ("equal", lines[:20]),
        ("delete", ["step_20 = 20"]),
        ("insert", ["step_20 = -1"]),
        ("equal", lines[21:]),
    ]


# -- added, removed, moved -------------------------------------------------------------------


@pytest.mark.parametrize(("position", "label"), [(0, "start"), (2, "middle"), (5, "end")])
def test_an_added_cell(position: int, label: str) -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    new = notebook([code(f"added_{label} = True\nprint('{label}')", "new", [stream("x\ny\n")])])
    b["cells"].insert(position, new["cells"][0])
    diff = compare(a, b)
    expected: list[tuple[str, int | None, int | None]] = []
    for j in range(6):
        if j == position:
            expected.append(("added", None, j))
        else:
            expected.append(("unchanged", j if j < position else j - 1, j))
    assert layout(diff) == expected
    cell = diff.cells[position]
    assert cell.cell_id == "new" and cell.cell_type == "code"
    assert cell.source_a is None
    assert cell.source_b == f"added_{label} = True\nprint('{label}')"
    assert [(o.status, o.a_index, o.b_index, o.output_type, o.kind) for o in cell.outputs] == [
        ("added", None, 0, "stream", "text")
    ]
    assert cell.outputs[0].preview == ["x", "y"]
    assert diff.summary_line() == "1 added; 5 unchanged"
    text = render_diff(diff)
    assert (
        f"## cell {position + 1} [code] added\n+ added_{label} = True\n+ print('{label}')\n" in text
    )


@pytest.mark.parametrize("position", [0, 2, 4])
def test_a_removed_cell(position: int) -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    gone = b["cells"].pop(position)
    diff = compare(a, b)
    expected: list[tuple[str, int | None, int | None]] = []
    for i in range(5):
        if i == position:
            expected.append(("removed", i, None))
        else:
            expected.append(("unchanged", i, i if i < position else i - 1))
    assert layout(diff) == expected
    cell = diff.cells[position]
    assert cell.cell_id == gone["id"] and cell.cell_type == gone["cell_type"]
    assert cell.source_a == gone["source"] and cell.source_b is None
    assert diff.summary_line() == "1 removed; 4 unchanged"
    removed_lines = "".join(f"- {line}\n" for line in gone["source"].splitlines())
    assert f"## cell {position + 1} [{gone['cell_type']}] removed\n{removed_lines}" in render_diff(
        diff
    )


def test_a_removed_cell_lists_its_outputs() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    del b["cells"][2]
    cell = compare(a, b).cells[2]
    assert [
        (o.status, o.a_index, o.b_index, o.output_type, o.kind, o.mime) for o in cell.outputs
    ] == [("removed", 0, None, "stream", "text", "stream/stdout")]
    assert cell.outputs[0].preview == ["1.4142135623730951"]


def test_a_moved_cell_with_unchanged_content() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"].append(b["cells"].pop(1))
    diff = compare(a, b)
    assert layout(diff) == [
        ("unchanged", 0, 0),
        ("unchanged", 2, 1),
        ("unchanged", 3, 2),
        ("unchanged", 4, 3),
        ("moved", 1, 4),
    ]
    moved = diff.cells[4]
    assert moved.cell_id == "c1" and moved.moved
    assert moved.source_diff is None and moved.changed_parts == []
    assert diff.summary == {
        "added": 0,
        "removed": 0,
        "moved": 1,
        "changed": 0,
        "unchanged": 4,
        "metadata": 0,
    }
    assert not diff.identical
    assert diff.summary_line() == "1 moved; 4 unchanged"
    assert diff.to_json()["cells"][4]["status"] == "moved"
    assert "## cell 2 → 5 [code] moved\n" in render_diff(diff)


def test_a_moved_and_changed_cell_is_found_by_its_id() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    cell = b["cells"].pop(1)
    cell["source"] = "import math\nx = 3"
    b["cells"].insert(3, cell)
    diff = compare(a, b)
    assert layout(diff) == [
        ("unchanged", 0, 0),
        ("unchanged", 2, 1),
        ("unchanged", 3, 2),
        ("changed", 1, 3),
        ("unchanged", 4, 4),
    ]
    change = diff.cells[3]
    assert change.moved and change.cell_id == "c1"
    assert ops(change.source_diff) == [
        ("equal", ["import math"]),
        ("delete", ["x = 2"]),
        ("insert", ["x = 3"]),
    ]
    assert change.changed_parts == ["source"]
    assert diff.summary["changed"] == 1 and diff.summary["moved"] == 1
    assert diff.summary_line() == "1 changed, 1 moved; 4 unchanged"
    data = diff.to_json()["cells"][3]
    assert data["status"] == "changed" and data["moved"] is True
    assert "## cell 2 → 4 [code] moved and changed (source)\n" in render_diff(diff)


def test_several_changes_in_one_notebook() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"][1]["source"] = "import math\nx = 5"  # changed
    del b["cells"][3]  # removed c3
    b["cells"].insert(0, notebook([markdown("Intro", "intro")])["cells"][0])  # added at start
    b["cells"].append(notebook([code("print('bye')", "bye")])["cells"][0])  # added at end
    # b: intro, md0, c1', c2, md4, bye
    diff = compare(a, b)
    assert layout(diff) == [
        ("added", None, 0),
        ("unchanged", 0, 1),
        ("changed", 1, 2),
        ("unchanged", 2, 3),
        ("removed", 3, None),
        ("unchanged", 4, 4),
        ("added", None, 5),
    ]
    assert diff.summary == {
        "added": 2,
        "removed": 1,
        "moved": 0,
        "changed": 1,
        "unchanged": 3,
        "metadata": 0,
    }
    assert diff.summary_line() == "1 changed, 2 added, 1 removed; 3 unchanged"
    assert diff.to_json()["summary"] == diff.summary


# -- execution counts are a change; volatile metadata is not ---------------------------------


def test_only_the_execution_count_changed() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"][1]["execution_count"] = 5
    diff = compare(a, b)
    assert layout(diff) == [("unchanged", 0, 0), ("changed", 1, 1)] + [
        ("unchanged", i, i) for i in range(2, 5)
    ]
    assert diff.cells[1].execution_count == (1, 5)
    assert diff.cells[1].changed_parts == ["execution count"]
    assert diff.cells[2].execution_count is None
    assert not diff.identical and not diff.to_json()["identical"]
    assert diff.summary_line() == "1 changed; 4 unchanged"
    text = render_diff(diff)
    assert "## cell 2 [code] changed (execution count)" in text
    assert "  execution count 1 → 5" in text
    # without outputs, how the notebook was run is left out with them
    hidden = compare(a, b, outputs=False)
    assert hidden.identical and hidden.summary_line() == "no changes"
    assert hidden.to_json()["identical"]


def test_an_execute_result_whose_only_change_is_its_count() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"][3]["execution_count"] = 9
    b["cells"][3]["outputs"][0]["execution_count"] = 9
    diff = compare(a, b)
    cell = diff.cells[3]
    assert (cell.status, cell.a_index, cell.b_index) == ("changed", 3, 3)
    assert cell.changed_parts == ["execution count"]
    assert cell.execution_count == (3, 9)
    assert [(o.status, o.a_index, o.b_index) for o in cell.outputs] == [("unchanged", 0, 0)]
    assert not diff.identical
    # with the source changed too, the output is still reported unchanged
    b["cells"][3]["source"] = "z = y * 100\nz"
    cell = compare(a, b).cells[3]
    assert cell.status == "changed" and cell.changed_parts == ["source", "execution count"]
    assert [(o.status, o.a_index, o.b_index) for o in cell.outputs] == [("unchanged", 0, 0)]
    assert cell.execution_count == (3, 9)
    text = render_diff(compare(a, b))
    assert "  execution count 3 → 9" in text
    assert "output 1" not in text


def test_volatile_cell_metadata_is_ignored() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"][1]["metadata"] = {
        "execution": {
            "iopub.execute_input": "2024-05-01T10:00:00.000Z",
            "shell.execute_reply": "2024-05-01T10:00:01.000Z",
        },
        "collapsed": True,
        "scrolled": "auto",
        "jupyter": {"source_hidden": True, "outputs_hidden": True},
        "ExecuteTime": {"end_time": "2024-05-01T10:00:01", "start_time": "2024-05-01T10:00:00"},
    }
    b["cells"][2]["metadata"] = {"collapsed": False}
    diff = compare(a, b)
    assert layout(diff) == [("unchanged", i, i) for i in range(5)]
    assert all(cell.metadata == [] for cell in diff.cells)
    assert diff.identical


def test_a_real_cell_metadata_change_is_reported() -> None:
    a = five_cells()
    a["cells"][3]["metadata"] = {"tags": ["slow"], "collapsed": True}
    b = copy.deepcopy(a)
    b["cells"][1]["metadata"] = {"tags": ["parameters"], "scrolled": True}
    b["cells"][3]["metadata"] = {"tags": ["slow", "plot"], "collapsed": False}
    diff = compare(a, b)
    assert layout(diff) == [
        ("unchanged", 0, 0),
        ("changed", 1, 1),
        ("unchanged", 2, 2),
        ("changed", 3, 3),
        ("unchanged", 4, 4),
    ]
    assert diff.cells[1].metadata == [MetadataChange("tags", "added", None, ["parameters"])]
    assert diff.cells[3].metadata == [MetadataChange("tags", "changed", ["slow"], ["slow", "plot"])]
    assert diff.cells[1].changed_parts == ["metadata"]
    assert diff.cells[1].source_diff is None
    data = diff.to_json()["cells"][3]
    assert data["metadata"] == [
        {"key": "tags", "status": "changed", "a": ["slow"], "b": ["slow", "plot"]}
    ]
    assert data["changed_parts"] == ["metadata"]
    text = render_diff(diff)
    assert '## cell 2 [code] changed (metadata)\n  metadata:\n    + tags: ["parameters"]\n' in text
    assert '    ~ tags: ["slow"] → ["slow", "plot"]' in text


def test_notebook_metadata_changes_are_reported_and_nepnb_own_key_ignored() -> None:
    a = five_cells()
    a["metadata"]["nepnb"] = {"notebook_id": "aaaa"}
    b = copy.deepcopy(a)
    b["metadata"]["nepnb"] = {"notebook_id": "bbbb", "restored_from": "1234"}
    assert compare(a, b).identical  # only nepnb's own key differs

    b["metadata"]["kernelspec"] = {"name": "julia-1.10", "display_name": "Julia 1.10"}
    b["metadata"]["language_info"] = {"name": "julia"}
    del a["metadata"]["nepnb"]
    diff = compare(a, b)
    assert diff.metadata == [
        MetadataChange(
            "kernelspec",
            "changed",
            {"name": "python3", "display_name": "Python 3", "language": "python"},
            {"name": "julia-1.10", "display_name": "Julia 1.10"},
        ),
        MetadataChange("language_info", "added", None, {"name": "julia"}),
    ]
    assert layout(diff) == [("unchanged", i, i) for i in range(5)]
    assert not diff.identical
    assert diff.summary["metadata"] == 2
    assert diff.summary_line() == "2 notebook metadata change(s); 5 unchanged"
    assert diff.to_json()["metadata"][1] == {
        "key": "language_info",
        "status": "added",
        "a": None,
        "b": {"name": "julia"},
    }
    text = render_diff(diff)
    assert "notebook metadata:\n  ~ kernelspec: " in text
    assert '  + language_info: {"name": "julia"}\n' in text


# -- outputs ---------------------------------------------------------------------------------


def test_a_changed_stream_output_is_diffed_with_context() -> None:
    lines = [f"epoch {k}: loss {1 / (k + 1):.4f}" for k in range(20)]
    new = [*lines]
    new[10] = "epoch 10: loss nan"
    a = notebook([code("train()", "t", [stream("\n".join(lines) + "\n")], execution_count=1)])
    b = notebook([code("train()", "t", [stream("\n".join(new) + "\n")], execution_count=2)])
    diff = compare(a, b)
    cell = diff.cells[0]
    assert (cell.status, cell.a_index, cell.b_index) == ("changed", 0, 0)
    assert cell.changed_parts == ["outputs", "execution count"] and cell.source_diff is None
    assert cell.execution_count == (1, 2)
    [output] = cell.outputs
    assert (output.status, output.a_index, output.b_index) == ("changed", 0, 0)
    assert (output.output_type, output.kind, output.mime) == ("stream", "text", "stream/stdout")
    assert ops(output.text_diff) == [
        ("skip", 7),
        ("equal", lines[7:10]),
        ("delete", [lines[10]]),
        ("insert", ["epoch 10: loss nan"]),
        ("equal", lines[11:14]),
        ("skip", 6),
    ]
    data = diff.to_json()["cells"][0]["outputs"][0]
    assert data["text_diff"][0] == {"op": "skip", "count": 7}
    assert data["text_diff"][3] == {"op": "insert", "lines": ["epoch 10: loss nan"]}
    text = render_diff(diff)
    assert "## cell 1 [code] changed (outputs, execution count)\n  execution count 1 → 2\n" in text
    assert "  output 1 (stream/stdout) changed\n      … 7 unchanged line(s)\n" in text
    assert f"    - {lines[10]}\n    + epoch 10: loss nan\n" in text


def long_output_pair(size: int, changed: list[int] | None) -> tuple[dict, dict]:
    """One cell whose ``size``-line output has the lines ``changed`` changed (None: all)."""
    if changed is None:
        old = [f"old {k}" for k in range(size)]
        new = [f"new {k}" for k in range(size)]
    else:
        old = [f"row {k:05d} value {k * 7 % 13}" for k in range(size)]
        new = [f"row {k:05d} value CHANGED" if k in changed else old[k] for k in range(size)]
    a = notebook([code("dump()", "d", [stream("\n".join(old))])])
    b = notebook([code("dump()", "d", [stream("\n".join(new))])])
    return a, b


@pytest.mark.parametrize("context", [0, 1, 3, 10])
def test_a_long_output_with_one_changed_line_shows_bounded_context(context: int) -> None:
    a, b = long_output_pair(1_000, [432])
    lines = a["cells"][0]["outputs"][0]["text"].splitlines()
    [output] = compare(a, b, context=context).cells[0].outputs
    assert output.status == "changed"
    line_ops = output.text_diff
    assert line_ops is not None
    assert shown_lines(line_ops) <= 2 * context + 2
    assert [op.op for op in line_ops if op.op in ("delete", "insert")] == ["delete", "insert"]
    assert [op.lines for op in line_ops if op.op in ("delete", "insert")] == [
        [lines[432]],
        ["row 00432 value CHANGED"],
    ]
    assert [op.count for op in line_ops if op.op == "skip"] == [432 - context, 567 - context]
    assert accounted_lines(line_ops) == 1_001  # 999 equal lines, one deleted, one inserted
    expected_equal = [*lines[432 - context : 432], *lines[433 : 433 + context]]
    assert [line for op in line_ops if op.op == "equal" for line in op.lines] == expected_equal


@pytest.fixture(scope="module")
def huge_output() -> NotebookDiff:
    """A cell whose 5,000-line output changed on every line, compared once (bench/checkpoints.py
    times this case)."""
    a, b = long_output_pair(5_000, None)
    return compare_notebooks(side_of_notebook(a, "A"), side_of_notebook(b, "B"))


def test_a_huge_changed_output_is_truncated_to_max_lines(huge_output: NotebookDiff) -> None:
    diff = huge_output
    json.dumps(diff.to_json())
    [output] = diff.cells[0].outputs
    line_ops = output.text_diff
    assert line_ops is not None
    assert shown_lines(line_ops) == 400
    assert line_ops[0].op == "delete" and line_ops[0].lines[:2] == ["old 0", "old 1"]
    assert [op.op for op in line_ops] == ["delete", "omitted"]
    assert line_ops[-1].count == 9_600
    assert accounted_lines(line_ops) == 10_000
    text = render_diff(diff)
    assert len(text.splitlines()) < 420
    assert "9600" in text

    a, b = long_output_pair(300, None)
    [output] = compare(a, b, max_lines=50).cells[0].outputs
    assert output.text_diff is not None
    assert shown_lines(output.text_diff) == 50
    assert [op.op for op in output.text_diff] == ["delete", "omitted"]
    assert output.text_diff[-1].count == 550


def test_truncated_changed_lines_are_not_called_unchanged(huge_output: NotebookDiff) -> None:
    """Every line of this output changed: the lines left out must not be shown as unchanged."""
    text = render_diff(huge_output)
    omitted = [line for line in text.splitlines() if "9600" in line]
    assert omitted, text[-500:]
    assert all("unchanged" not in line for line in omitted), omitted


def test_outputs_added_and_removed() -> None:
    a = notebook(
        [
            code("print(1)", "p", [stream("1\n")]),
            code("f()", "f", [stream("start\n"), stream("warning\n", "stderr")]),
        ]
    )
    b = copy.deepcopy(a)
    b["cells"][0]["outputs"].append(
        notebook([code("", "x", [result("42", 1)])])["cells"][0]["outputs"][0]
    )
    del b["cells"][1]["outputs"][1]
    diff = compare(a, b)
    assert layout(diff) == [("changed", 0, 0), ("changed", 1, 1)]
    added, removed = diff.cells
    assert added.changed_parts == removed.changed_parts == ["outputs"]
    assert [(o.status, o.a_index, o.b_index, o.output_type, o.kind) for o in added.outputs] == [
        ("unchanged", 0, 0, "stream", "text"),
        ("added", None, 1, "execute_result", "text"),
    ]
    assert added.outputs[1].mime == "text/plain" and added.outputs[1].preview == ["42"]
    assert [(o.status, o.a_index, o.b_index, o.output_type, o.mime) for o in removed.outputs] == [
        ("unchanged", 0, 0, "stream", None),
        ("removed", 1, None, "stream", "stream/stderr"),
    ]
    assert removed.outputs[1].preview == ["warning"]
    text = render_diff(diff)
    assert "  output 2 (text/plain) added\n    + 42\n" in text
    assert "  output 2 (stream/stderr) removed\n    - warning\n" in text


def test_unchanged_outputs_of_a_changed_cell_keep_their_type() -> None:
    """A UI laying out both sides needs to know what each unchanged output is."""
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"][2]["source"] = "y = math.sqrt(x)\nprint(y)  # again"
    [output] = compare(a, b).cells[2].outputs
    assert (output.status, output.a_index, output.b_index) == ("unchanged", 0, 0)
    assert (output.output_type, output.kind) == ("stream", "text")


def test_error_outputs_are_diffed_without_ansi_codes() -> None:
    def traceback(value: str) -> list[str]:
        return [
            "\x1b[0;31m---------------------------------------------------------------\x1b[0m",
            "\x1b[0;31mZeroDivisionError\x1b[0m    Traceback (most recent call last)",
            "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m",
            f"\x1b[0;31mZeroDivisionError\x1b[0m: {value}",
        ]

    def failing(value: str) -> dict[str, Any]:
        return notebook([code("1/0", "e", [error("ZeroDivisionError", value, traceback(value))])])

    a, b = failing("division by zero"), failing("float division")
    diff = compare(a, b)
    cell = diff.cells[0]
    assert cell.status == "changed" and cell.changed_parts == ["outputs"]
    [output] = cell.outputs
    assert (output.status, output.output_type, output.kind, output.mime) == (
        "changed",
        "error",
        "error",
        None,
    )
    assert ops(output.text_diff) == [
        (
            "equal",
            [
                "---------------------------------------------------------------",
                "ZeroDivisionError    Traceback (most recent call last)",
                "Cell In[3], line 1",
                "----> 1 1",
            ],
        ),
        ("delete", ["ZeroDivisionError: division by zero"]),
        ("insert", ["ZeroDivisionError: float division"]),
    ]
    assert "\\u001b" not in json.dumps(diff.to_json())
    assert "\x1b" not in render_diff(diff)
    assert "\x1b" in a["cells"][0]["outputs"][0]["traceback"][0]


# -- images ----------------------------------------------------------------------------------


def test_a_re_encoded_image_with_the_same_pixels_is_unchanged() -> None:
    image = gradient_image()
    fast, small = encode_png(image, compress_level=0), encode_png(image, compress_level=9)
    assert fast != small
    a = notebook([code("plot()", "p", [png_output(fast)])])
    b = notebook([code("plot()", "p", [png_output(small)])])
    diff = compare(a, b)
    cell = diff.cells[0]
    assert (cell.status, cell.a_index, cell.b_index) == ("unchanged", 0, 0)
    [output] = cell.outputs
    assert (output.status, output.kind, output.mime) == ("unchanged", "image", "image/png")
    assert "same pixels" in output.note
    assert output.image is not None and output.image["changed"] is False
    assert output.image["diff_png"] is None
    assert diff.identical

    b["cells"][0]["source"] = "plot(dpi=100)"
    diff = compare(a, b)
    data = diff.to_json()["cells"][0]
    assert data["status"] == "changed" and data["changed_parts"] == ["source"]
    assert data["outputs"][0]["status"] == "unchanged"
    assert "same pixels" in data["outputs"][0]["note"]


def test_a_changed_image_patch_is_measured_and_drawn() -> None:
    image = gradient_image()
    patched = image.copy()
    patched.paste((255, 255, 0), (40, 50, 50, 60))  # 10x10 of 100x100
    a = notebook([code("plot()", "p", [png_output(encode_png(image))])])
    b = notebook([code("plot()", "p", [png_output(encode_png(patched))])])
    diff = compare(a, b)
    cell = diff.cells[0]
    assert (cell.status, cell.changed_parts) == ("changed", ["outputs"])
    [output] = cell.outputs
    assert (output.status, output.a_index, output.b_index) == ("changed", 0, 0)
    assert (output.output_type, output.kind, output.mime) == ("display_data", "image", "image/png")
    assert output.image is not None
    assert output.image["changed"] is True
    assert output.image["changed_fraction"] == pytest.approx(0.01)
    assert 0 < output.image["score"] < 0.01
    assert output.image["size_a"] == [100, 100] and output.image["size_b"] == [100, 100]
    data = json.loads(json.dumps(diff.to_json()))
    encoded = data["cells"][0]["outputs"][0]["image"]["diff_png"]
    picture = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert picture.format == "PNG" and picture.size == (100, 100)
    pixels = np.asarray(picture.convert("RGB"))
    marked = np.all(pixels == np.array(MAGENTA, dtype=np.uint8), axis=-1)
    assert int(marked.sum()) == 100
    assert marked[50:60, 40:50].all()
    text = render_diff(diff)
    assert "  output 1 (image/png) changed: 1.0% of pixels differ" in text


def shown_by_ipython(image: Image.Image) -> Any:
    """The output IPython gives a PIL image: PNG and JPEG of it (base64, as in the file)."""
    # IPython's own display formatter, without a global shell that later tests would find
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(image)
    assert {"image/png", "image/jpeg"} <= set(data)
    return v4.new_output(
        "display_data",
        data={
            mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
            for mime, value in data.items()
        },
    )


def test_a_pil_image_is_compared_by_its_png_not_its_jpeg() -> None:
    image = plot_image(0, 300, 200)
    patched = image.copy()
    patched.paste((255, 255, 0), (40, 50, 70, 80))  # 900 pixels of 60,000: 1.5%
    a = notebook([code("image", "p", [shown_by_ipython(image)])])
    b = notebook([code("image", "p", [shown_by_ipython(patched)])])
    [output] = compare(a, b, for_viewer=True).cells[0].outputs
    assert (output.status, output.mime) == ("changed", "image/png")
    assert output.image is not None
    assert output.image["changed_fraction"] == pytest.approx(900 / 60_000)
    assert output.image_data is not None
    assert Image.open(io.BytesIO(base64.b64decode(output.image_data["b"]))).format == "PNG"
    assert output.note == ""  # the JPEG is the same picture: not "also changed"

    # Same picture, only the JPEG re-encoded (another quality): unchanged.
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=60)
    b = notebook([code("image", "p", [shown_by_ipython(image)])])
    b["cells"][0]["outputs"][0]["data"]["image/jpeg"] = base64.b64encode(jpeg.getvalue()).decode()
    [output] = compare(a, b).cells[0].outputs
    assert (output.status, output.mime) == ("unchanged", "image/png")
    assert "same pixels" in output.note


def test_images_false_only_says_the_image_differs() -> None:
    image = gradient_image()
    patched = image.copy()
    patched.paste((0, 0, 0), (0, 0, 10, 10))
    a = notebook([code("plot()", "p", [png_output(encode_png(image))])])
    b = notebook([code("plot()", "p", [png_output(encode_png(patched))])])
    diff = compare(a, b, images=False)
    [output] = diff.cells[0].outputs
    assert (output.status, output.kind, output.mime) == ("changed", "image", "image/png")
    assert output.image is None and output.note == "image differs"
    assert "image" not in diff.to_json()["cells"][0]["outputs"][0]
    assert "  output 1 (image/png) changed: image differs" in render_diff(diff)


# -- hiding outputs --------------------------------------------------------------------------


def test_outputs_false_hides_output_changes() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"][2]["outputs"] = [stream("2.0\n"), stream("more\n")]
    b["cells"][3]["outputs"] = []
    b["cells"].append(notebook([code("g()", "g", [stream("g\n")])])["cells"][0])
    diff = compare(a, b, outputs=False)
    assert layout(diff) == [*[("unchanged", i, i) for i in range(5)], ("added", None, 5)]
    assert all(cell.outputs == [] for cell in diff.cells)
    assert diff.summary_line() == "1 added; 5 unchanged"
    data = diff.to_json()
    assert data["outputs_compared"] is False
    assert data["cells"][5]["outputs"] == []
    text = render_diff(diff)
    assert "(outputs not compared)" in text
    assert "output" not in text.replace("(outputs not compared)", "")

    del b["cells"][5]
    assert compare(a, b, outputs=False).identical
    assert not compare(a, b).identical


def test_outputs_false_still_reports_a_moved_cell_whose_output_changed() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    cell = b["cells"].pop(2)
    cell["outputs"] = [stream("2.0\n")]
    b["cells"].append(cell)
    diff = compare(a, b, outputs=False)
    assert layout(diff) == [
        ("unchanged", 0, 0),
        ("unchanged", 1, 1),
        ("unchanged", 3, 2),
        ("unchanged", 4, 3),
        ("moved", 2, 4),
    ]
    assert diff.summary["moved"] == 1
    assert not diff.identical


def test_a_changed_markdown_attachment_is_a_change() -> None:
    def attached(data: bytes) -> dict[str, Any]:
        payload = base64.b64encode(data).decode("ascii")
        cell = markdown(
            "![plot](attachment:plot.png)", "m", attachments={"plot.png": {"image/png": payload}}
        )
        return notebook([cell])

    image = gradient_image()
    patched = image.copy()
    patched.paste((0, 0, 0), (0, 0, 30, 30))
    diff = compare(attached(encode_png(image)), attached(encode_png(patched)))
    assert not diff.identical
    assert diff.cells[0].status == "changed"


# -- rendering -------------------------------------------------------------------------------


def test_render_diff_text_and_colors() -> None:
    a = five_cells()
    b = copy.deepcopy(a)
    b["cells"][2]["source"] = "y = math.sqrt(x) + 1\nprint(y)"
    b["cells"][2]["outputs"] = [stream("2.414213562373095\n")]
    diff = compare(a, b)
    plain = render_diff(diff)
    assert plain.startswith("--- A\n+++ B\nSummary: 1 changed; 4 unchanged\n")
    assert (
        "\n## cell 3 [code] changed (source, outputs)\n"
        "- y = math.sqrt(x)\n"
        "+ y = math.sqrt(x) + 1\n"
        "  print(y)\n"
        "  output 1 (stream/stdout) changed\n"
        "    - 1.4142135623730951\n"
        "    + 2.414213562373095\n"
    ) in plain
    assert "\x1b" not in plain
    assert "] unchanged" not in plain and "## cell 1 " not in plain

    colored = render_diff(diff, color=True)
    assert "\x1b[31m- y = math.sqrt(x)\x1b[0m" in colored
    assert "\x1b[32m+ y = math.sqrt(x) + 1\x1b[0m" in colored
    assert ANSI.sub("", colored) == plain

    everything = render_diff(diff, show_unchanged=True)
    for position, kind in [(1, "markdown"), (2, "code"), (4, "code"), (5, "markdown")]:
        assert f"## cell {position} [{kind}] unchanged" in everything
    assert "## cell 3 [code] changed (source, outputs)" in everything


# -- through a real store --------------------------------------------------------------------


def scenario(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    a = five_cells()
    image = gradient_image()
    a["cells"].insert(
        3,
        notebook([code("plot()", "img", [png_output(encode_png(image))])])["cells"][0],
    )
    b = copy.deepcopy(a)
    if name == "identical":
        pass
    elif name == "changed":
        b["cells"][2]["source"] = "y = math.sqrt(x)\nprint(y, x)"
        b["cells"][2]["outputs"][0]["text"] = "1.4142135623730951 2\n"
    elif name == "added-removed":
        del b["cells"][1]
        b["cells"].insert(4, notebook([code("new()", "new", [stream("n\n")])])["cells"][0])
    elif name == "moved":
        b["cells"].insert(0, b["cells"].pop(4))
        moved = b["cells"].pop(2)
        moved["source"] += "\n# edited"
        b["cells"].append(moved)
    elif name == "image":
        patched = image.copy()
        patched.paste((255, 255, 0), (10, 10, 20, 20))
        b["cells"][3]["outputs"] = [png_output(encode_png(patched))]
    elif name == "metadata":
        b["metadata"]["kernelspec"] = {"name": "other", "display_name": "Other"}
        b["cells"][1]["metadata"]["tags"] = ["parameters"]
        b["cells"][4]["execution_count"] = 30
        b["cells"][4]["outputs"][0]["execution_count"] = 30
    return a, b


SCENARIOS = ["identical", "changed", "added-removed", "moved", "image", "metadata"]


def without_labels(diff: NotebookDiff) -> dict[str, Any]:
    data = diff.to_json()
    del data["a"], data["b"]
    return data


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("options", [{}, {"outputs": False}, {"context": 0, "images": False}])
def test_store_compare_matches_in_memory(
    tmp_path: Path, name: str, options: dict[str, Any]
) -> None:
    a, b = scenario(name)
    checkpoints = Checkpoints(LocalStore(tmp_path), "team/p")
    first = checkpoints.upload(a, path="analysis.ipynb", message="first", author="ada")
    second = checkpoints.upload(
        with_notebook_id(b, first.notebook_id),
        path="analysis.ipynb",
        message="second",
        author="ada",
    )
    expected = compare(a, b, **options)
    by_ids = checkpoints.compare(
        first.checkpoint.id, second.checkpoint.id, CompareOptions(**options)
    )
    with_current = checkpoints.compare(first.checkpoint.id, b, CompareOptions(**options))
    infos = checkpoints.compare(first.checkpoint, second.checkpoint, CompareOptions(**options))
    assert without_labels(by_ids) == without_labels(expected)
    assert without_labels(with_current) == without_labels(expected)
    assert without_labels(infos) == without_labels(expected)
    assert by_ids.a.startswith(f"checkpoint {first.checkpoint.id[:8]}")
    assert "(first)" in by_ids.a and "(second)" in by_ids.b
    assert with_current.b == "current notebook"
    json.dumps(by_ids.to_json())
    assert render_diff(by_ids).split("\n", 2)[2] == render_diff(expected).split("\n", 2)[2]
    if name == "identical":
        assert by_ids.identical and with_current.identical


def test_store_compare_gives_exact_results(tmp_path: Path) -> None:
    a, b = scenario("moved")
    checkpoints = Checkpoints(LocalStore(tmp_path), "team/p")
    first = checkpoints.upload(a, path="analysis.ipynb", message="first", author="ada")
    diff = checkpoints.compare(first.checkpoint.id, b)
    # a: md0 c1 c2 img c3 md4 -> b: c3 md0 c2 img md4 c1'
    assert layout(diff) == [
        ("moved", 4, 0),
        ("unchanged", 0, 1),
        ("unchanged", 2, 2),
        ("unchanged", 3, 3),
        ("unchanged", 5, 4),
        ("changed", 1, 5),
    ]
    assert diff.cells[5].cell_id == "c1" and diff.cells[0].cell_id == "c3"
    assert diff.cells[5].moved and diff.cells[5].changed_parts == ["source"]
    assert diff.summary_line() == "1 changed, 2 moved; 4 unchanged"


# -- speed -----------------------------------------------------------------------------------


def big_notebooks() -> tuple[dict[str, Any], dict[str, Any], dict[str, set[int]]]:
    """1,000 cells, every code cell with a 200x150 PNG; b changes chosen, spaced-out cells."""
    images = [encode_png(plot_image(seed)) for seed in range(20)]
    cells = []
    for k in range(1_000):
        if k % 25 == 0:
            cells.append(markdown(f"## Section {k // 25}\nNotes for part {k}.", f"m{k}"))
            continue
        outputs = [
            stream(f"cell {k}: loss={1 / (k + 1):.6f} acc={(k * 37 % 100) / 100:.2f}\n" * 3),
            png_output(images[k % 20], f"<Figure {k}>"),
        ]
        source = f"x_{k} = run(step={k})\nplot(x_{k}, title='step {k}')"
        cells.append(code(source, f"c{k}", outputs, execution_count=k + 1))
    a = notebook(cells, {"kernelspec": {"name": "python3", "display_name": "Python 3"}})

    rng = random.Random(4)
    code_slots = [s for s in range(3, 1_000, 6) if s % 25 != 0]  # code cells 6 apart
    rng.shuffle(code_slots)
    picked = {
        "image": set(code_slots[:20]),
        "source": set(code_slots[20:70]),
        "removed": set(code_slots[70:80]),
        "before": set(code_slots[80:90]),  # a new cell is inserted before these
    }
    b_cells = []
    for k, cell in enumerate(a["cells"]):
        if k in picked["before"]:
            outputs = [stream(f"inserted {k}\n"), png_output(images[(k + 7) % 20])]
            new = code(f"extra_{k} = inspect({k})", f"new{k}", outputs)
            b_cells.append(notebook([new])["cells"][0])
        if k in picked["removed"]:
            continue
        cell = copy.deepcopy(cell)
        if k in picked["source"]:
            cell["source"] += f"\nprint(x_{k}.mean())"
        if k in picked["image"]:
            picture = plot_image(k % 20)
            ImageDraw.Draw(picture).rectangle([60, 40, 90, 70], fill=(k % 256, 0, 0))
            cell["outputs"][1]["data"]["image/png"] = base64.b64encode(encode_png(picture)).decode()
        b_cells.append(cell)
    b = {**a, "cells": b_cells}
    return a, b, picked


def check_big_diff(diff: NotebookDiff, picked: dict[str, set[int]]) -> None:
    assert diff.summary == {
        "added": 10,
        "removed": 10,
        "moved": 0,
        "changed": 70,
        "unchanged": 920,
        "metadata": 0,
    }
    by_status: dict[str, set[int]] = {}
    for cell in diff.cells:
        index = cell.b_index if cell.status == "added" else cell.a_index
        assert index is not None
        by_status.setdefault(cell.status, set()).add(index)
    assert by_status["removed"] == picked["removed"]
    assert by_status["changed"] == picked["image"] | picked["source"]
    assert len(by_status["added"]) == 10
    for cell in diff.cells:
        if cell.status != "changed":
            continue
        if cell.a_index in picked["source"]:
            assert cell.changed_parts == ["source"]
        else:
            assert cell.changed_parts == ["outputs"]
            image = cell.outputs[1].image
            assert image is not None and image["changed"]
            assert 0 < image["changed_fraction"] < 0.05


def test_a_notebook_full_of_images_diffs_in_memory_and_from_the_store(tmp_path: Path) -> None:
    a, b, picked = big_notebooks()
    compare(notebook([code("warm", "w")]), notebook([code("up", "w")]))  # import nbdime first

    diff = compare_notebooks(side_of_notebook(a, "A"), side_of_notebook(b, "B"))
    check_big_diff(diff, picked)

    checkpoints = Checkpoints(LocalStore(tmp_path), "team/p")
    first = checkpoints.upload(a, path="big.ipynb", message="first", author="ada")
    second = checkpoints.upload(
        with_notebook_id(b, first.notebook_id), path="big.ipynb", message="second", author="ada"
    )
    stored = checkpoints.compare(first.checkpoint.id, second.checkpoint.id)
    check_big_diff(stored, picked)


# -- properties ------------------------------------------------------------------------------

WORDS = ["x = 1", "y = 2", "print(x)", "plot(y)", "", "import os", "z = x + y"]


@st.composite
def notebooks_and_edits(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    def random_cell(cell_id: str) -> Any:
        source = "\n".join(draw(st.lists(st.sampled_from(WORDS), max_size=3)))
        if draw(st.booleans()):
            return markdown(source, cell_id)
        texts = draw(st.lists(st.sampled_from(["1\n", "2\n", "hello\n"]), max_size=2))
        return code(source, cell_id, [stream(text) for text in texts])

    size = draw(st.integers(0, 10))
    a = notebook([random_cell(f"a{k}") for k in range(size)])
    cells = copy.deepcopy(a["cells"])
    for step in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["insert", "delete", "modify", "tag", "move"]))
        if action == "insert" or not cells:
            new = notebook([random_cell(f"n{step}")])["cells"][0]
            cells.insert(draw(st.integers(0, len(cells))), new)
        elif action == "delete":
            del cells[draw(st.integers(0, len(cells) - 1))]
        elif action == "modify":
            cell = cells[draw(st.integers(0, len(cells) - 1))]
            cell["source"] = draw(st.sampled_from(WORDS)) + "\n" + cell["source"]
            if cell["cell_type"] == "code" and draw(st.booleans()):
                cell["outputs"] = [stream(draw(st.sampled_from(["3\n", "hello\nworld\n"])))]
        elif action == "tag":
            cell = cells[draw(st.integers(0, len(cells) - 1))]
            cell["metadata"] = {"tags": [f"t{step}"], "collapsed": draw(st.booleans())}
        else:
            cell = cells.pop(draw(st.integers(0, len(cells) - 1)))
            cells.insert(draw(st.integers(0, len(cells))), cell)
    b = notebook(cells)
    return a, b


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notebooks_and_edits())
def test_any_edits_give_a_consistent_diff(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    a, b = pair
    diff = compare(a, b)
    cells_a, cells_b = a["cells"], b["cells"]
    statuses = [cell.status for cell in diff.cells]
    count = {name: statuses.count(name) for name in ("unchanged", "changed", "moved", "added")}
    count["removed"] = statuses.count("removed")
    assert count["unchanged"] + count["changed"] + count["moved"] + count["removed"] == len(cells_a)
    assert count["unchanged"] + count["changed"] + count["moved"] + count["added"] == len(cells_b)
    moved_and_changed = sum(1 for c in diff.cells if c.status == "changed" and c.moved)
    assert diff.summary == {**count, "moved": count["moved"] + moved_and_changed, "metadata": 0}

    a_indices = sorted(c.a_index for c in diff.cells if c.a_index is not None)
    b_order = [c.b_index for c in diff.cells if c.b_index is not None]
    assert a_indices == list(range(len(cells_a)))
    assert b_order == list(range(len(cells_b)))  # each b cell once, in b's order
    for cell in diff.cells:
        check_cell(cell, cells_a, cells_b)
    if a == b:
        assert diff.identical
    if diff.identical:
        assert [c["source"] for c in cells_a] == [c["source"] for c in cells_b]


def check_cell(cell: CellChange, cells_a: list[Any], cells_b: list[Any]) -> None:
    """What one cell of the diff says agrees with the two notebooks."""
    if cell.a_index is None:
        assert cell.b_index is not None
        assert cell.status == "added" and cell.source_b == cells_b[cell.b_index]["source"]
        return
    if cell.b_index is None:
        assert cell.status == "removed" and cell.source_a == cells_a[cell.a_index]["source"]
        return
    old, new = cells_a[cell.a_index], cells_b[cell.b_index]
    tags_old, tags_new = old["metadata"].get("tags"), new["metadata"].get("tags")
    assert cell.cell_id == new["id"]
    assert ("source" in cell.changed_parts) == (old["source"] != new["source"])
    assert ("outputs" in cell.changed_parts) == (old.get("outputs") != new.get("outputs"))
    assert ("metadata" in cell.changed_parts) == (tags_old != tags_new)
    if cell.status in ("unchanged", "moved"):
        assert cell.changed_parts == []
    else:
        assert cell.status == "changed" and cell.changed_parts != []
    assert cell.moved == (cell.status == "moved" or (cell.moved and cell.status == "changed"))
    if cell.status == "moved":  # relative to its neighbours: the indices may even be equal
        assert cell.moved
    if cell.status == "unchanged":
        assert not cell.moved


def test_a_changed_json_output_behind_the_same_text_is_a_change() -> None:
    def with_data(data: dict[str, Any]) -> dict[str, Any]:
        return normalize_notebook(
            {
                "nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{
                    "cell_type": "code", "source": "show()", "metadata": {}, "execution_count": 1,
                    "outputs": [{"output_type": "display_data", "metadata": {}, "data": data}],
                }],
            }
        )  # fmt: skip

    for a, b, mime in (
        ({"application/json": {"a": 1}}, {"application/json": {"a": 2}}, "application/json"),
        ({"image/svg+xml": "<svg>1</svg>"}, {"image/svg+xml": "<svg>2</svg>"}, "image/svg+xml"),
        ({"text/html": "<b>1</b>"}, {"text/html": "<b>2</b>"}, "text/html"),
    ):
        placeholder = {"text/plain": "<IPython.core.display.Object>"}
        diff = compare_notebooks(
            side_of_notebook(with_data({**placeholder, **a}), "A"),
            side_of_notebook(with_data({**placeholder, **b}), "B"),
        )
        assert diff.summary_line() == "1 changed; 0 unchanged"
        [output] = diff.cells[0].outputs
        assert output.status == "changed" and output.mime == mime
        assert output.text_diff is not None
        assert any(op.op == "insert" for op in output.text_diff)


def test_for_a_viewer_the_diff_carries_unchanged_sources_and_changed_images() -> None:
    old_plot, new_plot = encode_png(plot_image(1)), encode_png(plot_image(2))
    added_plot = encode_png(plot_image(3))
    a = notebook(
        [
            code("import numpy", "i"),
            code("plot()", "p", [png_output(old_plot)]),
            code("show()", "s", [stream("shown\n")]),
        ]
    )
    b = copy.deepcopy(a)
    b["cells"][1]["outputs"] = [png_output(new_plot)]
    b["cells"][2]["outputs"].append(png_output(added_plot))
    plain = compare(a, b).to_json()
    viewer = compare(a, b, for_viewer=True).to_json()

    assert "source" not in plain["cells"][0]
    assert viewer["cells"][0] == {**plain["cells"][0], "source": "import numpy"}
    [changed] = [o for o in viewer["cells"][1]["outputs"] if o["status"] == "changed"]
    assert base64.b64decode(changed["image_data"]["a"]) == old_plot
    assert base64.b64decode(changed["image_data"]["b"]) == new_plot
    [added] = [o for o in viewer["cells"][2]["outputs"] if o["status"] == "added"]
    assert added["image_data"] == {"b": base64.b64encode(added_plot).decode()}
    # Without the option nothing heavy travels.
    assert all("image_data" not in o for cell in plain["cells"] for o in cell.get("outputs", []))


def test_nbdime_matches_cells_on_short_stand_ins_for_images_and_long_texts() -> None:
    """nbdime's approximate matching is quadratic in output length (seconds on a notebook of
    plots and tables); it gets digests of images and the start of long texts instead, and
    still pairs edited cells."""
    from nepnb.notebooks.compare import MATCH_TEXT_CHARS, _for_nbdime

    table = "<table>" + "".join(f"<tr><td>{k}</td><td>{k * k}</td></tr>" for k in range(2000))
    plot = encode_png(plot_image(5))
    html = {"output_type": "display_data", "data": {"text/html": table}, "metadata": {}}
    cell = code("show()", "t", [html, png_output(plot)])
    seen = _for_nbdime(cell)
    texts = [v for o in seen["outputs"] for v in o["data"].values()]
    assert all(len(v if isinstance(v, str) else "".join(v)) <= MATCH_TEXT_CHARS + 64 for v in texts)
    assert seen["outputs"][0]["data"]["text/html"].startswith(table[:MATCH_TEXT_CHARS])
    assert cell["outputs"][0]["data"]["text/html"] == table  # the cell itself is untouched

    # Three neighbouring cells edited (a region nbdime aligns): each still pairs with its old self.
    cells_a = [
        code(f"rows = table({k})\nshow(rows)", f"c{k}", [copy.deepcopy(html)]) for k in range(3)
    ]
    cells_b = copy.deepcopy(cells_a)
    for k, edited in enumerate(cells_b):
        edited["source"] = f"rows = table({k})\nshow(rows, top=5)"
        edited["outputs"][0]["data"]["text/html"] = table.replace("<td>7</td>", f"<td>{k}</td>")
        edited["id"] = f"d{k}"  # new ids: the pairing is by content
    diff = compare(notebook(cells_a), notebook(cells_b))
    assert layout(diff) == [("changed", 0, 0), ("changed", 1, 1), ("changed", 2, 2)]
