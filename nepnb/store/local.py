"""The embedded local store: SQLite in WAL mode plus content-addressed blobs, in one folder.

Safe for several processes at once (kernels, the Jupyter server, the CLI): every write is
one ``BEGIN IMMEDIATE`` transaction, waits for the lock instead of failing, and is retried
if SQLite still reports the database as busy. Series are stored in chunks of up to
``CHUNK_POINTS`` points (steps, values and timestamps as packed float64 arrays), so that a
million points are written and read as a few dozen rows. Objects open for writing hold a
lock file in ``alive/`` (nepnb.store.liveness), so that runs whose process died are told
apart from live ones and marked (``mark_abandoned``). The rules of storing are
nepnb.store.sqlcore's, shared with the tracking server's store; this module gives its
statements on sqlite3 (``_SQLiteTx``, ``_SQLiteApplier``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from nepnb.exceptions import StoreError, StoreSchemaTooNew, store_full_error
from nepnb.store import liveness
from nepnb.store.applier import CHUNK_POINTS as CHUNK_POINTS  # re-exported
from nepnb.store.applier import SIZE_FIELD as SIZE_FIELD  # re-exported
from nepnb.store.applier import TAIL_CHUNKS as TAIL_CHUNKS  # re-exported
from nepnb.store.applier import Applier
from nepnb.store.applier import new_uid as new_uid  # re-exported
from nepnb.store.base import TRASHED_FIELD
from nepnb.store.blobs import BlobStore
from nepnb.store.chunks import Chunk, first_chunk, float64
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind
from nepnb.store.schema import MIGRATIONS, SCHEMA_VERSION
from nepnb.store.sqlcore import (
    CHECKPOINT_COLUMNS,
    OBJECT_COLUMNS,
    OBJECT_FILTERS,
    ObjectRow,
    SQLCore,
    Tx,
    batched,
)

_BUSY_RETRIES = 50
#: Set on a run whose process died while it was running (see ``LocalStore.mark_abandoned``).
CRASHED_FIELD = "sys/crashed"


class LocalStore(SQLCore):
    """The store in folder ``home``: ``home/nepnb.db`` and ``home/blobs/``."""

    kind = "local"

    def __init__(self, home: Path | str) -> None:
        self.home = Path(home).expanduser().resolve()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            self.blobs = BlobStore(self.home / "blobs")  # its folder is ours: name the store's
        except OSError as error:
            raise StoreError(
                f"cannot create the local store folder {self.home}: {error.strerror}. "
                "Set NEPNB_HOME to a folder you can write to."
            ) from None
        self.db_path = self.home / "nepnb.db"
        self._local = threading.local()
        self._pid = os.getpid()
        self._migrate()

    @property
    def location(self) -> str:
        return str(self.home)

    @property
    def where(self) -> str:  # type: ignore[override]
        return f"in the local store {self.home}"

    @property
    def _parts_home(self) -> str:
        return str(self.db_path)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.home)!r})"

    # connections and transactions ------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            # A forked child must not use its parent's SQLite connections: open its own.
            self._local = threading.local()
            self._pid = os.getpid()
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._open()
            self._local.con = con
        return con

    def _open(self) -> sqlite3.Connection:
        """A new connection in WAL mode. Switching a new database to WAL needs a moment alone
        with it, and SQLite does not wait for that by itself: several processes opening a new
        store at once retry here instead of failing with "database is locked"."""
        for attempt in range(_BUSY_RETRIES):
            con = None
            try:
                con = sqlite3.connect(
                    self.db_path, timeout=60, isolation_level=None, check_same_thread=False
                )
                con.execute("PRAGMA busy_timeout=60000")
                if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=NORMAL")
                return con
            except sqlite3.OperationalError as error:
                if con is not None:
                    con.close()
                if "locked" not in str(error) and "busy" not in str(error):
                    raise StoreError(
                        f"cannot open the local store {self.db_path}: {error}"
                    ) from None
                time.sleep(min(0.02 * (attempt + 1), 0.5))
            except sqlite3.DatabaseError as error:
                if con is not None:
                    con.close()
                raise StoreError(f"cannot open the local store {self.db_path}: {error}") from None
        raise StoreError(
            f"the local store {self.db_path} stayed locked by another process; is one stuck?"
        )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._connection()
        # A Ctrl-C that landed between an earlier BEGIN and its try block left that
        # transaction open (nothing in it was committed): end it, or this BEGIN would fail.
        _rollback(con)
        for attempt in range(_BUSY_RETRIES):
            try:
                con.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise StoreError(f"local store {self.db_path}: {error}") from None
                time.sleep(min(0.05 * (attempt + 1), 1.0))
        else:
            raise StoreError(
                f"the local store {self.db_path} stayed locked by another process for minutes; "
                "is a process stuck? Nothing was written."
            )
        try:
            yield con
        except BaseException as error:
            _rollback(con)
            full = store_full_error(error, str(self.home))
            if full is not None:
                raise full from None
            raise
        else:
            try:
                con.execute("COMMIT")
            except sqlite3.OperationalError as error:
                _rollback(con)
                raise store_full_error(error, str(self.home)) or StoreError(
                    f"could not write to {self.db_path}: {error}"
                ) from None

    def _migrate(self) -> None:
        con = self._connection()
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreSchemaTooNew(
                f"the local store {self.home} has schema version {version}, written by a newer "
                f"nepnb; this nepnb knows up to {SCHEMA_VERSION}. Upgrade nepnb "
                "(pip install -U nepnb) or point NEPNB_HOME at another folder."
            )
        if version == SCHEMA_VERSION:
            return
        with self._write() as con:
            # Another process may have migrated while this one waited for the lock.
            version = con.execute("PRAGMA user_version").fetchone()[0]
            for script in MIGRATIONS[version:]:
                for statement in script.split(";"):
                    if statement.strip():
                        con.execute(statement)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one state of the store (a WAL read transaction)."""
        con = self._connection()
        if con.in_transaction:
            yield con
            return
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("ROLLBACK")

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Tx]:
        with self._write() if write else self._snapshot() as con:
            yield _SQLiteTx(con)

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # liveness ------------------------------------------------------------------------
    def hold_alive(self, uid: str, *, new: bool = False) -> liveness.AliveLock | None:
        """Hold the object ``uid`` open for writing in this process until ``release()``.

        ``new``: the object does not exist yet (its uid was chosen for ``create_object``).
        Else, if no process held it and it was left "running", it is marked crashed first
        (see ``mark_abandoned``). None where file locks are not available.
        """
        if new:
            return liveness.hold(self.home, uid)
        return liveness.claim(self.home, uid, lambda: self._mark_if_running(uid))

    def mark_abandoned(self, project: str) -> list[str]:
        """Mark the runs of ``project`` whose process died while they were open: returns the
        ``sys/id`` of each object it marked (none the next time).

        An object whose ``sys/state`` is "running" but that no process holds open (no lock on
        ``<store>/alive/<uid>``: see ``nepnb.store.liveness``) gets ``sys/state`` "inactive"
        and ``sys/crashed`` True; its other fields, ``sys/ping_time`` (about when its process
        was last alive) and ``sys/modification_time`` included, are kept. Objects open in a
        live process, this one included, are never marked, however long they have been idle.

        Cheap when nothing is running (one query), so callers may run it before every read:
        ``fetch_runs_table`` does, and the kernel magic may. Safe to run from several
        processes at once: an object is marked once. Never marks anything on a platform
        without ``fcntl``.
        """
        if not liveness.SUPPORTED:
            return []
        rows = (
            self._connection()
            .execute(
                "SELECT o.uid, o.sys_id FROM objects o JOIN projects p ON p.id = o.project_id "
                "JOIN fields f ON f.object_uid = o.uid AND f.path = 'sys/state' "
                "WHERE p.name = ? AND f.value = ? ORDER BY o.created",
                (project, json.dumps("running")),
            )
            .fetchall()
        )
        marked = []
        for uid, sys_id in rows:
            lock = liveness.probe(self.home, uid)
            if lock is None:  # open in a live process
                continue
            try:
                if self._mark_if_running(uid):
                    marked.append(sys_id)
            finally:
                lock.release()
        return marked

    def _mark_if_running(self, uid: str) -> bool:
        """Mark ``uid`` crashed if it is still "running" (call with its lock held exclusively)."""
        with self._write() as con:
            row = con.execute(
                "SELECT value FROM fields WHERE object_uid = ? AND path = 'sys/state'", (uid,)
            ).fetchone()
            if row is None or json.loads(row[0]) != "running":
                return False
            ended = Batch(
                [
                    Operation(OpKind.ASSIGN, "sys/state", FieldType.RUN_STATE, "inactive"),
                    Operation(OpKind.ASSIGN, CRASHED_FIELD, FieldType.BOOL, True),
                ]
            )
            rejected = _SQLiteApplier(con, uid).apply(ended)
            return all(r.path != "sys/state" for r in rejected)

    # blobs ---------------------------------------------------------------------------
    def put_blob(self, data: bytes, *, project: str | None = None) -> str:
        return self.blobs.put_bytes(data)

    def put_blob_file(self, source: Path, *, project: str | None = None) -> tuple[str, int]:
        return self.blobs.put_file(source)

    def read_blob(self, digest: str) -> bytes:
        return self.blobs.read(digest)

    def copy_blob_to(self, digest: str, destination: Path) -> None:
        self.blobs.copy_to(digest, destination)

    # notebook checkpoints -------------------------------------------------------------
    def put_parts(self, parts: Mapping[str, bytes], *, project: str | None = None) -> int:
        return len(self._store_parts(parts, parts))


