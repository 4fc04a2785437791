"""Fixtures of the tracking server tests: real server processes, accounts and tokens, and a
real S3 server (moto's)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from boto3 import client as boto3_client

from nepnb.server.auth import Identity
from nepnb.server.database import make_engine, migrate
from tests.helpers.s3 import AWS_ENV, BUCKET
from tests.helpers.servers import (
    Deployment,
    ServerPool,
    TrackingServer,
    free_port,
    fresh_postgres_database,
)
from tests.helpers.tracking import OwnServer, Team

#: NEPTUNE_* variables that must not leak into a test from the developer's shell.
NEPTUNE_VARIABLES = (
    "NEPTUNE_API_TOKEN",
    "NEPTUNE_PROJECT",
    "NEPTUNE_MODE",
    "NEPTUNE_CUSTOM_RUN_ID",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NEPTUNE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEPNB_HOME", str(tmp_path / "nepnb-home"))
    monkeypatch.setenv("NEPNB_HTTP_RETRY_SECONDS", "2")


@pytest.fixture
def deployment(server_pool: ServerPool, request: pytest.FixtureRequest) -> Deployment:
    """The session's tracking server over SQLite (or the database an indirect parameter
    names: "postgres"), emptied of tracking data."""
    found = server_pool.get(getattr(request, "param", "sqlite"))
    found.reset()
    return found


@pytest.fixture
def team(deployment: Deployment) -> Iterator[Team]:
    engine = make_engine(deployment.database)
    yield Team(deployment, Identity(engine), uuid.uuid4().hex[:8])
    engine.dispose()


@pytest.fixture
def own_server(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., OwnServer]]:
    """Makes a tracking server of the test (started unless ``start=False``). ``database``:
    a URL, "postgres" (a new database on the session's PostgreSQL), or "sqlite" or None (a
    file in the test's folder)."""
    made: list[TrackingServer] = []

    def make(
        database: str | None = None, start: bool = True, blobs: str | None = None
    ) -> OwnServer:
        folder = tmp_path / f"server-{len(made)}"
        folder.mkdir()
        if database == "postgres":
            name = f"own{abs(hash(request.node.nodeid)) % 10**8}"
            database = fresh_postgres_database(request.getfixturevalue("server_pool"), name)
        elif database in (None, "sqlite"):
            database = f"sqlite:///{tmp_path / 'server.db'}"
        where = blobs or tmp_path / "blobs"
        server = TrackingServer(database, where, folder / "server.log", free_port())
        engine = make_engine(database)
        migrate(engine)
        identity = Identity(engine)
        name = f"admin-{uuid.uuid4().hex[:6]}"
        identity.create_account(name, admin=True)
        token = identity.issue_token(name, api_url=server.url)[1]
        engine.dispose()
        made.append(server)
        if start:
            server.start()
        return OwnServer(server, token, database)

    yield make
    for server in made:
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, own_server: Callable[..., OwnServer]) -> OwnServer:
    """A tracking server of this test, over SQLite or PostgreSQL."""
    if request.param == "sqlite":
        return own_server()
    pool: ServerPool = request.getfixturevalue("server_pool")
    return own_server(fresh_postgres_database(pool, f"t{abs(hash(request.node.name)) % 10**8}"))


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto S3 server process, with the bucket ``BUCKET`` made."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **AWS_ENV},
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"moto exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"moto not up:\n{log.read_text()[-3000:]}"
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        client = boto3_client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """A boto3 client of the moto server; the environment points nepnb at it too."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("NEPNB_S3_ENDPOINT_URL", s3_endpoint)
    return boto3_client("s3", endpoint_url=s3_endpoint)
