"""Deleting objects from the trash gives back the storage of the files only they named: a
project's use is its objects' batches and the files and parts it holds (``blob_projects``);
a file another object (trashed or not) or a checkpoint still names keeps counting, and so
does a file uploaded for a batch not applied yet. Real servers, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import nepnb as neptune
from nepnb.exceptions import StorageLimitExceeded
from nepnb.server.auth import Identity, decode_token
from nepnb.server.database import make_engine
from nepnb.sizes import human_size
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.http import HTTPStore
from nepnb.store.operations import Batch, Operation, OpKind
from nepnb.types import File
from tests.helpers import QUIET
from tests.helpers.tracking import OwnServer

PROJECT = "team/cls"


def _store(token: str) -> HTTPStore:
    url, key = decode_token(token)
    return HTTPStore(url, key, retry_for=2)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _query(server: OwnServer, sql: str) -> list[Any]:
    """The rows of ``sql`` (``:name``: PROJECT) in the server's database."""
    engine = make_engine(server.database)
    with engine.connect() as con:
        rows = con.execute(text(sql), {"name": PROJECT}).all()
    engine.dispose()
    return list(rows)


def _held(server: OwnServer) -> dict[str, int]:
    """digest -> size of what the server records for PROJECT."""
    rows = _query(
        server,
        "SELECT b.digest, b.size FROM blob_projects b JOIN projects p "
        "ON p.id = b.project_id WHERE p.name = :name",
    )
    return {digest: int(size) for digest, size in rows}


def _limited(server: OwnServer, limit: int) -> Identity:
    _store(server.token).get_project(PROJECT, create=True)
    identity = Identity(make_engine(server.database))
    identity.set_project(PROJECT, storage_limit=limit)
    return identity


def _member(server: OwnServer, identity: Identity, role: str = "contributor") -> HTTPStore:
    """A store of a new non-admin account with ``role`` in PROJECT."""
    name = f"{role}-{os.urandom(3).hex()}"
    identity.create_account(name)
    identity.grant(PROJECT, name, role)
    return _store(identity.issue_token(name, api_url=server.server.url)[1])


def _name_file(store: HTTPStore, uid: str, path: str, data: bytes) -> None:
    """A batch that names the file ``data`` (uploaded before) at ``path``."""
    ref = {"digest": _digest(data), "size": len(data), "extension": "bin"}
    store.apply(uid, Batch([Operation(OpKind.ASSIGN, path, FieldType.FILE, ref)]))


def _run_with_file(store: HTTPStore, data: bytes, path: str = "model") -> str:
    run = store.create_object(PROJECT, ObjectKind.RUN)
    store.put_blob(data, project=PROJECT)
    _name_file(store, run.uid, path, data)
    return run.sys_id


def _delete(store: HTTPStore, *sys_ids: str) -> None:
    store.trash_objects(PROJECT, list(sys_ids))
    store.delete_objects_from_trash(PROJECT, list(sys_ids))


