"""The trash on a real tracking server: the storage limit story end to end, the management
functions over HTTP (SQLite and PostgreSQL), and `nepnb trash`."""

from __future__ import annotations

import pytest

import nepnb as neptune
from nepnb import management
from nepnb.cli.main import main
from nepnb.exceptions import NepnbWarning, ObjectNotFound, StorageLimitExceeded
from nepnb.server.auth import Identity, decode_token
from nepnb.server.database import make_engine
from nepnb.store.base import ObjectKind
from nepnb.store.http import HTTPStore
from tests.helpers import QUIET
from tests.helpers.cli import run_cli as nepnb
from tests.helpers.tracking import OwnServer, Team

PROJECT = "team/cls"


def _store(token: str) -> HTTPStore:
    url, key = decode_token(token)
    return HTTPStore(url, key, retry_for=2)


def _loss(run: neptune.Run, start: int, count: int) -> None:
    run["loss"].extend([float(i) for i in range(start, start + count)])


def test_the_storage_limit_story(
    server: OwnServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs fill a project up to its limit; the next batch is refused and stays queued;
    trashing frees nothing; deleting from the trash does, and the queued writes ship."""
    admin = _store(server.token)
    admin.get_project(PROJECT, create=True)
    engine = make_engine(server.database)
    Identity(engine).set_project(PROJECT, storage_limit=60_000)
    engine.dispose()
    monkeypatch.setenv("NEPTUNE_API_TOKEN", server.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)

    sizes = {}
    for sys_id in ("CLS-1", "CLS-2"):  # 24,000 bytes of points each: 48,000 of 60,000
        with neptune.init_run(flush_period=0.05, **QUIET) as run:
            _loss(run, 0, 1000)
            run.wait()
            assert run["sys/id"].fetch() == sys_id
            sizes[sys_id] = run["sys/size"].fetch()
            assert sizes[sys_id] >= 24_000

    run = neptune.init_run(flush_period=0.05, **QUIET)  # CLS-3
    _loss(run, 0, 1000)  # 24,000 more: over the limit
    with pytest.raises(StorageLimitExceeded, match="storage limit"):
        run.wait()

    management.trash_objects(PROJECT, ["CLS-1", "CLS-2"])
    assert len(neptune.init_project(mode="read-only").fetch_runs_table().to_rows()) == 1
    trashed = neptune.init_project(mode="read-only").fetch_runs_table(trashed=True)
    assert sorted(row["sys/id"].get() for row in trashed) == ["CLS-1", "CLS-2"]
    # Trashed objects still count: the batch is still refused, and their size is kept.
    with pytest.raises(StorageLimitExceeded):
        run.wait()
    with neptune.init_run(with_id="CLS-1", mode="read-only") as reader:
        assert reader["sys/size"].fetch() == sizes["CLS-1"]
        assert reader["sys/trashed"].fetch() is True

    management.delete_objects_from_trash(PROJECT, "CLS-1")
    run.wait()  # 24,000 bytes freed: the queued batch ships
    assert run["loss"].fetch_values()["value"].tolist() == [float(i) for i in range(1000)]

    _loss(run, 1000, 1000)  # over the limit again
    with pytest.warns(NepnbWarning, match="storage limit"):
        run.stop()
    management.clear_trash(PROJECT)  # CLS-2
    with pytest.raises(ObjectNotFound):
        admin.find_object(PROJECT, sys_id="CLS-2")
    assert main(["sync"]) == 0
    found = admin.find_object(PROJECT, sys_id="CLS-3")
    assert len(admin.read_series(found.uid, "loss")) == 2000
    assert admin.get_fields(found.uid, ["sys/size"])["sys/size"].value >= 48_000
    capsys.readouterr()


def test_management_over_http(server: OwnServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEPTUNE_API_TOKEN", server.token)
    name = management.create_project(
        "cls", workspace="team", key="CLS", visibility="workspace", description="classify"
    )
    assert name == PROJECT
    assert PROJECT in management.get_project_list()
    with neptune.init_project(project=PROJECT, mode="read-only") as project:
        assert project["sys/description"].fetch() == "classify"
    for _ in range(3):
        neptune.init_run(project=PROJECT, mode="sync", **QUIET).stop()
    management.trash_objects(PROJECT, ["CLS-1", "CLS-2", "CLS-3"])
    management.restore_objects_from_trash(PROJECT, ["CLS-3"])
    listed = management.get_trash_list(PROJECT)
    assert [(item["id"], item["kind"]) for item in listed] == [("CLS-1", "run"), ("CLS-2", "run")]
    with pytest.raises(ObjectNotFound, match="CLS-8"):
        management.delete_objects_from_trash(PROJECT, ["CLS-1", "CLS-8"])
    assert len(management.get_trash_list(PROJECT)) == 2  # nothing was deleted
    management.delete_objects_from_trash(PROJECT, ["CLS-1"])
    management.clear_trash("cls", workspace="team")
    assert management.get_trash_list(PROJECT) == []
    management.delete_project(PROJECT)
    assert PROJECT not in management.get_project_list()


def test_the_trash_command_on_a_server(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    project = f"{team.name('acme')}/cls"
    admin = team.store(team.token(team.account("root", admin=True)))
    admin.get_project(project, create=True)
    for _ in range(2):
        admin.create_object(project, ObjectKind.RUN)
    viewer, contributor = team.account("viewer"), team.account("dev")
    team.identity.grant(project, viewer, "viewer")
    team.identity.grant(project, contributor, "contributor")
    monkeypatch.setenv("NEPTUNE_PROJECT", project)

    monkeypatch.setenv("NEPTUNE_API_TOKEN", team.token(viewer))
    refused = nepnb("trash", "add", "CLS-1")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert "needs the contributor role" in refused.stderr

    monkeypatch.setenv("NEPTUNE_API_TOKEN", team.token(contributor))
    assert nepnb("trash", "add", "CLS-1", "CLS-2").returncode == 0
    assert nepnb("trash", "restore", "CLS-2").returncode == 0
    refused = nepnb("trash", "clear", "--yes")
    assert refused.returncode == 1 and "needs the owner role" in refused.stderr
    assert [o.sys_id for o in admin.list_trash(project)] == ["CLS-1"]

    monkeypatch.setenv("NEPTUNE_API_TOKEN", team.token(team.account("root2", admin=True)))
    assert nepnb("trash", "clear", "--yes").returncode == 0
    assert [o.sys_id for o in admin.list_objects(project, ObjectKind.RUN)] == ["CLS-2"]


def test_deleting_a_run_while_it_is_written(server: OwnServer) -> None:
    """Batches racing a deletion: each is stored before it or refused after it (no server
    error, no deadlock), and nothing of the run is left."""
    import threading
    import time

    import numpy as np

    from nepnb.store.field_types import FieldType
    from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

    admin = _store(server.token)
    run = admin.create_object(PROJECT, ObjectKind.RUN)
    outcomes: list[str] = []

    def write() -> None:
        for i in range(100_000):  # until the deletion refuses one
            points = SeriesPoints(np.array([float(i)]), np.array([1.0]), np.array([0.0]))
            batch = Batch([Operation(OpKind.LOG, "loss", FieldType.FLOAT_SERIES, points)])
            try:
                _store(server.token).apply(run.uid, batch)
            except ObjectNotFound:
                outcomes.append("refused")
                return
            outcomes.append("stored")

    writer = threading.Thread(target=write)
    writer.start()
    while not outcomes:
        time.sleep(0.01)
    admin.trash_objects(PROJECT, [run.sys_id])
    admin.delete_objects_from_trash(PROJECT, [run.sys_id])
    writer.join(timeout=60)
    assert not writer.is_alive()
    assert outcomes[-1] == "refused" and outcomes.count("refused") == 1
    engine = make_engine(server.database)
    from sqlalchemy import text

    with engine.connect() as con:
        for table in ("fields", "series_chunks", "applied_batches"):
            left = con.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE object_uid = :uid"), {"uid": run.uid}
            ).scalar()
            assert left == 0, table
    engine.dispose()
