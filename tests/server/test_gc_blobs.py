"""``nepnb admin gc-blobs``: the bytes of files and checkpoint parts no project holds any
more are removed from the blob store (folder, or a moto S3 server) and the parts table;
files still held, or written recently, stay. Real servers, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from nepnb.exceptions import StoreError
from nepnb.server.auth import decode_token
from nepnb.server.database import make_engine, migrate
from nepnb.server.gc import GcReport, collect_garbage
from nepnb.server.sql import SQLStore
from nepnb.store.base import ObjectKind
from nepnb.store.blobs import BlobStore
from nepnb.store.field_types import FieldType
from nepnb.store.http import HTTPStore
from nepnb.store.operations import Batch, Operation, OpKind
from tests.helpers.s3 import BUCKET
from tests.helpers.tracking import OwnServer

PROJECT = "team/cls"
OTHER = "team/other"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _admin(server: OwnServer) -> HTTPStore:
    url, key = decode_token(server.token)
    return HTTPStore(url, key, retry_for=2)


def _sql(server: OwnServer) -> SQLStore:
    return SQLStore(make_engine(server.database), server.server.blobs)


def _run_with_file(store: HTTPStore, project: str, data: bytes) -> str:
    run = store.create_object(project, ObjectKind.RUN)
    store.put_blob(data, project=project)
    ref = {"digest": _digest(data), "size": len(data), "extension": "bin"}
    store.apply(run.uid, Batch([Operation(OpKind.ASSIGN, "model", FieldType.FILE, ref)]))
    return run.sys_id


def _delete(store: HTTPStore, project: str, *sys_ids: str) -> None:
    store.trash_objects(project, list(sys_ids))
    store.delete_objects_from_trash(project, list(sys_ids))


def _stored_parts(server: OwnServer) -> set[str]:
    engine = make_engine(server.database)
    with engine.connect() as con:
        found = set(con.execute(text("SELECT digest FROM parts")).scalars())
    engine.dispose()
    return found


def _gc(server: OwnServer, **kwargs: Any) -> GcReport:
    store = _sql(server)
    try:
        return collect_garbage(store, **kwargs)
    finally:
        store.close()


def test_gc_removes_what_no_project_holds_and_keeps_the_rest(server: OwnServer) -> None:
    admin = _admin(server)
    gone, shared, elsewhere = os.urandom(5_000), os.urandom(7_000), os.urandom(11_000)
    deleted = _run_with_file(admin, PROJECT, gone)
    deleted_too = _run_with_file(admin, PROJECT, shared)
    _run_with_file(admin, PROJECT, shared)  # another run still names it
    deleted_last = _run_with_file(admin, PROJECT, elsewhere)
    _run_with_file(admin, OTHER, elsewhere)  # another project holds it
    # checkpoint parts: those of a deleted project go, those of a project left stay
    part, kept_part = os.urandom(3_000), os.urandom(2_000)
    admin.put_parts({_digest(part): part}, project="team/notebooks")
    admin.put_parts({_digest(kept_part): kept_part}, project=PROJECT)
    admin.delete_project("team/notebooks")
    _delete(admin, PROJECT, deleted, deleted_too, deleted_last)

    # every file is new: none goes yet, the parts would (they have no time: see gc.py)
    assert _gc(server, dry_run=True) == GcReport(0, 0, 1, 3_000, dry_run=True)
    dry = _gc(server, older_than=0, dry_run=True)
    assert dry == GcReport(1, 5_000, 1, 3_000, dry_run=True)
    blobs = _sql(server).blobs
    assert isinstance(blobs, BlobStore)
    assert blobs.exists(_digest(gone))
    assert _stored_parts(server) == {_digest(part), _digest(kept_part)}  # (dry: all kept)

    assert _gc(server, older_than=0) == GcReport(1, 5_000, 1, 3_000, dry_run=False)
    assert not blobs.exists(_digest(gone))
    assert not blobs.path(_digest(gone)).exists()
    assert _stored_parts(server) == {_digest(kept_part)}
    assert admin.read_blob(_digest(shared)) == shared
    assert admin.read_blob(_digest(elsewhere)) == elsewhere
    assert admin.get_parts([_digest(kept_part)], project=PROJECT) == {_digest(kept_part): kept_part}
    assert _gc(server, older_than=0) == GcReport(0, 0, 0, 0, dry_run=False)

    # uploaded again after the collection: stored again, readable
    _run_with_file(admin, PROJECT, gone)
    assert admin.read_blob(_digest(gone)) == gone
    admin.put_parts({_digest(part): part}, project=PROJECT)
    assert admin.get_parts([_digest(part)], project=PROJECT) == {_digest(part): part}


def test_gc_removes_keys_from_an_s3_bucket(
    s3: Any,
    own_server: Any,
) -> None:
    prefix = f"gc-{uuid.uuid4().hex[:8]}"
    server: OwnServer = own_server(blobs=f"s3://{BUCKET}/{prefix}")
    admin = _admin(server)
    gone, kept = os.urandom(4_000), os.urandom(6_000)
    deleted = _run_with_file(admin, PROJECT, gone)
    _run_with_file(admin, PROJECT, kept)
    _delete(admin, PROJECT, deleted)

    def keys() -> set[str]:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")
        return {item["Key"] for item in listed.get("Contents", [])}

    both = {f"{prefix}/{_digest(gone)}", f"{prefix}/{_digest(kept)}"}
    assert keys() == both
    assert _gc(server) == GcReport(0, 0, 0, 0, dry_run=False)  # written just now
    assert _gc(server, older_than=0, dry_run=True) == GcReport(1, 4_000, 0, 0, dry_run=True)
    assert keys() == both
    assert _gc(server, older_than=0) == GcReport(1, 4_000, 0, 0, dry_run=False)
    assert keys() == {f"{prefix}/{_digest(kept)}"}
    assert admin.read_blob(_digest(kept)) == kept


def _nepnb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nepnb", "admin", "gc-blobs", *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("NEPNB_SERVER")},
    )


def test_the_gc_blobs_command(own_server: Any, tmp_path: Path) -> None:
    server: OwnServer = own_server()
    admin = _admin(server)
    gone = os.urandom(2_048)
    _delete(admin, PROJECT, _run_with_file(admin, PROJECT, gone))
    where = ["--database", server.database, "--blobs", str(server.server.blobs)]

    dry = _nepnb(*where, "--older-than", "0", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("Would free 2.0 kB: 1 file (2.0 kB)"), dry.stdout
    kept = _nepnb(*where)
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.startswith("Freed 0 B: 0 files (0 B) no project holds, written more "
                                  "than 24 hours ago"), kept.stdout  # fmt: skip
    done = _nepnb(*where, "--older-than", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Freed 2.0 kB: 1 file"), done.stdout
    assert not BlobStore(Path(server.server.blobs)).exists(_digest(gone))

    helped = subprocess.run(
        [sys.executable, "-m", "nepnb", "admin", "gc-blobs", "--help"],
        capture_output=True,
        text=True,
    )
    assert "--older-than HOURS" in helped.stdout and "--dry-run" in helped.stdout

    negative = _nepnb(*where, "--older-than", "-1")
    assert negative.returncode == 2 and "must be 0 or more" in negative.stderr
    words = _nepnb(*where, "--older-than", "a day")
    assert words.returncode == 2 and "give a number of hours" in words.stderr
    # a wrong --database holds nothing: refused, not every file removed
    empty = _nepnb("--database", f"sqlite:///{tmp_path / 'nothing.db'}", "--blobs",
                   str(server.server.blobs), "--older-than", "0")  # fmt: skip
    assert empty.returncode == 1 and "not a tracking server's database" in empty.stderr
    assert len(empty.stderr.strip().splitlines()) == 1 and "Traceback" not in empty.stderr
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(fresh)
    fresh.dispose()
    unused = _nepnb("--database", f"sqlite:///{tmp_path / 'fresh.db'}", "--blobs",
                    str(server.server.blobs), "--older-than", "0")  # fmt: skip
    assert unused.returncode == 1 and "has no projects" in unused.stderr, unused.stderr
    _run_with_file(admin, PROJECT, gone)  # uploaded again after the collection
    assert admin.read_blob(_digest(gone)) == gone


def test_an_upload_records_its_hold_before_it_stores_the_bytes(server: OwnServer) -> None:
    """While gc-blobs holds the lock on the holds, an upload waits before its bytes are
    stored: an upload whose bytes were found stored (old, no holder) and then removed by
    the collection, before its hold was recorded, would leave the file held but gone."""
    from nepnb.server.gc import _holds_locked

    admin = _admin(server)
    admin.get_project(PROJECT, create=True)
    data, part = os.urandom(3_000), os.urandom(1_000)
    store = _sql(server)
    blobs = store.blobs
    assert isinstance(blobs, BlobStore)
    done: list[object] = []

    def upload() -> None:
        try:
            admin.put_blob(data, project=PROJECT)
            admin.put_parts({_digest(part): part}, project=PROJECT)
            done.append(True)
        except BaseException as error:  # (reported by the test)
            done.append(error)

    try:
        with _holds_locked(store):
            worker = threading.Thread(target=upload)
            worker.start()
            time.sleep(1.5)
            assert not blobs.exists(_digest(data))  # waiting to record its hold
        worker.join(30)
        assert done == [True]
        assert admin.read_blob(_digest(data)) == data
        assert admin.get_parts([_digest(part)], project=PROJECT) == {_digest(part): part}
    finally:
        store.close()


def test_a_part_held_but_not_stored_is_stored_when_uploaded_again(server: OwnServer) -> None:
    """A part whose storing failed after its hold was recorded is listed missing, and
    stored by the next upload (not skipped as held)."""
    admin = _admin(server)
    part = os.urandom(1_500)
    admin.put_parts({_digest(part): part}, project=PROJECT)
    engine = make_engine(server.database)
    with engine.begin() as con:
        con.execute(text("DELETE FROM parts WHERE digest = :d"), {"d": _digest(part)})
    engine.dispose()
    assert admin.missing_parts([_digest(part)], project=PROJECT) == {_digest(part)}
    admin.put_parts({_digest(part): part}, project=PROJECT)
    assert admin.get_parts([_digest(part)], project=PROJECT) == {_digest(part): part}


def test_a_failed_upload_leaves_no_hold(
    s3: Any,
    own_server: Any,
) -> None:
    """The hold is recorded before the bytes are stored; when storing fails, it goes again
    (the project is not charged for bytes it does not have)."""
    bucket = f"gone-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    server: OwnServer = own_server(blobs=f"s3://{bucket}/blobs")
    admin = _admin(server)
    admin.get_project(PROJECT, create=True)
    s3.delete_bucket(Bucket=bucket)  # (empty)
    data = os.urandom(1_000)
    with pytest.raises(StoreError, match="cannot write to the blob bucket"):
        admin.put_blob(data, project=PROJECT)
    engine = make_engine(server.database)
    with engine.connect() as con:
        held = con.execute(text("SELECT count(*) FROM blob_projects")).scalar()
    engine.dispose()
    assert held == 0
