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


FACTORIES = {"local": _local, "sql": _sql}


@pytest.fixture(params=sorted(FACTORIES))
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes stores over the same data: a second call is a second client of the same store."""
    yield from FACTORIES[request.param](tmp_path)


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    return store_factory()
