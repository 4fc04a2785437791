"""`nepnb checkpoint upload` writes only the notebook id into the user's file: the rest of its
content, its layout, mode and owner stay; a read-only or old-format file is not written.
(The command runs in process over a real local store: it is the same code as the script.)"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import nbformat
import pytest

from nepnb.cli.main import main
from tests.helpers.faithful import DATA

PROJECT = "team/ids"


def upload(path: Path, capsys: pytest.CaptureFixture[str], message: str = "A version") -> str:
    assert main(["checkpoint", "upload", str(path), "-m", message, "--project", PROJECT]) == 0
    return capsys.readouterr().out


def listed(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert main(["checkpoint", "list", str(path), "--json", "--project", PROJECT]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_id_is_the_only_change_and_the_layout_is_kept(
    nepnb_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = DATA / "nbformat" / "v4_5_no_cell_id.ipynb"  # nbformat would add cell ids
    path = tmp_path / "a.ipynb"
    notebook = json.loads(source.read_bytes())
    notebook["cells"][0]["metadata"]["trusted"] = True  # nbformat would drop it
    original = json.dumps(notebook, indent=2, ensure_ascii=True)  # not nbformat's layout
    path.write_text(original)

    out = upload(path, capsys)

    written = path.read_text()
    notebook_id = json.loads(written)["metadata"]["nepnb"]["notebook_id"]
    assert f"notebook id {notebook_id} written to" in out
    notebook["metadata"]["nepnb"] = {"notebook_id": notebook_id}
    assert written == json.dumps(notebook, indent=2, ensure_ascii=True)


@pytest.mark.parametrize("mode", [0o664, 0o640, 0o755])
def test_writing_the_id_keeps_the_mode_and_owner(
    mode: int, nepnb_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.ipynb"
    shutil.copy(DATA / "nbformat" / "test4.5.ipynb", path)
    path.chmod(mode)
    owner = (os.getuid(), os.getgid())
    if os.getuid() == 0:  # as root, also a file owned by someone else
        owner = (4242, 4343)
        os.chown(path, *owner)

    upload(path, capsys)

    status = path.stat()
    assert "nepnb" in json.loads(path.read_text())["metadata"]
    assert stat.S_IMODE(status.st_mode) == mode
    assert (status.st_uid, status.st_gid) == owner


def test_a_read_only_file_is_not_written_and_its_history_goes_on_by_path(
    nepnb_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.ipynb"
    shutil.copy(DATA / "nbformat" / "test4.5.ipynb", path)
    path.chmod(0o444)
    before = path.read_bytes()

    first = upload(path, capsys)
    second = upload(path, capsys, "Again")

    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    (note,) = [line for line in first.splitlines() if "not written" in line]
    assert f"notebook id not written to {path}: it is read-only" in note
    assert "not written" in second
    assert [c["summary"] for c in listed(path, capsys)] == ["Again", "A version"]


@pytest.mark.parametrize(
    ("name", "version"), [("test2.ipynb", 2), ("test3.ipynb", 3), ("test3_no_min_version.ipynb", 3)]
)
def test_an_old_format_file_is_read_by_nbformat_and_never_rewritten(
    name: str, version: int, nepnb_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    shutil.copy(DATA / "nbformat" / name, path)
    before = path.read_bytes()

    out = upload(path, capsys)
    upload(path, capsys, "Again")

    assert path.read_bytes() == before  # not converted to nbformat 4, not joined
    assert f"not written to {path}: it is in nbformat {version}" in out
    assert len(listed(path, capsys)) == 2
    stored = tmp_path / "restored.ipynb"
    checkpoint = listed(path, capsys)[-1]["id"]
    assert (
        main(
            [
                "checkpoint",
                "restore",
                str(path),
                checkpoint,
                "--to",
                str(stored),
                "--project",
                PROJECT,
            ]
        )
        == 0
    )
    theirs = nbformat.reads(before.decode(), as_version=4)
    ours = nbformat.read(stored, as_version=4)
    assert [c.source for c in ours.cells] == [c.source for c in theirs.cells]
    assert [c.get("outputs") for c in ours.cells] == [c.get("outputs") for c in theirs.cells]
