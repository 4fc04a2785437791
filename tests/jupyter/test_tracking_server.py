"""The server extension reads from the tracking server whose token is in its settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.http import HTTPStore, encode_token
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints
from tests.helpers.servers import Deployment, ServerPool

API = ("nepnb", "api")
PROJECT = "team/remote"


async def fetch(jp_fetch: Any, *parts: str, **kwargs: Any) -> Any:
    if "body" in kwargs:
        kwargs["body"] = json.dumps(kwargs["body"])
    response = await jp_fetch(*API, *parts, raise_error=False, **kwargs)
    assert response.code == 200, (response.code, response.body)
    return json.loads(response.body)


def empty_server_with_project(server_pool: ServerPool) -> Deployment:
    """The session's SQLite tracking server, emptied, with the project PROJECT."""
    deployment = server_pool.get("sqlite")
    deployment.reset()
    HTTPStore(deployment.server.url, deployment.admin_key, retry_for=5).get_project(
        PROJECT, create=True
    )
    return deployment


async def test_runs_come_from_the_server_of_the_stored_token(
    jp_fetch: Any, nepnb_home: Path, server_pool: ServerPool
) -> None:
    deployment = server_pool.get("sqlite")
    deployment.reset()
    remote = HTTPStore(deployment.server.url, deployment.admin_key, retry_for=5)
    run = remote.create_object(PROJECT, ObjectKind.RUN)
    points = SeriesPoints(np.arange(100.0), np.linspace(1, 0, 100), np.zeros(100))
    remote.apply(
        run.uid,
        Batch(
            [
                Operation(OpKind.ASSIGN, "params/lr", FieldType.FLOAT, 0.25),
                Operation(OpKind.LOG, "metrics/loss", FieldType.FLOAT_SERIES, points),
            ]
        ),
    )
    health = await fetch(jp_fetch, "health")
    assert health["store"] == "local"

    token = encode_token(deployment.server.url, deployment.admin_key)
    settings = await fetch(jp_fetch, "settings", method="PUT", body={"token": token})
    assert settings["has_token"] is True and PROJECT in settings["projects"]
    health = await fetch(jp_fetch, "health")
    assert health["store"] == "http" and health["location"] == deployment.server.url

    runs = await fetch(jp_fetch, "runs", params={"project": PROJECT})
    assert [row["id"] for row in runs["runs"]] == ["REM-1"]
    assert (runs["store"], runs["location"]) == ("http", deployment.server.url)
    series = await fetch(
        jp_fetch, "runs", "REM-1", "series", params={"project": PROJECT, "path": "metrics/loss"}
    )
    assert series["total"] == 100

    await fetch(jp_fetch, "settings", method="PUT", body={"token": None})
    assert (await fetch(jp_fetch, "health"))["store"] == "local"


async def test_a_refused_token_says_so_and_how_to_fix_it(
    jp_fetch: Any, nepnb_home: Path, server_pool: ServerPool
) -> None:
    deployment = server_pool.get("sqlite")
    wrong = encode_token(deployment.server.url, "not-a-key-of-this-server")
    settings = await fetch(jp_fetch, "settings", method="PUT", body={"token": wrong})
    # The token is stored all the same; the settings say why there are no projects.
    assert settings["has_token"] is True and settings["projects"] == []
    assert (
        f"the tracking server at {deployment.server.url} refused the API token"
        in (settings["error"])
    )
    assert wrong not in json.dumps(settings)
    for parts, params in [
        (("runs",), {}),
        (("runs", "REM-1"), {"project": PROJECT}),
        (("checkpoints",), {"notebook_id": "0123456789abcdef"}),
    ]:
        response = await jp_fetch(*API, *parts, params=params, raise_error=False)
        assert response.code == 502, (parts, response.body)
        message = json.loads(response.body)["message"]
        assert "refused the API token" in message
        assert '"nepnb: Set the tracking server token…"' in message


async def test_an_unreachable_server_is_named(jp_fetch: Any, nepnb_home: Path) -> None:
    from tests.helpers.servers import free_port

    nowhere = f"http://127.0.0.1:{free_port()}"
    await fetch(jp_fetch, "settings", method="PUT", body={"token": encode_token(nowhere, "k")})
    response = await jp_fetch(*API, "runs", raise_error=False)
    assert response.code == 503, response.body
    assert json.loads(response.body)["message"].startswith(
        f"cannot reach the tracking server at {nowhere}: is it running"
    )
    settings = await fetch(jp_fetch, "settings")
    assert settings["error"].startswith(f"cannot reach the tracking server at {nowhere}")


