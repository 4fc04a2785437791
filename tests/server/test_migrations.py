"""Alembic migrations: from an empty database, and from the previous revision with data in it."""

from __future__ import annotations

import json
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


HEAD = "0004_blob_projects"
MODEL_REF = {"digest": "1" * 64, "size": 7, "extension": "pt"}
DATA_REF = {"digest": "2" * 64, "size": 5, "mtime": 0.0}


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
    migrate(engine)  # again: nothing to do
    assert current_revision(engine) == HEAD
    engine.dispose()


@pytest.mark.parametrize("previous", ["0001", "0002", "0003"])
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
            "INSERT INTO fields (object_uid, path, type, value) "
            f"VALUES ('{'a' * 32}', 'model', 'file', '{json.dumps(MODEL_REF)}')",
            "INSERT INTO fields (object_uid, path, type, value) "
            f"VALUES ('{'a' * 32}', 'data', 'fileSet', '{json.dumps({'x.csv': DATA_REF})}')",
        ):
            con.execute(text(statement))

    migrate(engine)
    assert current_revision(engine) == HEAD
    store = SQLStore(engine, tmp_path / "blobs")
    # The files that fields name belong to their object's project (revision 0004).
    assert store.holders("1" * 64) == store.holders("2" * 64) == ["team/cls"]
    with engine.connect() as con:
        sizes = sorted(con.execute(text("SELECT size FROM blob_projects")).scalars())
    assert sizes == [5, 7]
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
    engine.dispose()
