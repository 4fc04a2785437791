"""Alembic migrations: from an empty database, and from the previous revision with data in it."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import inspect, text

from nepnb.notebooks.format import normalize_notebook
from nepnb.notebooks.snapshot import Snapshot, take_snapshot
from nepnb.server import tables
from nepnb.server.database import current_revision, make_engine, migrate
from nepnb.server.sql import SQLStore
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind
from nepnb.store.sqlcore import encode_part
from tests.helpers.servers import ServerPool, fresh_postgres_database

HEAD = "0006"
MODEL_REF = {"digest": "1" * 64, "size": 7, "extension": "pt"}
DATA_REF = {"digest": "2" * 64, "size": 5, "mtime": 0.0}


UNNAMED = hashlib.sha256(b"a part no checkpoint names").hexdigest()


def _old_checkpoint(con: Any) -> Snapshot:
    """A file series, and a checkpoint (with an image output) with its parts, as a server of
    revisions 0001-0005 stored them."""
    con.execute(
        text(
            "INSERT INTO fields (object_uid, path, type, value) "
            "VALUES (:uid, 'samples', 'fileSeries', '{\"count\": 1}')"
        ),
        {"uid": "a" * 32},
    )
    vals = json.dumps([{"digest": "3" * 64, "size": 9, "extension": "png"}]).encode()
    zero = np.zeros(1).tobytes()
    con.execute(
        text(
            "INSERT INTO series_chunks (object_uid, path, seq, count, steps, vals, times) "
            "VALUES (:uid, 'samples', 0, 1, :steps, :vals, :times)"
        ),
        {"uid": "a" * 32, "steps": zero, "vals": vals, "times": zero},
    )
    picture = base64.b64encode(b"\x89PNG" + bytes(range(256)) * 8).decode()
    notebook = normalize_notebook(
        {
            "nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [
                {"cell_type": "code", "source": "show()", "metadata": {}, "execution_count": 1,
                 "outputs": [{"output_type": "display_data", "metadata": {},
                              "data": {"image/png": picture, "text/plain": "<Figure>"}}]},
                {"cell_type": "markdown", "source": "# Notes", "metadata": {}},
            ],
        }
    )  # fmt: skip
    snapshot = take_snapshot(notebook)
    for digest, data in {**snapshot.parts, UNNAMED: b"a part no checkpoint names"}.items():
        encoding, packed = encode_part(data)
        con.execute(
            text("INSERT INTO parts (digest, size, encoding, data) VALUES (:d, :s, :e, :b)"),
            {"d": digest, "s": len(data), "e": encoding, "b": packed},
        )
    con.execute(
        text(
            "INSERT INTO checkpoints (id, project_id, notebook_id, seq, path, summary, body, "
            "author, created, manifest, runs, stats) VALUES ('abcdef012345', 1, 'nb', 1, "
            "'a.ipynb', 's', '', 'a', 1.0, :manifest, '[]', '{}')"
        ),
        {"manifest": snapshot.manifest},
    )
    return snapshot


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


@pytest.mark.parametrize("previous", ["0001", "0002", "0003", "0004", "0005"])
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
        snapshot = _old_checkpoint(con)

    migrate(engine)
    assert current_revision(engine) == HEAD
    store = SQLStore(engine, tmp_path / "blobs")
    # What existing data names belongs to its project (revision 0006): the files of fields
    # and file series, the parts of checkpoints; a part nothing names, to no project.
    files = {"1" * 64, "2" * 64, "3" * 64}
    assert all(store.holders(digest) == ["team/cls"] for digest in files | set(snapshot.parts))
    assert store.holders(UNNAMED) == []
    with engine.connect() as con:
        sizes = dict(con.execute(text("SELECT digest, size FROM blob_projects")).all())
    assert sizes == {
        "1" * 64: 7, "2" * 64: 5, "3" * 64: 9,
        **{digest: len(data) for digest, data in snapshot.parts.items()},
    }  # fmt: skip
    assert store.get_parts(snapshot.parts, project="team/cls") == snapshot.parts
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
