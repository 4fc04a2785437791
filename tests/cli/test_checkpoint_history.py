"""`nepnb checkpoint upload` keeps one history per notebook file when git or nbstripout write
versions of it without nepnb's id, and still tells a copy or another file apart."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.nbrun import file_id, notebook_dict, stream, write_notebook


def version(n: int) -> dict[str, Any]:
    return notebook_dict("import math", f"print({n})", outputs=[[], [stream(f"{n}\n")]])


def upload(path: Path, message: str, *extra: str) -> str:
    result = run_cli("checkpoint", "upload", str(path), "-m", message, "--author", "ada", *extra)
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def history(path: Path) -> list[dict[str, Any]]:
    result = run_cli("checkpoint", "list", str(path), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def git(folder: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=ada", "-c", "user.email=ada@example.org", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


pytestmark = pytest.mark.usefixtures("default_project")


def test_a_version_copied_over_the_file_without_the_id_continues_the_history(
    work: Path,
) -> None:
    path = write_notebook(work / "a.ipynb", version(1))
    upload(path, "v1")
    notebook_id = file_id(path)
    v2 = write_notebook(work.parent / "v2.ipynb", version(2))
    shutil.copy(v2, path)  # the id is gone

    printed = upload(path, "v2")
    assert re.search(r"follows [0-9a-f]{12}", printed), printed
    assert "the history kept at this path goes on" in printed
    assert file_id(path) == notebook_id
    listed = history(path)
    assert [c["summary"] for c in listed] == ["v2", "v1"]
    assert {c["notebook_id"] for c in listed} == {notebook_id}


def test_git_checkout_of_a_version_committed_without_the_id_continues_the_history(
    work: Path,
) -> None:
    git(work, "init", "-q")
    path = write_notebook(work / "a.ipynb", version(1))
    git(work, "add", "a.ipynb")
    git(work, "commit", "-q", "-m", "v1")
    first = upload(path, "v1")  # writes the id: the work tree differs from the commit
    assert "notebook id" in first
    git(work, "checkout", "--", "a.ipynb")  # back to the committed file, without the id
    assert file_id(path) is None

    upload(path, "after checkout")
    listed = history(path)
    assert [c["summary"] for c in listed] == ["after checkout", "v1"]
    assert len({c["notebook_id"] for c in listed}) == 1


def test_an_nbstripped_version_continues_the_history(work: Path) -> None:
    path = write_notebook(work / "a.ipynb", version(1))
    upload(path, "v1")
    notebook_id = file_id(path)
    # a team that keeps nepnb's id out of git strips it with the outputs
    subprocess.run(
        [sys.executable, "-m", "nbstripout", "--extra-keys", "metadata.nepnb", str(path)],
        check=True,
    )
    stripped = json.loads(path.read_text())
    assert "nepnb" not in stripped["metadata"] and stripped["cells"][1]["outputs"] == []

    upload(path, "stripped")
    assert file_id(path) == notebook_id
    assert [c["summary"] for c in history(path)] == ["stripped", "v1"]


def test_a_copy_of_another_notebook_at_a_new_path_starts_its_own_history(work: Path) -> None:
    original = write_notebook(work / "a.ipynb", version(1))
    upload(original, "original")
    copy = work / "copy.ipynb"
    shutil.copy(original, copy)
    refused = run_cli("checkpoint", "upload", str(copy), "-m", "mine", "--author", "ada")
    assert refused.returncode == 1 and "looks like a copy" in refused.stderr

    upload(copy, "mine", "--new-id")
    assert file_id(copy) != file_id(original)
    assert [c["summary"] for c in history(copy)] == ["mine"]
    assert [c["summary"] for c in history(original)] == ["original"]


def test_a_copy_of_another_notebook_over_a_path_with_a_history_does_not_join_it(
    work: Path,
) -> None:
    path = write_notebook(work / "a.ipynb", version(1))
    upload(path, "a")
    other = write_notebook(work / "other.ipynb", notebook_dict("print('other')"))
    upload(other, "other")
    shutil.copy(other, path)  # cp other.ipynb a.ipynb

    refused = run_cli("checkpoint", "upload", str(path), "-m", "copied", "--author", "ada")
    assert refused.returncode == 1 and "looks like a copy" in refused.stderr
    assert [c["summary"] for c in history(other)] == ["other"]


def test_another_notebook_renamed_over_a_path_keeps_its_own_history(work: Path) -> None:
    path = write_notebook(work / "a.ipynb", version(1))
    upload(path, "a")
    a_id = file_id(path)
    other = write_notebook(work / "other.ipynb", notebook_dict("print('other')"))
    upload(other, "other")
    other_id = file_id(other)
    other.replace(path)  # mv other.ipynb a.ipynb

    upload(path, "renamed")
    assert file_id(path) == other_id
    assert [c["summary"] for c in history(path)] == ["renamed", "other"]
    assert [c["notebook_id"] for c in history(path)] == [other_id, other_id]
    assert a_id != other_id
