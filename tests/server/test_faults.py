"""The client against a tracking server that dies, starts late, or runs twice: nothing is
lost and nothing is stored twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import psutil
import pytest

import nepnb as neptune
from nepnb.cli.main import main
from nepnb.exceptions import DatabaseUnavailable, NepnbWarning, ProjectNotFound
from nepnb.server.auth import decode_token
from nepnb.store.base import ObjectKind
from nepnb.store.http import HTTPStore
from tests.helpers import QUIET
from tests.helpers.servers import (
    TrackingServer,
    free_port,
    fresh_postgres_database,
    postgres_stopped,
    restart_postgres,
    running_postgres,
    with_admin,
)
from tests.helpers.tracking import OwnServer

PROJECT = "team/cls"


def _store(token: str) -> HTTPStore:
    return HTTPStore(*decode_token(token), retry_for=10)


def _steps(token: str, sys_id: str, path: str = "loss") -> np.ndarray:
    store = _store(token)
    run = store.find_object(PROJECT, sys_id=sys_id)
    return store.read_series(run.uid, path).steps


def test_a_run_logs_to_the_server_named_by_its_token(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = own_server()
    monkeypatch.setenv("NEPTUNE_API_TOKEN", server.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    run = neptune.init_run(name="first", tags=["a"], **QUIET)
    run["params"] = {"lr": 0.1, "layers": 3}
    for i in range(100):
        run["loss"].append(1.0 / (i + 1))
    run.stop()
    reader = neptune.init_run(with_id="CLS-1", mode="read-only")
    assert reader["params/lr"].fetch() == 0.1
    assert reader["sys/name"].fetch() == "first"
    assert reader["loss"].fetch_values()["value"].tolist() == [1.0 / (i + 1) for i in range(100)]
    reader.stop()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_killing_the_server_during_a_run_loses_and_doubles_nothing(
    own_server: Callable[..., OwnServer],
    monkeypatch: pytest.MonkeyPatch,
    database: str,
) -> None:
    own = own_server(database=database)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", own.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    monkeypatch.setenv("NEPNB_HTTP_RETRY_SECONDS", "30")
    run = neptune.init_run(flush_period=0.05, **QUIET)
    total = 6000
    for i in range(total):
        run["loss"].append(float(i), step=i)
        if i % 1000 == 999:
            time.sleep(0.1)  # let batches be in flight
        if i in (2000, 4000):
            own.server.kill()  # SIGKILL: mid-request, mid-transaction
            own.server.start()
    run.stop()
    steps = _steps(own.token, "CLS-1")
    assert len(steps) == total
    assert np.array_equal(steps, np.arange(total, dtype=float))


def test_a_run_started_while_the_server_is_down_opens_and_ships_when_it_is_up(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    own = own_server(start=False)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", own.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    monkeypatch.setenv("NEPNB_HTTP_RETRY_SECONDS", "0.5")
    with pytest.warns(NepnbWarning, match="did not answer"):
        run = neptune.init_run(name="late", flush_period=0.05, **QUIET)
    run["params/lr"] = 0.01
    for i in range(50):
        run["loss"].append(float(i))
    time.sleep(0.3)  # the writer tries, and keeps everything queued
    own.server.start()
    run.wait()
    run.stop()
    store = _store(own.token)
    found = store.find_object(PROJECT, sys_id="CLS-1")
    fields = store.get_fields(found.uid)
    assert fields["params/lr"].value == 0.01 and fields["sys/name"].value == "late"
    assert store.read_series(found.uid, "loss").values.tolist() == [float(i) for i in range(50)]
    assert len(store.list_objects(PROJECT, ObjectKind.RUN)) == 1


def test_a_run_whose_server_never_came_back_is_uploaded_by_nepnb_sync(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    own = own_server(start=False)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", own.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    monkeypatch.setenv("NEPNB_HTTP_RETRY_SECONDS", "0.3")
    with pytest.warns(NepnbWarning, match="did not answer"):
        run = neptune.init_run(flush_period=0.05, **QUIET)
    for i in range(20):
        run["loss"].append(float(i))
    with pytest.warns(NepnbWarning, match="nepnb sync"):
        run.stop()
    offline = neptune.init_run(mode="offline", name="offline", **QUIET)
    offline["acc"].append(0.5)
    offline.stop()
    own.server.start()
    assert main(["sync"]) == 0
    assert main(["sync"]) == 0  # again: nothing to do, nothing doubled
    store = _store(own.token)
    runs = {r.sys_id: r for r in store.list_objects(PROJECT, ObjectKind.RUN)}
    assert sorted(runs) == ["CLS-1", "CLS-2"]
    series = sorted(len(store.read_series(r.uid, p).steps) for r in runs.values()
                    for p in ("loss", "acc") if p in store.get_fields(r.uid))  # fmt: skip
    assert series == [1, 20]
    capsys.readouterr()


def test_a_missing_project_names_the_projects_the_token_reaches(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nepnb.server.auth import Identity
    from nepnb.server.database import make_engine

    own = own_server()
    admin = _store(own.token)
    admin.get_project("team/cls", create=True)
    admin.get_project("team/secret", create=True)
    identity = Identity(make_engine(own.database))
    identity.create_account("dev")
    identity.grant("team/cls", "dev", "contributor")
    token = identity.issue_token("dev", api_url=own.server.url)[1]
    monkeypatch.setenv("NEPTUNE_API_TOKEN", token)
    with pytest.raises(ProjectNotFound, match=r"team/typo.*Projects it can reach: team/cls\."):
        neptune.init_run(project="team/typo", **QUIET)
    with pytest.raises(neptune.exceptions.InvalidValue, match="reach: team/cls"):
        neptune.init_run(**QUIET)  # no project at all


@pytest.mark.postgres
def test_two_servers_on_one_postgresql_database(
    server_pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = server_pool.get("postgres")
    deployment.reset()
    second = TrackingServer(
        deployment.database, deployment.server.blobs, tmp_path / "second.log", free_port()
    )
    second.start()
    try:
        _many_clients_through(
            [
                HTTPStore(deployment.server.url, deployment.admin_key, retry_for=10),
                HTTPStore(second.url, deployment.admin_key, retry_for=10),
            ]
        )
    finally:
        second.stop()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_one_server_with_two_worker_processes(server_pool, tmp_path: Path, database: str) -> None:
    """`nepnb server --workers 2`: two processes share the port (and the database)."""
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        url = fresh_postgres_database(server_pool, "workers")
    key = with_admin(url)
    server = TrackingServer(
        url, tmp_path / "blobs", tmp_path / "server.log", free_port(), workers=2
    )
    server.start()
    try:
        assert server.process is not None
        workers = psutil.Process(server.process.pid).children()
        assert len([w for w in workers if "spawn" in " ".join(w.cmdline())]) == 2
        # Each store has its own connections: the kernel hands them to either worker.
        _many_clients_through([HTTPStore(server.url, key, retry_for=10) for _ in range(4)])
    finally:
        server.stop()
    assert server.process.returncode == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, [w.cmdline() for w in alive]


@pytest.mark.postgres
@pytest.mark.server
def test_a_database_restart_under_a_running_client_loses_nothing(tmp_path: Path) -> None:
    """PostgreSQL restarts (every pooled connection of the server dies): the next requests
    answer 503, the client retries them on fresh connections; nothing lost or doubled."""
    with running_postgres(tmp_path / "pg") as url:
        key = with_admin(url)
        server = TrackingServer(url, tmp_path / "blobs", tmp_path / "server.log", free_port())
        server.start()
        try:
            store = HTTPStore(server.url, key, retry_for=30)
            run = store.create_object(PROJECT, ObjectKind.RUN)
            for step in range(6):
                store.apply(run.uid, _points("loss", step))
                if step % 2:
                    restart_postgres(tmp_path / "pg")
            assert store.read_series(run.uid, "loss").steps.tolist() == [0, 1, 2, 3, 4, 5]
            assert httpx.get(f"{server.url}/api/v1/health").status_code == 200
            with postgres_stopped(tmp_path / "pg"):
                health = httpx.get(f"{server.url}/api/v1/health")
                assert health.status_code == 503
                assert "cannot reach its database" in health.json()["error"]["message"]
                with pytest.raises(DatabaseUnavailable, match="cannot reach its database"):
                    HTTPStore(server.url, key, retry_for=1).apply(run.uid, _points("loss", 6))
            store.apply(run.uid, _points("loss", 6))
            assert store.read_series(run.uid, "loss").steps.tolist() == [0, 1, 2, 3, 4, 5, 6]
        finally:
            server.stop()
    log = (tmp_path / "server.log").read_text()
    assert "the database failed" in log and "Traceback" not in log


def _many_clients_through(stores: list[HTTPStore]) -> None:
    """Six clients make ten runs each and log to each run through every store in turn: run
    ids are unique and consecutive, every point arrives once, blobs are shared."""
    made: list[str] = []
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            for _ in range(10):
                store = stores[n % len(stores)]
                run = store.create_object(PROJECT, ObjectKind.RUN)
                made.append(run.sys_id)
                for i in range(5):
                    other = stores[(n + i) % len(stores)]  # the same run, through all
                    other.apply(run.uid, _points("loss", i))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(made, key=lambda s: int(s.split("-")[1])) == [f"CLS-{i}" for i in range(1, 61)]
    for run in stores[0].list_objects(PROJECT, ObjectKind.RUN):
        assert stores[-1].read_series(run.uid, "loss").steps.tolist() == [0, 1, 2, 3, 4]
    # A blob put through one server is read through the other.
    digest = stores[-1].put_blob(b"shared", project=PROJECT)
    assert stores[0].read_blob(digest) == b"shared"


def _points(path: str, step: int):
    from nepnb.store.field_types import FieldType
    from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

    points = SeriesPoints(np.array([float(step)]), np.array([step * 0.5]), np.array([0.0]))
    return Batch([Operation(OpKind.LOG, path, FieldType.FLOAT_SERIES, points)])


def test_a_project_over_its_storage_limit_refuses_writes_and_the_client_keeps_them(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from nepnb.exceptions import StorageLimitExceeded
    from nepnb.server.auth import Identity
    from nepnb.server.database import make_engine

    own = own_server()
    admin = _store(own.token)
    admin.get_project(PROJECT, create=True)
    identity = Identity(make_engine(own.database))
    identity.set_project(PROJECT, storage_limit=40_000)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", own.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    run = neptune.init_run(flush_period=0.05, **QUIET)
    run["loss"].extend([float(i) for i in range(1000)])  # 24,000 bytes: within the limit
    run.wait()
    run["loss"].extend([float(i) for i in range(1000, 3000)])  # 48,000 more: over it
    with pytest.raises(StorageLimitExceeded, match=r"'team/cls' is at its storage limit"):
        run.wait()
    with pytest.warns(NepnbWarning, match="storage limit"):
        run.stop()
    found = admin.find_object(PROJECT, sys_id="CLS-1")
    assert len(admin.read_series(found.uid, "loss")) == 1000
    assert admin.get_fields(found.uid, ["sys/size"])["sys/size"].value >= 24_000

    identity.set_project(PROJECT, storage_limit=0)  # no limit
    assert main(["sync"]) == 0
    assert admin.read_series(found.uid, "loss").values.tolist() == [float(i) for i in range(3000)]
    capsys.readouterr()