class _SQLiteApplier(Applier):
    """The batch applier over a connection of the local store, inside its transaction."""

    def __init__(self, con: sqlite3.Connection, uid: str) -> None:
        super().__init__(uid)
        self.con = con

    def _db_fields(self, paths: list[str]) -> Iterable[tuple[str, str, str | None]]:
        for chunk in batched(paths, 400):
            yield from self.con.execute(
                f"SELECT path, type, value FROM fields WHERE object_uid = ? AND path IN "
                f"({','.join('?' * len(chunk))})",
                (self.uid, *chunk),
            )

    def _db_set(self, path: str, ftype: FieldType, raw: str) -> None:
        self.con.execute(
            "INSERT INTO fields (object_uid, path, type, value) VALUES (?, ?, ?, ?) ON CONFLICT "
            "(object_uid, path) DO UPDATE SET type = excluded.type, value = excluded.value",
            (self.uid, path, ftype.value, raw),
        )

    def _db_first_child(self, path: str) -> str | None:
        row = self.con.execute(
            "SELECT path FROM fields WHERE object_uid = ? AND path >= ? AND path < ? LIMIT 1",
            (self.uid, path + "/", path + "0"),
        ).fetchone()
        return row[0] if row else None

    def _db_put_chunk(
        self, path: str, seq: int, count: int, steps: bytes, vals: bytes, times: bytes
    ) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO series_chunks (object_uid, path, seq, count, steps, vals, "
            "times) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.uid, path, seq, count, steps, vals, times),
        )

    def _db_chunks_from(self, path: str, seq: int) -> list[tuple[bytes, bytes, bytes]]:
        return self.con.execute(
            "SELECT steps, vals, times FROM series_chunks WHERE object_uid = ? AND path = ? "
            "AND seq >= ? ORDER BY seq",
            (self.uid, path, seq),
        ).fetchall()

    def _db_delete_chunks(self, path: str, seq: int) -> None:
        self.con.execute(
            "DELETE FROM series_chunks WHERE object_uid = ? AND path = ? AND seq >= ?",
            (self.uid, path, seq),
        )

    def _db_delete_under(self, path: str) -> None:
        for sql in (
            "DELETE FROM fields WHERE object_uid = ? AND (path = ? OR (path >= ? AND path < ?))",
            "DELETE FROM series_chunks WHERE object_uid = ? AND (path = ? OR (path >= ? AND path < ?))",
        ):
            self.con.execute(sql, (self.uid, path, path + "/", path + "0"))

    def _db_savepoint(self) -> None:
        self.con.execute("SAVEPOINT op")

    def _db_rollback(self) -> None:
        self.con.execute("ROLLBACK TO op")
        self.con.execute("RELEASE op")

    def _db_release(self) -> None:
        self.con.execute("RELEASE op")