def test_deleting_a_run_from_the_trash_frees_its_files(
    server: OwnServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A file pushes the project near its limit; the next upload is refused, still after
    the run is trashed, and stored once it is deleted from the trash (File, FileSet and
    FileSeries values all give their files back)."""
    _limited(server, 100_000)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", server.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    model, image, extra = os.urandom(50_000), os.urandom(10_000), os.urandom(10_000)
    with neptune.init_run(mode="sync", **QUIET) as run:  # CLS-1
        run["model"].upload(File.from_content(model, extension="bin"))
        run["images"].append(File.from_content(image, extension="bin"))
        source = tmp_path / "extra.bin"
        source.write_bytes(extra)
        run["files"].upload_files([str(source)])
    assert set(_held(server)) == {_digest(model), _digest(image), _digest(extra)}

    second = os.urandom(40_000)
    with neptune.init_run(mode="sync", **QUIET) as run:  # CLS-2
        with pytest.raises(StorageLimitExceeded, match="storage limit"):
            run["model"].upload(File.from_content(second, extension="bin"))
        admin = _store(server.token)
        admin.trash_objects(PROJECT, ["CLS-1"])
        with pytest.raises(StorageLimitExceeded):  # trashed objects still count
            run["model"].upload(File.from_content(second, extension="bin"))
        admin.delete_objects_from_trash(PROJECT, ["CLS-1"])
        run["model"].upload(File.from_content(second, extension="bin"))
    assert set(_held(server)) == {_digest(second)}


def test_a_file_named_elsewhere_in_the_project_survives(server: OwnServer) -> None:
    """Another run, or a trashed one not deleted, that names the same file keeps it held,
    counted, and readable through the project by its members."""
    identity = _limited(server, 10**9)
    admin = _store(server.token)
    shared, other = os.urandom(5_000), os.urandom(6_000)
    first = _run_with_file(admin, shared)
    _run_with_file(admin, shared, "copy")  # CLS-2: the same file
    trashed = _run_with_file(admin, other)  # CLS-3
    fourth = admin.create_object(PROJECT, ObjectKind.RUN)
    _name_file(admin, fourth.uid, "other", other)  # CLS-4 names CLS-3's file too
    admin.trash_objects(PROJECT, [trashed])
    _delete(admin, first, fourth.sys_id)
    assert _held(server) == {_digest(shared): 5_000, _digest(other): 6_000}
    member = _member(server, identity, "viewer")
    assert member.read_blob(_digest(shared)) == shared
    assert member.read_blob(_digest(other)) == other

    _delete(admin, "CLS-2")
    assert _held(server) == {_digest(other): 6_000}
    admin.delete_objects_from_trash(PROJECT, [trashed])
    assert _held(server) == {}


def test_a_file_uploaded_for_a_batch_on_its_way_is_kept(server: OwnServer) -> None:
    """A client uploads a file, then ships the batch naming it: a deletion in between
    keeps it, whether it is new to the project or one the deleted run named."""
    identity = _limited(server, 10**9)
    admin = _store(server.token)
    named, fresh = os.urandom(3_000), os.urandom(4_000)
    old = _run_with_file(admin, named)
    admin.trash_objects(PROJECT, [old])
    writer = admin.create_object(PROJECT, ObjectKind.RUN)
    admin.put_blob(fresh, project=PROJECT)  # not named by the deleted run
    admin.put_blob(named, project=PROJECT)  # uploaded again: its batch is on its way
    admin.delete_objects_from_trash(PROJECT, [old])
    assert set(_held(server)) == {_digest(named), _digest(fresh)}
    _name_file(admin, writer.uid, "a", named)
    _name_file(admin, writer.uid, "b", fresh)
    member = _member(server, identity)
    assert member.read_blob(_digest(named)) == named
    assert member.read_blob(_digest(fresh)) == fresh


def test_checkpoint_parts_keep_counting(server: OwnServer) -> None:
    """A run's file that is also a part a checkpoint reaches stays held when the run goes."""
    _limited(server, 10**9)
    admin = _store(server.token)
    image = os.urandom(2_000)
    manifest = json.dumps({"cells": [{"outputs": [_digest(image)]}]}).encode()
    admin.put_parts({_digest(image): image, _digest(manifest): manifest}, project=PROJECT)
    admin.add_checkpoint(
        PROJECT, "nb1", path="a.ipynb", summary="s", body="", author="me",
        manifest=_digest(manifest),
    )  # fmt: skip
    run = _run_with_file(admin, image)
    _delete(admin, run)
    assert set(_held(server)) == {_digest(image), _digest(manifest)}


def test_a_file_counts_once_not_again_in_the_batch_that_names_it(server: OwnServer) -> None:
    """The project is charged for a file when it is uploaded; the batch that names it is
    charged for its JSON only (it was charged the file's size a second time)."""
    _limited(server, 100_000)
    admin = _store(server.token)
    data = os.urandom(60_000)
    sys_id = _run_with_file(admin, data)  # refused before: 60,000 + 60,000 > 100,000
    assert _held(server) == {_digest(data): 60_000}
    assert 60_000 < _use(server) < 61_000  # the file once, and the batch's JSON
    stored = admin.get_fields(admin.find_object(PROJECT, sys_id=sys_id).uid, ["model"])
    assert stored["model"].value["digest"] == _digest(data)  # and the run names it


def test_deleting_a_project_that_holds_files(server: OwnServer) -> None:
    """Its blob_projects rows go with it (PostgreSQL refused: a foreign key)."""
    admin = _store(server.token)
    admin.get_project(PROJECT, create=True)
    _run_with_file(admin, os.urandom(1_000))
    admin.delete_project(PROJECT)
    assert PROJECT not in [p.name for p in admin.list_projects()]
    admin.get_project(PROJECT, create=True)
    assert _held(server) == {}


def _use(server: OwnServer) -> int:
    """PROJECT's storage use, as its limit counts it."""
    rows = _query(
        server,
        "SELECT (SELECT COALESCE(SUM(o.used_bytes), 0) FROM objects o WHERE "
        "o.project_id = p.id) + (SELECT COALESCE(SUM(b.size), 0) FROM blob_projects b "
        "WHERE b.project_id = p.id) FROM projects p WHERE p.name = :name",
    )
    return int(rows[0][0])


def test_the_trash_list_says_what_deleting_gives_back(
    server: OwnServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each object's ``frees`` is what deleting it alone gives back, the usage total what
    clearing the trash does (a file two trashed runs name comes back with the last), and
    `nepnb trash list` shows them (it showed sys/size, which counts a shared file)."""
    from nepnb import management
    from nepnb.cli.main import main

    _limited(server, 10**9)
    monkeypatch.setenv("NEPTUNE_API_TOKEN", server.token)
    admin = _store(server.token)
    own, shared, kept = os.urandom(30_000), os.urandom(20_000), os.urandom(7_000)
    first = _run_with_file(admin, own)  # CLS-1: its own file, and one CLS-2 names too
    _name_file(admin, admin.find_object(PROJECT, sys_id=first).uid, "shared", shared)
    second = _run_with_file(admin, shared)  # CLS-2
    _name_file(admin, admin.find_object(PROJECT, sys_id=second).uid, "kept", kept)
    _run_with_file(admin, kept)  # CLS-3 stays: its file is not given back
    admin.trash_objects(PROJECT, [first, second])

    listed = {item["id"]: item for item in management.get_trash_list(PROJECT)}
    total = management.get_trash_usage(PROJECT)
    assert listed[first]["size"] > listed[first]["frees"] > 30_000  # sys/size counts shared
    assert total is not None and total > listed[first]["frees"] + listed[second]["frees"]
    assert main(["trash", "list", "-p", PROJECT]) == 0
    out = capsys.readouterr().out
    assert f"gives back {human_size(total)}" in out
    assert human_size(listed[first]["frees"]) in out.splitlines()[0]

    before = _use(server)
    admin.delete_objects_from_trash(PROJECT, [first])
    assert before - _use(server) == listed[first]["frees"]
    before = _use(server)
    after_first = management.get_trash_usage(PROJECT)
    admin.clear_trash(PROJECT)
    assert before - _use(server) == after_first
    assert after_first == listed[second]["frees"] + 20_000  # the shared file came back
    assert set(_held(server)) == {_digest(kept)}
