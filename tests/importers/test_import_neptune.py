"""nepnb import-neptune on folders the real Neptune client 1.14 wrote (offline, async with an
unreachable server, killed mid-logging), checked value by value."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nepnb
from nepnb.cli.main import main
from nepnb.client.config import local_store
from nepnb.importers.neptune import ImportSummary, import_neptune
from nepnb.store.base import ObjectKind
from tests.helpers.importer_checks import check_scenario
from tests.helpers.neptune_client import ASYNC_CRASH_POINTS, CRASH_POINTS, NeptuneData

#: The first test to ask for the Neptune client may create its venv (pip, about a minute).
pytestmark = pytest.mark.timeout(900)


PROJECT = "workspace/imported"


def _import(path: Path | None) -> ImportSummary:
    return import_neptune(path, local_store(), PROJECT)  # type: ignore[arg-type]


def _run(sys_id: str) -> nepnb.Run:
    return nepnb.init_run(project=PROJECT, with_id=sys_id, mode="read-only")


def test_offline_run_values(offline_data: NeptuneData, nepnb_home: Path, tmp_path: Path) -> None:
    summary = _import(offline_data.workdir)  # the folder that holds .neptune
    [result] = summary.results
    assert result.container.mode == "offline" and result.container.kind == "run"
    assert result.sys_id is not None and result.created
    assert result.warnings == []
    run = _run(result.sys_id)
    check_scenario(run, tmp_path, offline_data.result["images"])
    assert run["sys/state"].fetch() == "Inactive"
    meta_created = result.container.created_at
    assert meta_created is not None
    assert abs(run["sys/creation_time"].fetch().timestamp() - _iso(meta_created)) < 1e-3


def _iso(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def test_import_twice_stores_nothing_twice(offline_data: NeptuneData, nepnb_home: Path) -> None:
    first = _import(offline_data.data_dir)
    second = _import(offline_data.data_dir)
    assert first.objects == 1 and first.points > 0
    assert second.objects == 0 and second.points == 0 and second.already == 1
    assert second.results[0].sys_id == first.results[0].sys_id
    runs = local_store().list_objects(PROJECT, ObjectKind.RUN)
    assert len(runs) == 1
    loss = _run(runs[0].sys_id)["metrics/loss"].fetch_values()
    assert len(loss) == 50


def test_async_imports_only_unacknowledged(
    async_data: NeptuneData, nepnb_home: Path, tmp_path: Path
) -> None:
    summary = _import(async_data.data_dir)
    by_kind = {r.container.kind: r for r in summary.results}
    assert set(by_kind) == {"run", "model", "model_version", "project"}
    run_result = by_kind["run"]
    assert run_result.acknowledged > 0  # the server took the first batch
    run = _run(run_result.sys_id or "")
    assert not run.exists("acknowledged/value")  # on Neptune's server, not in the folder
    check_scenario(run, tmp_path, async_data.result["images"], init_sent=True)
    store = local_store()
    [model] = [
        m
        for m in store.list_objects(PROJECT, ObjectKind.MODEL)
        if m.sys_id == by_kind["model"].sys_id
    ]
    model_obj = nepnb.init_model(project=PROJECT, with_id=model.sys_id, mode="read-only")
    assert model_obj["model/params/size"].fetch() == 7
    version = nepnb.init_model_version(
        project=PROJECT, with_id=by_kind["model_version"].sys_id, mode="read-only"
    )
    assert version["version/score"].fetch() == 0.9
    project = nepnb.init_project(project=PROJECT, mode="read-only")
    assert project["general/owner"].fetch() == "team"
    for kind in ("model", "model_version"):  # what local data cannot say, said
        assert any("does not" in w for w in by_kind[kind].warnings)


def test_killed_process_imports_what_reached_the_disk(
    crashed_data: NeptuneData, nepnb_home: Path
) -> None:
    summary = _import(crashed_data.data_dir)
    [result] = summary.results
    values = _run(result.sys_id or "")["crash/values"].fetch_values(include_timestamp=False)
    count = len(values)
    assert 0 < count <= CRASH_POINTS
    assert values["step"].tolist() == list(range(count))  # a prefix, no gap, nothing doubled
    assert values["value"].tolist() == [i * 0.5 for i in range(count)]
    [execution] = result.container.executions
    assert execution.partial_tail == any("cut short" in w for w in result.warnings)
    lost = execution.put - execution.last_version
    assert (lost > 0) == any(f"queued {lost} more operation(s)" in w for w in result.warnings)


def test_killed_async_process_continues_the_acknowledged_steps(
    crashed_async_data: NeptuneData, nepnb_home: Path
) -> None:
    """Appends without a step continue from the last step the server had: the acknowledged
    records still in the log give it, though they are not imported."""
    summary = _import(crashed_async_data.data_dir)
    [result] = summary.results
    assert result.acknowledged >= ASYNC_CRASH_POINTS
    values = _run(result.sys_id or "")["crash/values"].fetch_values(include_timestamp=False)
    count = len(values)
    assert 0 < count <= ASYNC_CRASH_POINTS
    steps = list(range(ASYNC_CRASH_POINTS, ASYNC_CRASH_POINTS + count))
    assert values["step"].tolist() == steps  # not 0, 1, 2 …
    assert values["value"].tolist() == [step * 0.5 for step in steps]


def test_layouts_of_older_clients(
    offline_data: NeptuneData, nepnb_home: Path, tmp_path: Path
) -> None:
    """Layouts 1 (async/<uuid>/exec-*/) and 2 (async/run__<uuid>/exec-*/) of older 1.x
    clients, made from the real folder, import the same values."""
    [folder] = (offline_data.data_dir / "offline").iterdir()
    uuid = folder.name.split("__")[1]
    for layout, parent in ((1, uuid), (2, f"run__{uuid}")):
        data = tmp_path / f"layout{layout}" / ".neptune"
        execution = data / "async" / parent / "exec-0-2024-01-01_00.00.00.000000-1"
        shutil.copytree(folder, execution)
        (execution / "metadata.json").unlink()  # older clients wrote none
        (execution / "last_ack_version").write_text("0")
        if layout == 1:
            (execution / "container_type").write_text("run")
        summary = import_neptune(data, local_store(), f"workspace/layout{layout}")  # type: ignore[arg-type]
        [result] = summary.results
        assert result.container.layout == layout
        run = nepnb.init_run(
            project=f"workspace/layout{layout}", with_id=result.sys_id, mode="read-only"
        )
        check = tmp_path / f"check{layout}"
        check_scenario(run, check, offline_data.result["images"], moved=True)


def test_cli_progress_and_summary(
    offline_data: NeptuneData, nepnb_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-neptune", str(offline_data.data_dir), "--project", PROJECT]) == 0
    out = capsys.readouterr().out
    assert "Importing: " in out and "-> IMP-1" in out
    # 50 + 4 float points, 3 strings, 2 images; 1 file, 1 content, 2 in the set, 2 images
    assert out.splitlines()[-1].startswith("Imported 1 object(s): ")
    assert out.splitlines()[-1].endswith(" field(s), 59 point(s), 6 file(s); 0 warning(s)")
    assert main(["import-neptune", str(offline_data.data_dir), "--project", PROJECT]) == 0
    again = capsys.readouterr().out
    assert "already imported as IMP-1" in again
    assert (
        "Imported 0 object(s): 0 field(s), 0 point(s), 0 file(s); 0 warning(s); 1 imported before"
        in again
    )


def test_data_directory_from_the_environment(
    offline_data: NeptuneData, nepnb_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEPTUNE_DATA_DIRECTORY", str(offline_data.data_dir))
    assert _import(None).objects == 1


def test_progress_reaches_the_total(offline_data: NeptuneData, nepnb_home: Path) -> None:
    seen: list[tuple[int, int]] = []
    summary = import_neptune(
        offline_data.data_dir, local_store(), PROJECT, progress=lambda d, t: seen.append((d, t))
    )  # type: ignore[arg-type]
    total = summary.results[0].operations
    assert total > 0 and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cli_says_what_async_data_holds(
    async_data: NeptuneData, nepnb_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-neptune", str(async_data.data_dir), "-p", PROJECT]) == 0
    out = capsys.readouterr().out
    run_line = next(line for line in out.splitlines() if " async run " in line)
    assert "operation(s) already on Neptune's server, not here" in run_line
    assert "Imported 4 object(s)" in out


def test_folder_still_being_written_is_left_alone(
    offline_data: NeptuneData, nepnb_home: Path, tmp_path: Path
) -> None:
    data = offline_data.copy_to(tmp_path)
    [folder] = (data / "offline").iterdir()
    kind, uuid, _, key = folder.name.split("__")

    def as_written_by(pid: int) -> None:
        nonlocal folder
        folder = folder.rename(folder.with_name(f"{kind}__{uuid}__{pid}__{key}"))

    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    # The Neptune client keeps its log open while it writes; this process does the same.
    hold = "import sys, time; log = open(sys.argv[1], 'a'); print(flush=True); time.sleep(60)"
    try:
        writer = subprocess.Popen(
            [sys.executable, "-c", hold, str(folder / "data-1.log")], stdout=subprocess.PIPE
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline()  # it holds the log
            as_written_by(writer.pid)
            summary = _import(data)
            assert summary.results == []
            [(_, reason)] = summary.broken
            assert reason == f"process {writer.pid} is still writing it; import it after"
        finally:
            writer.kill()
            writer.wait()
        as_written_by(idle.pid)  # a live process of that pid that does not write there
        assert _import(data).objects == 1
    finally:
        idle.kill()
        idle.wait()


def test_custom_run_id_in_the_log_is_kept(
    offline_data: NeptuneData, tmp_path: Path, nepnb_home: Path
) -> None:
    """The 1.x client sends custom_run_id to its server, not to the log; where a log does
    assign sys/custom_run_id, the run keeps it, and a later run with it continues this one."""
    data = offline_data.copy_to(tmp_path)
    [log] = (data / "offline").glob("*/data-1.log")
    record = {
        "obj": {"type": "AssignString", "path": ["sys", "custom_run_id"], "value": "exp-7"},
        "version": 1000,
        "at": 0,
    }
    log.write_text(log.read_text() + json.dumps(record) + "\n")
    [result] = _import(data).results
    found = local_store().find_object(PROJECT, custom_run_id="exp-7")
    assert found.sys_id == result.sys_id
    assert _import(data).objects == 0  # not a second run
    again = nepnb.init_run(project=PROJECT, custom_run_id="exp-7", mode="read-only")
    assert again["params/epochs"].fetch() == 10
