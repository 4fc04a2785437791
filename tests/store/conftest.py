"""Store factories: the contract suite runs against each of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nepnb.store.base import Store
from nepnb.store.local import LocalStore

StoreFactory = Callable[[], Store]


def _local(tmp_path: Path) -> Iterator[StoreFactory]:
    created: list[Store] = []

    def make() -> Store:
        store = LocalStore(tmp_path / "store")
        created.append(store)
        return store

    yield make
    for store in created:
        store.close()


def _sql(tmp_path: Path) -> Iterator[StoreFactory]:
    """The server's SQL store over SQLite, in process (the HTTP store tests it over a server)."""
    from nepnb.server.database import make_engine, migrate
    from nepnb.server.sql import SQLStore

    engine = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate(engine)
    created: list[Store] = []

    def make() -> Store:
        store = SQLStore(make_engine(str(engine.url)), tmp_path / "blobs")
        created.append(store)
        return store

    yield make
    for store in created:
        store.close()
    engine.dispose()


def _http(database: str) -> Callable[[pytest.FixtureRequest, Path], Iterator[StoreFactory]]:
    """The HTTP store, to a real server process over ``database`` (emptied for each test)."""

    def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
        from nepnb.store.http import HTTPStore

        deployment = request.getfixturevalue("server_pool").get(database)
        deployment.reset()
        created: list[Store] = []

        def make() -> Store:
            store = HTTPStore(deployment.server.url, deployment.admin_key, retry_for=10)
            created.append(store)
            return store

        yield make
        for store in created:
            store.close()

    return factory


FACTORIES = {
    "local": lambda request, tmp_path: _local(tmp_path),
    "sql": lambda request, tmp_path: _sql(tmp_path),
    "http-sqlite": _http("sqlite"),
    "http-postgres": _http("postgres"),
}


@pytest.fixture(params=sorted(FACTORIES))
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes stores over the same data: a second call is a second client of the same store."""
    yield from FACTORIES[request.param](request, tmp_path)


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    return store_factory()
