"""The SQL store's own behaviour, beyond the Store contract (tests/store/test_contract.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nepnb.server.database import make_engine, migrate
from nepnb.server.sql import SQLStore
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind
from tests.helpers.servers import ServerPool, fresh_postgres_database


def test_an_operation_that_fails_is_undone_alone(tmp_path: Path) -> None:
    """Batches are applied without savepoints first; one that fails is applied again with
    them, so that only the failing operation is left out."""
    engine = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate(engine)
    store = SQLStore(engine, tmp_path / "blobs")
    run = store.create_object("team/cls", ObjectKind.RUN)
    batch = Batch(
        [
            Operation(OpKind.ASSIGN, "a", FieldType.FLOAT, 1.0),
            Operation(OpKind.ASSIGN, "bad", FieldType.STRING, object()),  # not JSON: fails
            Operation(OpKind.ASSIGN, "b", FieldType.FLOAT, 2.0),
        ]
    )
    result = store.apply(run.uid, batch)
    assert [(r.path, r.reason.startswith("could not be stored")) for r in result.rejected] == [
        ("bad", True)
    ]
    fields = store.get_fields(run.uid)
    assert (fields["a"].value, fields["b"].value) == (1.0, 2.0) and "bad" not in fields
    assert store.apply(run.uid, batch).duplicate  # recorded once, by the second attempt
    store.close()


@pytest.mark.postgres
def test_a_write_the_database_refuses_is_undone_alone(server_pool: ServerPool) -> None:
    """The batch's writes are buffered and sent together; when PostgreSQL refuses one of
    them (a path longer than its column), the batch is applied again operation by
    operation and only that one is left out."""
    engine = make_engine(fresh_postgres_database(server_pool, "refused_write"))
    migrate(engine)
    store = SQLStore(engine, server_pool.folder / "refused-write-blobs")
    run = store.create_object("team/cls", ObjectKind.RUN)
    too_long = "x" * 2000
    batch = Batch(
        [
            Operation(OpKind.ASSIGN, "a", FieldType.FLOAT, 1.0),
            Operation(OpKind.ASSIGN, too_long, FieldType.FLOAT, 9.0),
            Operation(OpKind.ASSIGN, "b", FieldType.FLOAT, 2.0),
        ]
    )
    result = store.apply(run.uid, batch)
    assert [(r.path, r.reason.startswith("could not be stored")) for r in result.rejected] == [
        (too_long, True)
    ]
    fields = store.get_fields(run.uid)
    assert (fields["a"].value, fields["b"].value) == (1.0, 2.0) and too_long not in fields
    store.close()
