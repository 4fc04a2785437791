"""Every operation type of the Neptune client 1.x (neptune.internal.operation) maps to nepnb:
a log holding each of them, written by the real client, imports value by value."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

import nepnb
from nepnb.client.config import local_store
from nepnb.importers.neptune import import_neptune
from nepnb.importers.neptune_ops import NEPTUNE_OPERATIONS
from tests.helpers.neptune_client import SCRIPTS, clean_env

#: The first test to ask for the Neptune client may create its venv (pip, about a minute).
pytestmark = pytest.mark.timeout(900)


PROJECT = "workspace/operations"


@pytest.fixture(scope="module")
def all_operations(
    neptune_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str]]:
    """(the folder holding .neptune, every operation type the client knows)."""
    workdir = tmp_path_factory.mktemp("neptune-operations")
    proc = subprocess.run(
        [str(neptune_python), str(SCRIPTS / "all_operations.py")],
        cwd=workdir,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir, json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_operation_type_has_a_mapping(all_operations: tuple[Path, list[str]]) -> None:
    _, types = all_operations
    assert len(types) == 24
    assert set(types) == set(NEPTUNE_OPERATIONS)


def test_every_operation_type_imports(
    all_operations: tuple[Path, list[str]], nepnb_home: Path, tmp_path: Path
) -> None:
    workdir, types = all_operations
    log = next((workdir / ".neptune" / "offline").glob("*/data-1.log")).read_text()
    logged = {json.loads(line)["obj"]["type"] for line in log.splitlines()}
    assert logged >= set(types) - {
        # written by the scenario's run instead (tests/importers/test_import_neptune.py)
        "AssignDatetime", "AssignFloat", "AssignInt", "DeleteAttribute", "LogImages",
        "RemoveStrings", "TrackFilesToArtifact", "UploadFile",
    }  # fmt: skip
    summary = import_neptune(workdir, local_store(), PROJECT)  # type: ignore[arg-type]
    [result] = summary.results
    run = nepnb.init_run(project=PROJECT, with_id=result.sys_id, mode="read-only")

    cleared = run["series/cleared"].fetch_values(include_timestamp=False)
    assert cleared["step"].tolist() == [0.0] and cleared["value"].tolist() == [5.0]
    assert run["text/cleared"].fetch_values().empty
    assert run["set/tags"].fetch() == {"c"}
    run["set/files"].download(str(tmp_path / "files.zip"))
    with zipfile.ZipFile(tmp_path / "files.zip") as archive:
        assert archive.namelist() == ["files/keep.txt"]  # drop.txt was deleted
        assert archive.read("files/keep.txt") == b"keep.txt"
    run["legacy/content"].download(str(tmp_path / "content.txt"))
    assert (tmp_path / "content.txt").read_bytes() == b"from 0.x"
    assert run["artifact/assigned"].fetch_hash() == "f" * 64
    assert run["artifact/cleared"].fetch_files_list() == []
    assert run["artifact/cleared"].fetch_hash() != "e" * 64
    assert run.exists("series/configured")
    assert run["series/configured"].fetch_values().empty
    # A copy of another object's field on Neptune's server: reported, not imported
    assert not run.exists("copied")
    [warning] = result.warnings
    assert warning.startswith("copied: copies 'x' of run a-neptune-id from Neptune's server")
