"""Checkpoints give back exactly what they took: nbformat's and nbdime's test notebooks and
generated histories, uploaded and restored with the `nepnb checkpoint` commands (in process)
over a real local store, compared byte for byte in nbformat's normal form."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from nepnb.cli.main import main
from nepnb.notebooks import Checkpoints, read_notebook
from nepnb.notebooks.format import notebook_json
from nepnb.store.local import LocalStore
from tests.helpers.faithful import (
    CORPUS,
    as_restored_from,
    corpus_id,
    expected_text,
    generated_history,
)

PROJECT = "team/faithful"


@pytest.fixture
def checkpoints(nepnb_home: Path) -> Checkpoints:
    from nepnb.client.config import default_store

    return Checkpoints(default_store(), PROJECT)


def test_cells_sharing_an_output_keep_their_own_execution_counts(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    for count, source in ((1, "1+1"), (2, "2*1")):
        cell = nbformat.v4.new_code_cell(source, execution_count=count)
        cell.outputs = [
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": "2"}, execution_count=count
            )
        ]
        notebook.cells.append(cell)
    checkpoints = Checkpoints(LocalStore(tmp_path / "store"), "team/nb")
    upload = checkpoints.upload(notebook, path="a.ipynb", message="Two twos", author="ada")

    cells = checkpoints.content(upload.checkpoint)["cells"]

    assert [c["outputs"][0]["execution_count"] for c in cells] == [1, 2]
    assert [c["execution_count"] for c in cells] == [1, 2]


def _upload(path: Path, message: str = "A version") -> None:
    assert main(["checkpoint", "upload", str(path), "-m", message, "--project", PROJECT]) == 0


def _restore(path: Path, checkpoint_id: str, to: Path) -> str:
    assert (
        main(
            [
                "checkpoint",
                "restore",
                str(path),
                checkpoint_id,
                "--to",
                str(to),
                "--project",
                PROJECT,
            ]
        )
        == 0
    )
    return to.read_text(encoding="utf-8")


@pytest.mark.parametrize("source", CORPUS, ids=corpus_id)
def test_every_test_notebook_of_nbformat_and_nbdime_comes_back_as_uploaded(
    source: Path, tmp_path: Path, checkpoints: Checkpoints, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes())
    try:
        nbformat.reads(source.read_text(encoding="utf-8"), as_version=4)
    except nbformat.ValidationError:  # nbformat cannot read it: neither does nepnb
        capsys.readouterr()
        assert main(["checkpoint", "upload", str(path), "-m", "x", "--project", PROJECT]) == 1
        error = capsys.readouterr().err
        assert error.startswith(f"nepnb: error: {path.resolve()}") and error.count("\n") == 1
        assert path.read_bytes() == source.read_bytes()
        return

    _upload(path)
    uploaded = path.read_text(encoding="utf-8")  # with the id, when it could be written
    (info,) = checkpoints.history(checkpoints.notebook_at(str(path.resolve())).notebook_id)
    stored = notebook_json(checkpoints.content(info))
    restored = _restore(path, info.id, tmp_path / "restored.ipynb")

    before, after = json.loads(source.read_bytes()), json.loads(uploaded)
    if after != before:  # the user's file: only the id added, nothing else
        assert after["metadata"].pop("nepnb") == {"notebook_id": info.notebook_id}
        assert after == before
    assert stored == expected_text(uploaded, stored, info.notebook_id)
    assert restored == nbformat.writes(nbformat.reads(restored, as_version=4))
    assert as_restored_from(restored, uploaded) == expected_text(uploaded, restored)


@pytest.mark.parametrize("seed", range(6))
def test_generated_histories_with_repeated_outputs_come_back_version_by_version(
    seed: int, tmp_path: Path, checkpoints: Checkpoints
) -> None:
    path = tmp_path / "history.ipynb"
    uploaded = []
    for number, text in enumerate(generated_history(seed)):
        if uploaded:  # the user's next version, saved over the file with its id kept
            notebook = nbformat.reads(text, as_version=4)
            notebook.metadata["nepnb"] = read_notebook(path)["metadata"]["nepnb"]
            text = nbformat.writes(notebook)
        path.write_text(text, encoding="utf-8")
        _upload(path, f"Version {number}")
        uploaded.append(path.read_text(encoding="utf-8"))
    history = checkpoints.history(read_notebook(path))[::-1]
    assert len(history) == len(uploaded)

    for number, (info, text) in enumerate(zip(history, uploaded, strict=True)):
        stored = notebook_json(checkpoints.content(info))
        restored = _restore(path, info.id, tmp_path / f"restored-{number}.ipynb")
        assert stored == expected_text(text, stored, info.notebook_id), f"version {number}"
        assert as_restored_from(restored, text) == expected_text(text, restored), f"v{number}"