def _rollback(con: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already (it does on a full disk)."""
    if con.in_transaction:
        con.execute("ROLLBACK")


_first_chunk = first_chunk  # the name tests/store/test_downsample.py uses


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


class _SQLiteTx(Tx):
    """The statements of the shared rules (nepnb.store.sqlcore) on a sqlite3 connection."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    # projects
    def project(self, name: str, *, lock: bool = False) -> tuple[int, str] | None:
        # (a write transaction is BEGIN IMMEDIATE: locked already)
        return self.con.execute("SELECT id, key FROM projects WHERE name = ?", (name,)).fetchone()

    def projects(self) -> list[tuple[str, str]]:
        return self.con.execute("SELECT name, key FROM projects ORDER BY name").fetchall()

    def insert_project(self, name: str, key: str, created: float) -> None:
        self.con.execute(
            "INSERT INTO projects (name, key, created) VALUES (?, ?, ?)", (name, key, created)
        )

    def delete_project(self, project_id: int) -> None:
        objects = "(SELECT uid FROM objects WHERE project_id = ?)"
        for table in ("series_chunks", "fields", "applied_batches"):
            self.con.execute(f"DELETE FROM {table} WHERE object_uid IN {objects}", (project_id,))
        for table in ("objects", "counters", "checkpoints", "notebooks"):
            self.con.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,))
        self.con.execute("DELETE FROM projects WHERE id = ?", (project_id,))

    def next_number(self, project_id: int, scope: str) -> int:
        row = self.con.execute(
            "SELECT next FROM counters WHERE project_id = ? AND scope = ?", (project_id, scope)
        ).fetchone()
        number = row[0] if row else 1
        self.con.execute(
            "INSERT INTO counters (project_id, scope, next) VALUES (?, ?, ?) "
            "ON CONFLICT (project_id, scope) DO UPDATE SET next = excluded.next",
            (project_id, scope, number + 1),
        )
        return int(number)

    # objects
    def object_by_uid(self, uid: str) -> tuple[str, str, str, str | None] | None:
        return self.con.execute(
            "SELECT p.name, o.kind, o.sys_id, o.custom_run_id FROM objects o JOIN projects p "
            "ON p.id = o.project_id WHERE o.uid = ?",
            (uid,),
        ).fetchone()

    def objects(
        self, project: str, where: Mapping[str, str] | None = None, *, trashed: bool = False
    ) -> list[ObjectRow]:
        sql = (
            "SELECT o.uid, o.kind, o.sys_id, o.custom_run_id FROM objects o JOIN projects p "
            "ON p.id = o.project_id"
        )
        args: list[Any] = []
        if trashed:
            sql += " JOIN fields f ON f.object_uid = o.uid AND f.path = ? AND f.value = 'true'"
            args.append(TRASHED_FIELD)
        sql += " WHERE p.name = ?"
        args.append(project)
        for column, value in (where or {}).items():
            assert column in OBJECT_FILTERS
            sql += f" AND o.{column} = ?"
            args.append(value)
        return self.con.execute(sql + " ORDER BY o.created, o.sys_id", args).fetchall()

    def insert_object(self, project_id: int, values: Mapping[str, Any]) -> None:
        self.con.execute(
            f"INSERT INTO objects (project_id, {', '.join(OBJECT_COLUMNS)}) "
            f"VALUES (?, {_marks(OBJECT_COLUMNS)})",
            (project_id, *(values[c] for c in OBJECT_COLUMNS)),
        )

    def existing(self, uids: list[str], *, lock: bool = False) -> list[str]:
        found: list[str] = []
        for chunk in batched(uids, 400):
            rows = self.con.execute(
                f"SELECT uid FROM objects WHERE uid IN ({_marks(chunk)})", chunk
            )
            found.extend(uid for (uid,) in rows)
        return found

    def lock_project_objects(self, project_id: int) -> None:
        pass  # BEGIN IMMEDIATE: the one writer already

    def delete_objects(self, uids: list[str]) -> None:
        for chunk in batched(uids, 400):
            for table, column in (
                ("series_chunks", "object_uid"),
                ("fields", "object_uid"),
                ("applied_batches", "object_uid"),
                ("objects", "uid"),
            ):
                self.con.execute(f"DELETE FROM {table} WHERE {column} IN ({_marks(chunk)})", chunk)

    # batches and fields
    def record_batch(self, batch_id: str, uid: str, applied: float) -> bool:
        cursor = self.con.execute(
            "INSERT OR IGNORE INTO applied_batches (batch_id, object_uid, applied) "
            "VALUES (?, ?, ?)",
            (batch_id, uid, applied),
        )
        return cursor.rowcount == 1

    def lock_object(self, uid: str) -> tuple[int, str, int | None] | None:
        row = self.con.execute(
            "SELECT p.id, p.name FROM objects o JOIN projects p ON p.id = o.project_id "
            "WHERE o.uid = ?",
            (uid,),
        ).fetchone()
        return None if row is None else (row[0], row[1], None)

    def applier(self, uid: str) -> Applier:
        return _SQLiteApplier(self.con, uid)

    def fields(
        self, uids: list[str], paths: list[str] | None = None, prefix: str | None = None
    ) -> Iterable[tuple[str, str, str, str | None]]:
        sql = (
            f"SELECT object_uid, path, type, value FROM fields WHERE object_uid IN ({_marks(uids)})"
        )
        args: list[Any] = list(uids)
        if prefix is not None:
            sql += " AND path >= ? AND path < ?"
            args += [prefix + "/", prefix + "0"]
        if paths is not None:
            sql += f" AND path IN ({_marks(paths)})"
            args += paths
        return self.con.execute(sql, args)

    def chunk_bytes(self, uids: list[str], types: Sequence[str]) -> Iterable[tuple[str, int]]:
        return self.con.execute(
            "SELECT f.object_uid, SUM(length(c.steps) + length(c.vals) + length(c.times)) "
            "FROM fields f CROSS JOIN series_chunks c ON c.object_uid = f.object_uid "
            f"AND c.path = f.path WHERE f.object_uid IN ({_marks(uids)}) "
            f"AND f.type IN ({_marks(types)}) GROUP BY f.object_uid",
            (*uids, *types),
        )

    def field(self, uid: str, path: str) -> tuple[str, str | None] | None:
        return self.con.execute(
            "SELECT type, value FROM fields WHERE object_uid = ? AND path = ?", (uid, path)
        ).fetchone()

    # series chunks
    def chunks(self, uid: str, path: str) -> list[tuple[bytes, bytes, bytes]]:
        return self.con.execute(
            "SELECT steps, vals, times FROM series_chunks WHERE object_uid = ? AND path = ? "
            "ORDER BY seq",
            (uid, path),
        ).fetchall()

    def chunk_at(
        self, uid: str, path: str, seq: int | None, *, last: bool = False, column: str = "steps"
    ) -> Chunk | None:
        # A scan of series_chunks loads every row's blobs (its key is the whole row): only
        # point lookups by seq are cheap, and substr reads 16 bytes of the chunk.
        assert column in ("steps", "times")
        where, order = ("seq <= ?", "DESC") if last else ("seq >= ?", "ASC")
        bound = seq if seq is not None else (2**62 if last else -(2**62))
        found = self.con.execute(
            f"SELECT seq, substr({column}, 1, 8), substr({column}, -8, 8) FROM series_chunks "
            f"WHERE object_uid = ? AND path = ? AND {where} ORDER BY seq {order} LIMIT 1",
            (uid, path, bound),
        ).fetchone()
        if found is None:
            return None
        return found[0], float64(found[1]), float64(found[2])

    def read_chunks(
        self, uid: str, path: str, column: str, seqs: tuple[int, int]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        assert column in ("steps", "times")
        rows = self.con.execute(
            f"SELECT {column}, vals FROM series_chunks WHERE object_uid = ? AND path = ? "
            "AND seq BETWEEN ? AND ? ORDER BY seq",
            (uid, path, *seqs),
        )
        for x, y in rows:
            yield np.frombuffer(x, dtype=np.float64), np.frombuffer(y, dtype=np.float64)

    # parts, notebooks, checkpoints
    def stored_parts(self, digests: list[str]) -> Iterable[str]:
        rows = self.con.execute(
            f"SELECT digest FROM parts WHERE digest IN ({_marks(digests)})", digests
        )
        return [digest for (digest,) in rows]

    def part_rows(self, digests: list[str]) -> Iterable[tuple[str, int, bytes]]:
        return self.con.execute(
            f"SELECT digest, encoding, data FROM parts WHERE digest IN ({_marks(digests)})",
            digests,
        )

    def insert_parts(self, rows: list[tuple[str, int, int, bytes]]) -> None:
        self.con.executemany(
            "INSERT OR IGNORE INTO parts (digest, size, encoding, data) VALUES (?, ?, ?, ?)", rows
        )

    def latest_checkpoint(self, project_id: int, notebook_id: str) -> tuple[str, int] | None:
        return self.con.execute(
            "SELECT id, seq FROM checkpoints WHERE project_id = ? AND notebook_id = ? "
            "ORDER BY seq DESC LIMIT 1",
            (project_id, notebook_id),
        ).fetchone()

    def insert_checkpoint(self, project_id: int, values: Mapping[str, Any]) -> None:
        self.con.execute(
            f"INSERT INTO checkpoints (project_id, {', '.join(CHECKPOINT_COLUMNS)}) "
            f"VALUES (?, {_marks(CHECKPOINT_COLUMNS)})",
            (project_id, *(values[c] for c in CHECKPOINT_COLUMNS)),
        )

    def touch_notebook(self, project_id: int, notebook_id: str, path: str, now: float) -> None:
        self.con.execute(
            "INSERT INTO notebooks (project_id, notebook_id, path, created, updated) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, notebook_id) "
            "DO UPDATE SET path = excluded.path, updated = excluded.updated",
            (project_id, notebook_id, path, now, now),
        )

    def checkpoints(self, project: str, notebook_id: str | None, prefix: str = "") -> list[Any]:
        columns = ", ".join(f"c.{c}" for c in CHECKPOINT_COLUMNS)
        sql = (
            f"SELECT {columns} FROM checkpoints c JOIN projects p ON p.id = c.project_id "
            "WHERE p.name = ?"
        )
        args: list[Any] = [project]
        if notebook_id is not None:
            sql += " AND c.notebook_id = ?"
            args.append(notebook_id)
        if prefix:
            sql += " AND c.id >= ? AND c.id < ?"
            args += [prefix, prefix + "g"]
        sql += " ORDER BY c.seq DESC" + (" LIMIT 2" if prefix else "")
        return self.con.execute(sql, args).fetchall()

    def notebooks(
        self, project: str, notebook_id: str | None = None
    ) -> list[tuple[str, str, float, float, int]]:
        where, args = (
            ("AND n.notebook_id = ?", (project, notebook_id)) if notebook_id else ("", (project,))
        )
        return self.con.execute(
            "SELECT n.notebook_id, n.path, n.created, n.updated, (SELECT count(*) FROM "
            "checkpoints c WHERE c.project_id = n.project_id AND c.notebook_id = n.notebook_id) "
            f"FROM notebooks n JOIN projects p ON p.id = n.project_id WHERE p.name = ? {where} "
            "ORDER BY n.updated DESC",
            args,
        ).fetchall()
