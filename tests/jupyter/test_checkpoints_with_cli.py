"""The server and the CLI on one store: same histories, whichever records a checkpoint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.jupyter_api import call, error_message, reply, upload
from tests.helpers.nbrun import SIMPLE, file_id, notebook_dict, write_notebook


def cli_upload(path: Path, message: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("checkpoint", "upload", str(path), "-m", message, *extra)


async def test_a_notebook_checkpointed_by_the_cli_and_the_server_keeps_one_history(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "a.ipynb", SIMPLE)
    first = await upload(jp_fetch, "a.ipynb", "From the browser")
    done = cli_upload(path, "From a terminal")  # absolute path: the same file, not a copy
    assert done.returncode == 0, done.stderr
    third = await upload(jp_fetch, "./a.ipynb", "Browser again")  # normalized path
    assert third["checkpoint"]["seq"] == 3
    assert third["notebook_id"] == first["notebook_id"] == file_id(path)


async def test_a_copy_of_a_cli_checkpointed_notebook_is_caught_by_the_server(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "a.ipynb", SIMPLE)
    assert cli_upload(path, "First").returncode == 0
    shutil.copy(path, jp_root_dir / "copy.ipynb")
    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": "copy.ipynb", "message": "m"}
    )
    assert "looks like a copy" in error_message(response, 409)
    assert reply(response)["other_path"] == str(path)


async def test_the_server_restores_a_checkpoint_the_cli_made(jp_fetch, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir / "sub" / "a.ipynb", SIMPLE)
    done = cli_upload(path, "First")
    checkpoint_id = done.stdout.split()[1]
    response = await call(jp_fetch, "checkpoints", checkpoint_id, "restore", method="POST", body={})
    assert response.code == 201, response.body
    restored = reply(response)["path"]
    assert restored == f"sub/a.checkpoint-{checkpoint_id[:8]}.ipynb"
    content = json.loads((jp_root_dir / restored).read_text())
    # The restored file is a notebook of its own: a new id, and where it came from.
    assert content["metadata"]["nepnb"]["notebook_id"] != file_id(path)
    assert content["metadata"]["nepnb"]["restored_from"] == checkpoint_id
    again = await upload(jp_fetch, restored, "Continue from the restored one")
    assert again["checkpoint"]["seq"] == 1


async def test_the_history_of_a_deleted_notebook_can_still_be_listed(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "gone.ipynb", SIMPLE)
    first = await upload(jp_fetch, "gone.ipynb", "Before it was deleted")
    path.unlink()
    response = await call(jp_fetch, "checkpoints", params={"notebook_id": first["notebook_id"]})
    assert [c["summary"] for c in reply(response)["checkpoints"]] == ["Before it was deleted"]
    write_notebook(jp_root_dir / "cli.ipynb", SIMPLE)
    assert cli_upload(jp_root_dir / "cli.ipynb", "By the CLI").returncode == 0
    (jp_root_dir / "cli.ipynb").unlink()
    listed = run_cli("checkpoint", "list", str(jp_root_dir / "cli.ipynb"))
    assert listed.returncode == 0 and "By the CLI" in listed.stdout


async def test_bad_flags_and_messages_are_400(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "n.ipynb", SIMPLE)
    for body, expected in (
        ({"message": ["x", "y"]}, "must be text"),
        ({"message": "m", "new_id": "yes"}, "new_id must be true or false"),
        ({"message": "m", "write_id": 1}, "write_id must be true or false"),
    ):
        response = await call(
            jp_fetch, "checkpoints", method="POST", body={"path": "n.ipynb", **body}
        )
        assert expected in error_message(response, 400)
    assert file_id(jp_root_dir / "n.ipynb") is None  # nothing written on a refused upload


@pytest.mark.slow
def test_first_uploads_from_several_processes_make_one_history(
    tmp_path: Path, nepnb_home: Path
) -> None:
    path = write_notebook(tmp_path / "race.ipynb", notebook_dict("x = 1"))
    exe = Path(sys.executable).parent / "nepnb"
    processes = [
        subprocess.Popen(
            [str(exe), "checkpoint", "upload", str(path), "-m", f"upload {n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    listed = run_cli("checkpoint", "list", str(path), "--json")
    history = json.loads(listed.stdout)
    assert sorted(c["seq"] for c in history) == [1, 2, 3]
    assert {c["notebook_id"] for c in history} == {file_id(path)}


@pytest.mark.slow
def test_a_broken_output_survives_a_cli_restore(tmp_path: Path, nepnb_home: Path) -> None:
    notebook = notebook_dict("x", outputs=[["not an output dict"]])
    path = write_notebook(tmp_path / "broken.ipynb", notebook)
    done = cli_upload(path, "Broken")
    assert done.returncode == 0, done.stderr
    checkpoint_id = done.stdout.split()[1]
    restored = run_cli("checkpoint", "restore", str(path), checkpoint_id)
    assert restored.returncode == 0, restored.stderr
    target = tmp_path / f"broken.checkpoint-{checkpoint_id[:8]}.ipynb"
    assert json.loads(target.read_text())["cells"][0]["outputs"] == ["not an output dict"]
