"""Checkpoints over a real local store: ids, history, dedup, copies and moves, messages."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import nbformat
import pytest

from nepnb.exceptions import InvalidValue, NotebookIdentityConflict
from nepnb.notebooks import Checkpoints, normalize_notebook, notebook_id_of, split_message
from nepnb.store.local import LocalStore


def make_notebook(cells: int = 5) -> dict[str, Any]:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for i in range(cells):
        outputs = [nbformat.v4.new_output("stream", text=f"out {i}\n" * 20)]
        cell = nbformat.v4.new_code_cell(f"value_{i} = {i}\nprint(value_{i})", outputs=outputs)
        cell.execution_count = i + 1
        cell.id = f"cell-{i}"  # fixed ids: the same notebook makes the same parts every run
        notebook.cells.append(cell)
    return normalize_notebook(nbformat.from_dict(notebook))


@pytest.fixture
def checkpoints(tmp_path: Path) -> Checkpoints:
    return Checkpoints(LocalStore(tmp_path / "store"), "team/nb")


def upload(checkpoints: Checkpoints, notebook: dict[str, Any], path: str = "a.ipynb", **kw: Any):
    return checkpoints.upload(
        notebook, path=path, message=kw.pop("message", "msg"), author="ada", **kw
    )


def test_first_upload_gives_an_id_and_later_ones_keep_it(checkpoints: Checkpoints) -> None:
    notebook = make_notebook()
    first = upload(checkpoints, notebook, message="First\n\nWith a body")
    assert first.id_assigned and notebook_id_of(first.notebook) == first.notebook_id
    assert notebook_id_of(notebook) is None  # the caller's dict is not changed
    assert first.checkpoint.summary == "First" and first.checkpoint.body == "With a body"
    second = upload(checkpoints, first.notebook, message="Second", runs=["NB-1"])
    assert not second.id_assigned and second.notebook_id == first.notebook_id
    assert second.checkpoint.parent_id == first.checkpoint.id
    assert second.checkpoint.runs == ("NB-1",)
    assert [c.id for c in checkpoints.history(first.notebook)] == [
        second.checkpoint.id,
        first.checkpoint.id,
    ]
    assert checkpoints.history(make_notebook()) == []


def test_content_round_trips_exactly(checkpoints: Checkpoints) -> None:
    notebook = make_notebook()
    notebook["cells"][0]["outputs"].append(
        {"output_type": "execute_result", "execution_count": 7, "metadata": {},
         "data": {"text/plain": "7", "image/png": "iVBORw0KGgo="}}
    )  # fmt: skip
    notebook["cells"].append(
        {"cell_type": "markdown", "source": "# ü", "metadata": {"tags": ["x"]}}
    )
    stored = upload(checkpoints, notebook)
    assert checkpoints.content(stored.checkpoint.id) == stored.notebook
    restored = checkpoints.restored_copy(stored.checkpoint.id[:6])
    assert restored["metadata"]["nepnb"]["restored_from"] == stored.checkpoint.id
    assert restored["cells"] == stored.notebook["cells"]


def test_repeated_checkpoints_of_a_slowly_changing_notebook_cost_little(
    checkpoints: Checkpoints, tmp_path: Path
) -> None:
    notebook = upload(checkpoints, make_notebook(200)).notebook
    store = checkpoints.store
    assert isinstance(store, LocalStore)

    def stored_bytes() -> int:
        with sqlite3.connect(store.db_path) as con:
            return int(con.execute("SELECT sum(length(data)) FROM parts").fetchone()[0])

    first = stored_bytes()
    for round_ in range(20):
        notebook = copy.deepcopy(notebook)
        notebook["cells"][round_ * 7]["source"] += f"\n# edit {round_}"
        result = upload(checkpoints, notebook, message=f"edit {round_}")
        # the new source, the new cell entry, its group of cells (up to three when the edit
        # moves a group boundary) and the manifest
        assert 4 <= result.new_parts <= 6
    per_checkpoint = (stored_bytes() - first) / 20
    # a group of cells (up to 64 digests), the manifest, a cell entry and a source line
    assert per_checkpoint < 4_000, per_checkpoint


def test_a_moved_notebook_keeps_its_history(checkpoints: Checkpoints) -> None:
    first = upload(checkpoints, make_notebook(), path="old/a.ipynb")
    moved = upload(
        checkpoints, first.notebook, path="new/b.ipynb", file_check=lambda path, nid: False
    )
    assert moved.notebook_id == first.notebook_id
    assert moved.checkpoint.parent_id == first.checkpoint.id
    assert checkpoints.notebooks()[0].path == "new/b.ipynb"


def test_a_copied_notebook_is_detected_and_can_get_its_own_history(
    checkpoints: Checkpoints,
) -> None:
    first = upload(checkpoints, make_notebook(), path="a.ipynb")
    still_there = lambda path, nid: path == "a.ipynb"  # noqa: E731
    with pytest.raises(NotebookIdentityConflict, match="looks like a copy") as caught:
        upload(checkpoints, first.notebook, path="copy.ipynb", file_check=still_there)
    assert caught.value.other_path == "a.ipynb"
    assert len(checkpoints.history(first.notebook)) == 1  # nothing stored
    own = upload(
        checkpoints, first.notebook, path="copy.ipynb", file_check=still_there, new_id=True
    )
    assert own.id_assigned and own.notebook_id != first.notebook_id
    assert own.checkpoint.parent_id is None
    same = upload(
        checkpoints, first.notebook, path="copy.ipynb", file_check=still_there, same_history=True
    )
    assert same.checkpoint.parent_id == first.checkpoint.id


@pytest.mark.parametrize(
    ("message", "body", "error"),
    [
        ("", None, "empty"),
        ("\n\n  \n", None, "empty"),
        ("x" * 513, None, "at most 512"),
        ("ok", "y" * 70_000, "at most 65536"),
    ],
)
def test_bad_messages_are_refused_before_anything_is_stored(
    checkpoints: Checkpoints, message: str, body: str | None, error: str
) -> None:
    with pytest.raises(InvalidValue, match=error):
        upload(checkpoints, make_notebook(), message=message, body=body)
    assert checkpoints.notebooks() == []


def test_messages_split_like_git() -> None:
    assert split_message("Summary") == ("Summary", "")
    assert split_message("  Summary  \n\nBody line\nmore\n") == ("Summary", "Body line\nmore")
    assert split_message("Summary\r\n\r\nBody", "extra") == ("Summary", "Body\nextra")
    assert split_message("x" * 512)[0] == "x" * 512
