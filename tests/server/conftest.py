"""Fixtures of the tracking server tests: real server processes, accounts and tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nepnb.server.auth import Identity, decode_token
from nepnb.server.database import make_engine, migrate
from nepnb.store.http import HTTPStore
from tests.servers import (
    Deployment,
    ServerPool,
    TrackingServer,
    free_port,
    fresh_postgres_database,
)

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


@dataclass
class Team:
    """Accounts on a deployment, made with unique names for one test."""

    deployment: Deployment
    identity: Identity
    suffix: str

    def name(self, base: str) -> str:
        return f"{base}-{self.suffix}"

    def account(self, base: str, **kwargs: Any) -> str:
        name = self.name(base)
        self.identity.create_account(name, **kwargs)
        return name

    def token(self, account: str, **kwargs: Any) -> str:
        """A full API token (base64 JSON) of ``account`` for this deployment's server."""
        return self.identity.issue_token(account, api_url=self.deployment.server.url, **kwargs)[1]

    def store(self, token: str) -> HTTPStore:
        url, key = decode_token(token)
        return HTTPStore(url, key, retry_for=2)


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


@dataclass
class OwnServer:
    """A tracking server of one test (it may be killed), and an admin token for it."""

    server: TrackingServer
    token: str
    database: str


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
