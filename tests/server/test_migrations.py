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
from tests.servers import ServerPool, fresh_postgres_database

HEAD = "0005"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    pool: ServerPool = request.getfixturevalue("server_pool")
    return fresh_postgres_database(pool, f"m{abs(hash(request.node.name)) % 10**8}")


def test_an_empty_database_is_migrated_to_the_schema_the_code_queries(empty_database: str) -> None:
    engine = make_engine(empty_database)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == HEAD
    schema = inspect(engine)
    for table in tables.metadata.sorted_tables:
        columns = {c["name"] for c in schema.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    assert "applied_batches_object" in {
        index["name"] for index in schema.get_indexes("applied_batches")
    }
    migrate(engine)  # again: nothing to do
    assert current_revision(engine) == HEAD
    if engine.dialect.name == "postgresql":  # chunks compressed with LZ4, not pglz
        with engine.connect() as con:
            methods = con.execute(
                text(
                    "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = "
                    "'series_chunks'::regclass AND attname IN ('steps', 'vals', 'times')"
                )
            ).all()
        assert sorted(methods) == [("steps", "l"), ("times", "l"), ("vals", "l")]
    engine.dispose()


@pytest.mark.parametrize("previous", ["0001", "0002", "0003", "0004"])
def test_an_older_schema_is_upgraded_with_its_data(
    empty_database: str, tmp_path: Path, previous: str
) -> None:
    engine = make_engine(empty_database)
    migrate(engine, previous)
    assert current_revision(engine) == previous
    # Data as a server of that revision wrote it (plain SQL: today's code knows newer columns).
    with engine.connect() as con, con.begin():
        for statement in (
            "INSERT INTO projects (id, name, key, created) VALUES (1, 'team/cls', 'CLS', 1.0)",
            "INSERT INTO counters (project_id, scope, next) VALUES (1, 'run', 2)",
            "INSERT INTO objects (uid, project_id, kind, sys_id, created) "
            f"VALUES ('{'a' * 32}', 1, 'run', 'CLS-1', 1.0)",
            "INSERT INTO fields (object_uid, path, type, value) "
            f"VALUES ('{'a' * 32}', 'lr', 'float', '0.5')",
        ):
            con.execute(text(statement))

    migrate(engine)
    assert current_revision(engine) == HEAD
    store = SQLStore(engine, tmp_path / "blobs")
    found = store.find_object("team/cls", sys_id="CLS-1")
    assert store.get_fields(found.uid)["lr"].value == 0.5
    with engine.connect() as con:
        row = con.execute(text("SELECT visibility, storage_limit FROM projects")).one()
        used = con.execute(text("SELECT used_bytes FROM objects")).scalar()
    assert tuple(row) == ("private", None)  # older projects: private, with no limit
    assert used == 0
    run = store.create_object("team/cls", ObjectKind.RUN)
    assert run.sys_id == "CLS-2"
    store.apply(run.uid, Batch([Operation(OpKind.ASSIGN, "lr", FieldType.FLOAT, 0.1)]))
    # The objects of the older revision go to the trash and out of it (revision 0005).
    store.trash_objects("team/cls", ["CLS-1"])
    assert [o.sys_id for o in store.clear_trash("team/cls")] == ["CLS-1"]
    assert [o.sys_id for o in store.list_objects("team/cls", ObjectKind.RUN)] == ["CLS-2"]
    engine.dispose()
