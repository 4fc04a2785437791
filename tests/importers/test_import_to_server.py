"""nepnb import-neptune into a real tracking server (the token's), checked through nepnb's
client; importing again adds nothing there either."""

from __future__ import annotations

from pathlib import Path

import pytest

import nepnb
from nepnb.cli.main import main
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.http import HTTPStore, encode_token
from nepnb.store.local import LocalStore
from tests.helpers.importer_checks import check_scenario
from tests.helpers.neptune_client import NeptuneData
from tests.helpers.servers import ServerPool

pytestmark = pytest.mark.timeout(900)

PROJECT = "team/imported"
SERIES = (FieldType.FLOAT_SERIES, FieldType.STRING_SERIES)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_import_goes_to_the_tracking_server_of_the_token_once(
    database: str,
    offline_data: NeptuneData,
    nepnb_home: Path,
    tmp_path: Path,
    server_pool: ServerPool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployment = server_pool.get(database)
    deployment.reset()
    remote = HTTPStore(deployment.server.url, deployment.admin_key, retry_for=5)
    remote.get_project(PROJECT, create=True)
    token = encode_token(deployment.server.url, deployment.admin_key)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", token)

    assert main(["import-neptune", str(offline_data.data_dir), "--project", PROJECT]) == 0
    out = capsys.readouterr().out
    assert f"into {PROJECT} (the tracking server {deployment.server.url})" in out
    assert "-> IMP-1" in out
    assert out.splitlines()[-1].endswith(" field(s), 59 point(s), 6 file(s); 0 warning(s)")

    run = nepnb.init_run(project=PROJECT, with_id="IMP-1", mode="read-only", api_token=token)
    check_scenario(run, tmp_path, offline_data.result["images"])
    assert run["sys/state"].fetch() == "Inactive"
    run.stop()

    def snapshot() -> list[tuple[str, int]]:
        [imported] = remote.list_objects(PROJECT, ObjectKind.RUN)
        fields = remote.get_fields(imported.uid)
        return sorted(
            (path, len(remote.read_series(imported.uid, path).steps) if info.type in SERIES else 0)
            for path, info in fields.items()
            if not path.startswith("sys/")
        )

    before = snapshot()
    assert main(["import-neptune", str(offline_data.data_dir), "--project", PROJECT]) == 0
    again = capsys.readouterr().out
    assert "already imported as IMP-1" in again
    assert "Imported 0 object(s)" in again
    assert snapshot() == before  # one run, and not a point more
    assert LocalStore(nepnb_home).list_projects() == []  # nothing went to the local store


def test_every_kind_of_container_goes_to_the_server_once(
    async_data: NeptuneData, nepnb_home: Path, tmp_path: Path, server_pool: ServerPool
) -> None:
    from nepnb.importers.neptune import import_neptune

    deployment = server_pool.get("sqlite")
    deployment.reset()
    remote = HTTPStore(deployment.server.url, deployment.admin_key, retry_for=5)
    remote.get_project(PROJECT, create=True)
    token = encode_token(deployment.server.url, deployment.admin_key)

    summary = import_neptune(async_data.data_dir, remote, PROJECT)
    by_kind = {r.container.kind: r for r in summary.results}
    assert set(by_kind) == {"run", "model", "model_version", "project"}
    assert all(r.batches and r.sys_id for r in summary.results)
    opened = {"project": PROJECT, "mode": "read-only", "api_token": token}
    run = nepnb.init_run(with_id=by_kind["run"].sys_id, **opened)
    check_scenario(run, tmp_path, async_data.result["images"], init_sent=True)
    model = nepnb.init_model(with_id=by_kind["model"].sys_id, **opened)
    assert model["model/params/size"].fetch() == 7
    version = nepnb.init_model_version(with_id=by_kind["model_version"].sys_id, **opened)
    assert version["version/score"].fetch() == 0.9
    assert nepnb.init_project(**opened)["general/owner"].fetch() == "team"

    objects = {kind: remote.list_objects(PROJECT, kind) for kind in ObjectKind}
    again = import_neptune(async_data.data_dir, remote, PROJECT)
    assert again.objects == 0 and again.points == 0
    assert [r.sys_id for r in again.results] == [r.sys_id for r in summary.results]
    assert {kind: remote.list_objects(PROJECT, kind) for kind in ObjectKind} == objects
