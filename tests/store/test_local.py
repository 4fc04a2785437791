"""What only the local store does: its folder, schema versions, and SQLite specifics."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from nepnb.exceptions import StoreError, StoreSchemaTooNew
from nepnb.store.base import ObjectKind
from nepnb.store.local import LocalStore
from nepnb.store.schema import SCHEMA_VERSION


def test_a_new_store_is_migrated_to_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "home")
    with sqlite3.connect(store.db_path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Opening it again changes nothing and keeps the data.
    run = store.create_object("a/b", ObjectKind.RUN)
    again = LocalStore(tmp_path / "home")
    assert again.find_object("a/b", sys_id=run.sys_id).uid == run.uid


def test_a_store_of_the_previous_version_is_migrated_with_its_data(tmp_path: Path) -> None:
    from nepnb.store.schema import MIGRATIONS

    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "nepnb.db") as con:
        for script in MIGRATIONS[:-1]:
            con.executescript(script)
        con.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
        con.execute("INSERT INTO projects (id, name, key, created) VALUES (1, 'a/b', 'B', 1.0)")
        con.execute(
            "INSERT INTO objects (uid, project_id, kind, sys_id, created) "
            f"VALUES ('{'a' * 32}', 1, 'run', 'B-1', 1.0)"
        )
    store = LocalStore(home)
    with sqlite3.connect(store.db_path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        indexes = {row[1] for row in con.execute("PRAGMA index_list(applied_batches)")}
    assert "applied_batches_object" in indexes
    store.trash_objects("a/b", ["B-1"])
    assert [o.sys_id for o in store.clear_trash("a/b")] == ["B-1"]


def test_a_store_written_by_a_newer_nepnb_is_refused_untouched(tmp_path: Path) -> None:
    LocalStore(tmp_path / "home").create_object("a/b", ObjectKind.RUN)
    db = tmp_path / "home" / "nepnb.db"
    with sqlite3.connect(db) as con:
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = db.read_bytes()
    with pytest.raises(StoreSchemaTooNew, match="Upgrade nepnb"):
        LocalStore(tmp_path / "home")
    assert db.read_bytes() == before


def test_an_unwritable_home_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Set NEPNB_HOME"):
        LocalStore(blocker / "home")


def test_a_corrupt_database_gives_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "nepnb.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the local store"):
        LocalStore(home)


def test_small_appends_are_merged_into_few_chunks(tmp_path: Path) -> None:
    import numpy as np

    from nepnb.store.field_types import FieldType
    from nepnb.store.local import TAIL_CHUNKS
    from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

    store = LocalStore(tmp_path / "home")
    run = store.create_object("a/b", ObjectKind.RUN)
    for step in range(500):
        points = SeriesPoints(np.array([float(step)]), np.array([step * 0.5]), np.array([1.0]))
        store.apply(run.uid, Batch([Operation(OpKind.LOG, "m", FieldType.FLOAT_SERIES, points)]))
    data = store.read_series(run.uid, "m")
    np.testing.assert_array_equal(data.steps, np.arange(500.0))
    np.testing.assert_array_equal(data.values, np.arange(500.0) * 0.5)
    with sqlite3.connect(store.db_path) as con:
        (chunks,) = con.execute("SELECT count(*) FROM series_chunks").fetchone()
    assert chunks <= TAIL_CHUNKS + 1


@pytest.mark.slow
def test_many_processes_can_open_a_new_store_at_once(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from nepnb.store.local import LocalStore\n"
        "from nepnb.store.base import ObjectKind\n"
        "LocalStore(sys.argv[1]).create_object('a/b', ObjectKind.RUN)\n"
    )
    for round_ in range(4):  # a race: a few fresh stores, sixteen processes each
        home = tmp_path / f"home-{round_}"
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(home)],
                stderr=subprocess.PIPE,
                text=True,
                env=dict(os.environ),
            )
            for _ in range(16)
        ]
        for worker in workers:
            _, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
        store = LocalStore(home)
        assert len(store.list_objects("a/b", ObjectKind.RUN)) == 16


def test_a_write_interrupted_right_after_begin_does_not_block_the_next_one(
    tmp_path: Path,
) -> None:
    """A Ctrl-C between BEGIN IMMEDIATE and the try block of the write left its transaction
    open: every later write of the thread failed ("cannot start a transaction within a
    transaction") and the first one's lock blocked other processes."""
    store = LocalStore(tmp_path)
    store.get_project("ws/p", create=True)
    store._connection().execute("BEGIN IMMEDIATE")  # what the interrupted write left behind
    info = store.create_object("ws/p", ObjectKind.RUN)
    assert store.find_object("ws/p", sys_id=info.sys_id).uid == info.uid
    other = LocalStore(tmp_path)  # another connection can write too: the lock was released
    assert other.create_object("ws/p", ObjectKind.RUN).sys_id != info.sys_id
