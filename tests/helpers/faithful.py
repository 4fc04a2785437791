"""What "faithful" means for checkpoints, shared by the notebooks, CLI and Jupyter tests.

A checkpoint gives back what was uploaded in nbformat's normal form: the text
``nbformat.writes(nbformat.reads(text, as_version=4))`` of the file as it was uploaded. The
corpus is every test notebook of nbformat and nbdime (tests/data), and generated histories
with repeated outputs.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from pathlib import Path
from typing import Any

import nbformat

DATA = Path(__file__).resolve().parents[1] / "data"
#: Every notebook of nbformat's and nbdime's test folders.
CORPUS = sorted((DATA / "nbformat").glob("*.ipynb")) + sorted((DATA / "nbdime").glob("*.ipynb"))
METADATA_KEY = "nepnb"


def corpus_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def normal_form(text: str) -> str:
    """nbformat's normal form of a notebook's text (read as version 4, written back)."""
    return nbformat.writes(nbformat.reads(text, as_version=4))


def expected_text(uploaded: str, got: str, notebook_id: str | None = None) -> str:
    """The normal form of the ``uploaded`` file text, to compare with ``got`` byte for byte.

    A file nepnb could not write its id into (read-only, an old format) is stored with the
    ``notebook_id`` it was given. nbformat invents random cell ids when it reads an old
    format (or a 4.5 notebook without them); only then are the ids of ``got`` taken, after
    checking that they are all that differs between two readings.
    """
    first, second = normal_form(uploaded), normal_form(uploaded)
    ours = json.loads(first)
    if first != second:
        assert _without_ids(ours) == _without_ids(json.loads(second)), "nbformat is not stable"
        theirs = json.loads(got)
        if len(theirs["cells"]) == len(ours["cells"]):
            for mine, other in zip(ours["cells"], theirs["cells"], strict=True):
                if "id" in mine and "id" in other:
                    mine["id"] = other["id"]
    own = ours["metadata"].get(METADATA_KEY)
    if notebook_id is not None and not (isinstance(own, dict) and own.get("notebook_id")):
        ours["metadata"][METADATA_KEY] = {**(own or {}), "notebook_id": notebook_id}
    return nbformat.writes(nbformat.from_dict(ours))


def _without_ids(notebook: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(notebook)
    for cell in stripped["cells"]:
        cell.pop("id", None)
    return stripped


def as_restored_from(restored: str, uploaded: str) -> str:
    """A restored file's text with the nepnb metadata of the uploaded file put back: the one
    thing a restored copy changes on purpose (its own notebook id, where it came from)."""
    notebook = json.loads(restored)
    own = json.loads(normal_form(uploaded))["metadata"].get(METADATA_KEY)
    marks = notebook["metadata"].pop(METADATA_KEY)
    assert set(marks) >= {"notebook_id", "restored_from", "restored_from_notebook"}, marks
    if own is not None:
        notebook["metadata"][METADATA_KEY] = own
    return nbformat.writes(nbformat.from_dict(notebook))


# -- generated histories ---------------------------------------------------------------------

_PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()


def _repeated_output(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Outputs that many cells share: the same result, warning or picture."""
    kind = rng.choice(["result", "stream", "picture", "error", "none", "mixed"])
    if kind == "result":
        return [
            nbformat.v4.new_output(
                "execute_result",
                data={"text/plain": rng.choice(["2", "None", "[1, 2]"])},
                execution_count=count,
            )
        ]
    if kind == "stream":
        return [nbformat.v4.new_output("stream", text="UserWarning: deprecated\n" * 3)]
    if kind == "picture":
        return [
            nbformat.v4.new_output(
                "display_data", data={"image/png": _PNG, "text/plain": "<Figure>"}
            ),
            nbformat.v4.new_output(
                "execute_result",
                data={"image/png": _PNG, "text/plain": "<Figure>"},
                execution_count=count,
            ),
        ]
    if kind == "error":
        return [nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=["x"])]
    if kind == "mixed":
        return [
            nbformat.v4.new_output("stream", text="2\n"),
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": "2"}, execution_count=count
            ),
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": "2"}, execution_count=count
            ),
        ]
    return []


def generated_history(seed: int, versions: int = 12) -> list[str]:
    """File texts of one notebook edited and re-run ``versions`` times: cells added, removed,
    moved and re-run, many of them with the same outputs under different counts."""
    rng = random.Random(seed)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    counter = 0
    texts = []
    for version in range(versions):
        action = rng.choice(["add", "add", "remove", "move", "edit", "rerun"])
        cells = notebook.cells
        if action == "add" or not cells:
            cells.insert(rng.randint(0, len(cells)), nbformat.v4.new_code_cell(f"x = {version}"))
        elif action == "remove":
            cells.pop(rng.randrange(len(cells)))
        elif action == "move":
            cells.insert(rng.randint(0, len(cells) - 1), cells.pop(rng.randrange(len(cells))))
        elif action == "edit":
            rng.choice(cells).source += f"\ny = {version}"
        if rng.random() < 0.3:
            cells.append(nbformat.v4.new_markdown_cell(f"# Part {version}"))
        for cell in cells:  # run top to bottom, as "Run all" does
            if cell.cell_type == "code" and (action == "rerun" or rng.random() < 0.6):
                counter += 1
                cell.execution_count = counter
                cell.outputs = _repeated_output(rng, counter)
        texts.append(nbformat.writes(notebook))
    return texts
