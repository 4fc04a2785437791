"""Alembic migrations: from an empty database, and from the previous revision with data in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from nepnb.server import tables
from nepnb.server.database import current_revision, make_engine, migrate
from nepnb.server.sql import SQLStore
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind
from tests.servers import ServerPool


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    pool: ServerPool = request.getfixturevalue("server_pool")
    base = pool.get("postgres").database
    name = f"m{abs(hash(request.node.name)) % 10**8}"
    engine = make_engine(base)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as con:
        con.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        con.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def test_an_empty_database_is_migrated_to_the_schema_the_code_queries(empty_database: str) -> None:
    engine = make_engine(empty_database)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == "0002"
    schema = inspect(engine)
    for table in tables.metadata.sorted_tables:
        columns = {c["name"] for c in schema.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    migrate(engine)  # again: nothing to do
    assert current_revision(engine) == "0002"
    engine.dispose()


def test_the_previous_schema_is_upgraded_with_its_data(empty_database: str, tmp_path: Path) -> None:
    engine = make_engine(empty_database)
    migrate(engine, "0001")
    assert current_revision(engine) == "0001"
    assert "accounts" not in inspect(engine).get_table_names()
    # Data written by a server of revision 0001 (its store had no identity tables).
    store = SQLStore(engine, tmp_path / "blobs")
    run = store.create_object("team/cls", ObjectKind.RUN)
    store.apply(run.uid, Batch([Operation(OpKind.ASSIGN, "lr", FieldType.FLOAT, 0.5)]))

    migrate(engine)
    assert current_revision(engine) == "0002"
    assert store.find_object("team/cls", sys_id="CLS-1").uid == run.uid
    assert store.get_fields(run.uid)["lr"].value == 0.5
    with engine.connect() as con:
        visibility = con.execute(text("SELECT visibility FROM projects")).scalar()
    assert visibility == "private"  # projects made before access control stay private
    assert store.create_object("team/cls", ObjectKind.RUN).sys_id == "CLS-2"
    engine.dispose()