async def test_a_read_only_token_is_told_it_may_not_upload(
    jp_fetch: Any, jp_root_dir: Path, nepnb_home: Path, server_pool: ServerPool
) -> None:
    from nepnb.server.auth import Identity
    from nepnb.server.database import make_engine
    from tests.helpers.nbrun import notebook_dict, write_notebook

    deployment = empty_server_with_project(server_pool)
    engine = make_engine(deployment.database)
    _, token = Identity(engine).issue_token("admin", api_url=deployment.server.url, read_only=True)
    engine.dispose()
    await fetch(jp_fetch, "settings", method="PUT", body={"token": token})
    write_notebook(jp_root_dir / "a.ipynb", notebook_dict("x = 1"))
    response = await jp_fetch(
        *API, "checkpoints", method="POST", raise_error=False,
        body=json.dumps({"path": "a.ipynb", "message": "m", "project": PROJECT}),
    )  # fmt: skip
    assert response.code == 502, response.body
    message = json.loads(response.body)["message"]
    assert f"the tracking server at {deployment.server.url} refused this request" in message
    assert "Set the tracking server token" in message


async def test_the_token_of_the_servers_environment_is_used_until_one_is_set(
    jp_fetch: Any, nepnb_home: Path, server_pool: ServerPool, monkeypatch: Any
) -> None:
    deployment = empty_server_with_project(server_pool)
    # As a team member's shell gives it to `jupyter lab` (and so to its kernels).
    monkeypatch.setenv(
        "NEPTUNE_API_TOKEN", encode_token(deployment.server.url, deployment.admin_key)
    )
    health = await fetch(jp_fetch, "health")
    assert (health["store"], health["location"]) == ("http", deployment.server.url)
    settings = await fetch(jp_fetch, "settings")
    assert settings["has_token"] is False and settings["token_from_environment"] is True
    assert PROJECT in settings["projects"]

    # A token set in the UI wins; forgetting it goes back to the environment's.
    elsewhere = encode_token("http://127.0.0.1:9", "k")
    settings = await fetch(jp_fetch, "settings", method="PUT", body={"token": elsewhere})
    assert settings["location"] == "http://127.0.0.1:9" and not settings["token_from_environment"]
    settings = await fetch(jp_fetch, "settings", method="PUT", body={"token": None})
    assert settings["location"] == deployment.server.url and settings["token_from_environment"]

    monkeypatch.setenv("NEPTUNE_API_TOKEN", "ANONYMOUS")  # not a server's: the local store
    assert (await fetch(jp_fetch, "health"))["store"] == "local"


@pytest.mark.postgres
async def test_a_server_whose_database_is_away_is_told_apart(
    jp_fetch: Any, nepnb_home: Path, tmp_path: Path
) -> None:
    """The tracking server answers but its PostgreSQL is stopped: the panels say the
    database is away (the admin's matter), not that the server cannot be reached."""
    from tests.helpers.servers import (
        TrackingServer,
        free_port,
        postgres_stopped,
        running_postgres,
        with_admin,
    )

    with running_postgres(tmp_path / "pg") as database:
        key = with_admin(database)
        server = TrackingServer(database, tmp_path / "blobs", tmp_path / "server.log", free_port())
        server.start()
        try:
            HTTPStore(server.url, key, retry_for=5).get_project(PROJECT, create=True)
            token = encode_token(server.url, key)
            await fetch(jp_fetch, "settings", method="PUT", body={"token": token})
            await fetch(jp_fetch, "runs", params={"project": PROJECT})
            with postgres_stopped(tmp_path / "pg"):
                response = await jp_fetch(
                    *API, "runs", params={"project": PROJECT}, raise_error=False
                )
                assert response.code == 503, response.body
                assert json.loads(response.body)["message"].startswith(
                    f"the tracking server at {server.url} answers, but cannot reach its database"
                )
            await fetch(jp_fetch, "runs", params={"project": PROJECT})  # back by itself
        finally:
            server.stop()
