"""Damaged or unexpected Neptune data: a clear message, and nothing half-imported silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nepnb
from nepnb.cli.main import main
from nepnb.client.config import local_store
from nepnb.exceptions import NeptuneDataError
from nepnb.importers.neptune import ImportSummary, import_neptune
from nepnb.importers.neptune_folder import LogReader
from nepnb.store.base import ObjectKind
from tests.helpers.neptune_client import NeptuneData

#: The first test to ask for the Neptune client may create its venv (pip, about a minute).
pytestmark = pytest.mark.timeout(900)


PROJECT = "workspace/bad"


def _log(data_dir: Path) -> Path:
    [log] = (data_dir / "offline").glob("*/data-1.log")
    return log


def _import(data_dir: Path) -> ImportSummary:
    return import_neptune(data_dir, local_store(), PROJECT)  # type: ignore[arg-type]


def _runs() -> list[str]:
    try:
        return [o.sys_id for o in local_store().list_objects(PROJECT, ObjectKind.RUN)]
    except nepnb.exceptions.NepnbError:
        return []


def test_folder_without_neptune_data(
    tmp_path: Path, nepnb_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-neptune", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"nepnb: error: no Neptune client data in {tmp_path}")
    assert "Traceback" not in err
    assert main(["import-neptune", str(tmp_path / "missing")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_damaged_log_imports_nothing_of_its_run(
    offline_data: NeptuneData,
    tmp_path: Path,
    nepnb_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = offline_data.copy_to(tmp_path)
    log = _log(data)
    lines = log.read_text().splitlines(keepends=True)
    lines[4] = '{"obj": {"type": "AssignFloat", "pa\n'  # a damaged line, not the last one
    log.write_text("".join(lines))
    assert main(["import-neptune", str(data), "--project", PROJECT]) == 1
    captured = capsys.readouterr()
    assert f"{log}, line 5: not a Neptune operation record" in captured.err
    assert "this container was not imported" in captured.err
    assert "Traceback" not in captured.err
    assert "Imported 0 object(s)" in captured.out and "1 folder(s) not imported" in captured.out
    assert _runs() == []  # nothing of it was written


def test_partial_last_record_is_tolerated(
    offline_data: NeptuneData, tmp_path: Path, nepnb_home: Path
) -> None:
    data = offline_data.copy_to(tmp_path)
    log = _log(data)
    text = log.read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    assert json.loads(last)["obj"]["type"] == "DeleteAttribute"  # del run["temporary"]
    log.write_text(text[: len(text) - len(last) // 2 - 1])  # killed while writing it
    summary = _import(data)
    [result] = summary.results
    assert any("cut short" in w for w in result.warnings)
    run = nepnb.init_run(project=PROJECT, with_id=result.sys_id, mode="read-only")
    assert run["temporary"].fetch() == 1  # the deletion was the record cut short
    assert run["params/lr"].fetch() == 0.001  # everything before it is there


def test_missing_upload_file_is_reported(
    offline_data: NeptuneData, tmp_path: Path, nepnb_home: Path
) -> None:
    data = offline_data.copy_to(tmp_path)
    [content] = (data / "offline").glob("*/upload_path/files_content-*")
    content.unlink()
    summary = _import(data)
    [result] = summary.results
    [warning] = result.warnings
    assert warning.startswith("files/content: the file ") and "is gone" in warning
    run = nepnb.init_run(project=PROJECT, with_id=result.sys_id, mode="read-only")
    assert not run.exists("files/content")
    assert run["files/single"].fetch_extension() == "txt"  # the rest was imported
    assert summary.warnings == 1


def test_unknown_operation_is_reported(
    offline_data: NeptuneData,
    tmp_path: Path,
    nepnb_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = offline_data.copy_to(tmp_path)
    log = _log(data)
    lines = log.read_text().splitlines(keepends=True)
    record = {"obj": {"type": "AssignVector", "path": ["v"], "value": [1, 2]}, "version": 999}
    lines.insert(6, json.dumps(record) + "\n")
    log.write_text("".join(lines))
    assert main(["import-neptune", str(data), "--project", PROJECT]) == 0
    captured = capsys.readouterr()
    assert (
        "warning: v: the Neptune operation type 'AssignVector' is unknown to this importer; "
        "not imported" in captured.err
    )
    assert "1 warning(s)" in captured.out
    [sys_id] = _runs()
    run = nepnb.init_run(project=PROJECT, with_id=sys_id, mode="read-only")
    assert not run.exists("v") and run["params/epochs"].fetch() == 10


def test_nepnb_queue_is_not_neptune_data(tmp_path: Path, nepnb_home: Path) -> None:
    run = nepnb.init_run(mode="offline", project=PROJECT, capture_hardware_metrics=False)
    run["x"] = 1
    run.stop()
    queue = nepnb_home / "queue"
    summary = _import(queue)
    assert summary.results == []
    [(_, reason)] = summary.broken
    assert "nepnb's own queue" in reason and "nepnb sync" in reason


@pytest.mark.parametrize("group", [1, 2, 3, 10_000])
def test_log_read_in_groups_of_lines(
    offline_data: NeptuneData, tmp_path: Path, group: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However a log falls into parse groups: every record once, a cut last record
    tolerated, a damaged line named by its number."""
    monkeypatch.setattr(LogReader, "GROUP", group)
    log = _log(offline_data.data_dir)
    lines = log.read_text().splitlines(keepends=True)
    whole = list(LogReader(log, last=True))
    assert [r.version for r in whole] == list(range(1, len(lines) + 1))
    cut = tmp_path / "cut.log"
    cut.write_text("".join(lines[:-1]) + lines[-1][:20])
    reader = LogReader(cut, last=True)
    assert [r.version for r in reader] == list(range(1, len(lines)))
    assert reader.partial
    with pytest.raises(NeptuneDataError, match=f"{cut}, line {len(lines)}: not a Neptune"):
        list(LogReader(cut, last=False))  # only the last log of a folder may be cut
    damaged = tmp_path / "damaged.log"
    damaged.write_text("".join(lines[:2]) + "{oops\n" + "".join(lines[3:]))
    with pytest.raises(NeptuneDataError, match=f"{damaged}, line 3: not a Neptune"):
        list(LogReader(damaged, last=True))
