"""Access control over a real server: each kind of account against each endpoint group."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest

from nepnb.exceptions import ContentNotFound, PermissionDenied, ProjectNotFound, Unauthenticated
from nepnb.store.base import ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.http import HTTPStore
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints
from tests.helpers.tracking import Team


def _batch() -> Batch:
    points = SeriesPoints(np.arange(3.0), np.array([1.0, 2.0, 3.0]), np.zeros(3))
    return Batch(
        [
            Operation(OpKind.ASSIGN, "lr", FieldType.FLOAT, 0.1),
            Operation(OpKind.LOG, "loss", FieldType.FLOAT_SERIES, points),
        ]
    )


# Files and checkpoint parts of the project (uploaded by the setup), and new ones.
FILE, PART, NEW_FILE, NEW_PART = b"weights", b"a cell", b"new weights", b"a new cell"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Each endpoint group: what a principal does through its HTTP store.
READS: dict[str, Callable[[HTTPStore, str, str], Any]] = {
    "project": lambda s, p, uid: s.get_project(p),
    "list objects": lambda s, p, uid: s.list_objects(p, ObjectKind.RUN),
    "find object": lambda s, p, uid: s.find_object(p, sys_id="PRO-1"),
    "fields": lambda s, p, uid: s.get_fields(uid),
    "series": lambda s, p, uid: s.read_series(uid, "loss"),
    "buckets": lambda s, p, uid: s.read_series_buckets(uid, "loss", buckets=10),
    "notebooks": lambda s, p, uid: s.list_notebooks(p),
    "list trash": lambda s, p, uid: s.list_trash(p),
    "members": lambda s, p, uid: s.project_members(p),
    "service accounts": lambda s, p, uid: s.project_members(p, kind="service"),
    "file": lambda s, p, uid: s.read_blob(_digest(FILE)),
    "parts": lambda s, p, uid: s.get_parts([_digest(PART)], project=p),
    "missing parts": lambda s, p, uid: s.missing_parts([_digest(PART)], project=p),
}
WRITES: dict[str, Callable[[HTTPStore, str, str], Any]] = {
    "create object": lambda s, p, uid: s.create_object(p, ObjectKind.RUN),
    "apply batch": lambda s, p, uid: s.apply(uid, _batch()),
    "checkpoint": lambda s, p, uid: s.add_checkpoint(
        p, "nb", path="a.ipynb", summary="x", body="", author="a", manifest="m"
    ),
    "upload file": lambda s, p, uid: s.put_blob(NEW_FILE, project=p),
    "upload parts": lambda s, p, uid: s.put_parts({_digest(NEW_PART): NEW_PART}, project=p),
    "trash": lambda s, p, uid: s.trash_objects(p, ["PRO-1"]),
    "restore": lambda s, p, uid: s.restore_objects(p, ["PRO-1"]),
}
# Irreversible: the owner role (``uid`` here is the sys/id of a trashed run).
DELETES: dict[str, Callable[[HTTPStore, str, str], Any]] = {
    "delete from trash": lambda s, p, sys_id: s.delete_objects_from_trash(p, [sys_id]),
    "clear trash": lambda s, p, sys_id: s.clear_trash(p),
}
# Managing the project: owners and admins, never service accounts (``uid``: a user's name).
MANAGE: dict[str, Callable[[HTTPStore, str, str], Any]] = {
    "add member": lambda s, p, user: s.add_project_member(p, user, "viewer"),
    "remove member": lambda s, p, user: s.remove_project_member(p, user),
    "delete project": lambda s, p, user: s.delete_project(p),
}


# (principal, visibility of the project, reads, writes, deletes, manage): "ok", "denied"
# (403) or "hidden" (404: the project, or the file, is not there for it, and its name does not
# leak).
MATRIX = [
    ("admin", "private", "ok", "ok", "ok", "ok"),
    ("read-only admin token", "private", "ok", "denied", "denied", "denied"),
    ("owner", "private", "ok", "ok", "ok", "ok"),
    ("contributor", "private", "ok", "ok", "denied", "denied"),
    ("viewer", "private", "ok", "denied", "denied", "denied"),
    ("read-only contributor token", "private", "ok", "denied", "denied", "denied"),
    ("read-only owner token", "private", "ok", "denied", "denied", "denied"),
    ("outsider", "private", "hidden", "hidden", "hidden", "hidden"),
    ("workspace member", "private", "hidden", "hidden", "hidden", "hidden"),
    ("workspace member", "workspace", "ok", "denied", "denied", "denied"),
    ("outsider", "workspace", "hidden", "hidden", "hidden", "hidden"),
    ("outsider", "public", "ok", "denied", "denied", "denied"),
    ("assigned service account", "private", "ok", "ok", "denied", "denied"),
    ("owner service account", "private", "ok", "ok", "ok", "denied"),
    ("unassigned service account", "public", "hidden", "hidden", "hidden", "hidden"),
]


def _principal(team: Team, who: str, project: str, workspace: str) -> str:
    """A token of an account that is ``who`` to ``project``."""
    identity = team.identity
    if who == "admin":
        return team.token(team.account("root", admin=True))
    if who == "read-only admin token":
        return team.token(team.account("root", admin=True), read_only=True)
    if who in ("owner", "contributor", "viewer"):
        name = team.account(who)
        identity.grant(project, name, who)
        return team.token(name)
    if who in ("read-only contributor token", "read-only owner token"):
        name = team.account("ro")
        identity.grant(project, name, who.split()[1])
        return team.token(name, read_only=True)
    if who == "workspace member":
        name = team.account("member")
        identity.create_workspace(workspace, [name])
        return team.token(name)
    if who == "outsider":
        return team.token(team.account("outsider"))
    if who in ("assigned service account", "owner service account"):
        name = team.account("ci", kind="service", workspace=workspace)
        identity.grant(project, name, "owner" if who.startswith("owner") else "contributor")
        return team.token(name)
    if who == "unassigned service account":
        return team.token(team.account("bot", kind="service", workspace=workspace))
    raise AssertionError(who)


def _outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except PermissionDenied:
        return "denied"
    except (ProjectNotFound, ContentNotFound):
        return "hidden"
    return "ok"


@pytest.mark.parametrize(("who", "visibility", "reads", "writes", "deletes", "manage"), MATRIX)
def test_role_matrix(
    team: Team, who: str, visibility: str, reads: str, writes: str, deletes: str, manage: str
) -> None:
    workspace = team.name("acme")
    project = f"{workspace}/proj"
    admin = team.store(team.token(team.account("setup", admin=True)))
    run = admin.create_object(project, ObjectKind.RUN)
    assert run.sys_id == "PRO-1"
    admin.apply(run.uid, _batch())
    admin.put_blob(FILE, project=project)
    admin.put_parts({_digest(PART): PART}, project=project)
    team.identity.set_project(project, visibility=visibility)
    store = team.store(_principal(team, who, project, workspace))
    got = {
        name: _outcome(lambda c=call: c(store, project, run.uid)) for name, call in READS.items()
    }
    assert got == dict.fromkeys(READS, reads)
    got = {
        name: _outcome(lambda c=call: c(store, project, run.uid)) for name, call in WRITES.items()
    }
    assert got == dict.fromkeys(WRITES, writes)
    # Nothing a refused write tried was stored.
    stored = admin.list_objects(project, ObjectKind.RUN)
    assert len(stored) == (2 if writes == "ok" else 1)
    held = {_digest(NEW_FILE), _digest(NEW_PART)} & _held(team, project)
    assert len(held) == (2 if writes == "ok" else 0)

    trashed = admin.create_object(project, ObjectKind.RUN)
    admin.trash_objects(project, [trashed.sys_id])
    got = {
        name: _outcome(lambda c=call: c(store, project, trashed.sys_id))
        for name, call in DELETES.items()
    }
    assert got == dict.fromkeys(DELETES, deletes)
    assert len(admin.list_trash(project)) == (0 if deletes == "ok" else 1)

    user = team.account("newcomer")
    got = {name: _outcome(lambda c=call: c(store, project, user)) for name, call in MANAGE.items()}
    assert got == dict.fromkeys(MANAGE, manage)
    assert (project in [p.name for p in admin.list_projects()]) == (manage != "ok")


def _held(team: Team, project: str) -> set[str]:
    """The digests the server records for ``project``."""
    from sqlalchemy import text

    with team.identity.engine.connect() as con:
        rows = con.execute(
            text(
                "SELECT b.digest FROM blob_projects b JOIN projects p ON p.id = b.project_id "
                "WHERE p.name = :name"
            ),
            {"name": project},
        )
        return set(rows.scalars())


@pytest.mark.parametrize("deployment", ["sqlite", "postgres"], indirect=True)
def test_files_and_parts_are_read_through_the_projects_that_uploaded_them(team: Team) -> None:
    """A digest is no key: a token of project A cannot read B's file or parts, nor learn
    that they exist; uploading the same bytes to A gives A its own (deduplicated) copy."""
    admin = team.store(team.token(team.account("root", admin=True)))
    mine, theirs = f"{team.name('a')}/mine", f"{team.name('b')}/theirs"
    for project in (mine, theirs):
        admin.get_project(project, create=True)
    secret, part = b"their secret weights", b"their secret cell"
    digest = admin.put_blob(secret, project=theirs)
    admin.put_parts({_digest(part): part}, project=theirs)
    dev = team.account("dev")
    team.identity.grant(mine, dev, "contributor")
    store = team.store(team.token(dev))
    unknown = "0" * 64
    for read in (digest, unknown):  # the same answer as for a file that does not exist
        with pytest.raises(ContentNotFound, match=f"the file {read} is missing"):
            store.read_blob(read)
    assert store.missing_parts([_digest(part)], project=mine) == {_digest(part)}
    with pytest.raises(ContentNotFound):
        store.get_parts([_digest(part)], project=mine)
    with pytest.raises(ProjectNotFound):
        store.get_parts([_digest(part)], project=theirs)
    with pytest.raises(ProjectNotFound):
        store.put_blob(b"x", project=theirs)
    # Having the bytes is what gives access: uploading them to its own project.
    assert store.put_blob(secret, project=mine) == digest
    assert store.read_blob(digest) == secret
    assert store.put_parts({_digest(part): part}, project=mine) == 1
    assert store.get_parts([_digest(part)], project=mine) == {_digest(part): part}
    assert _held(team, mine) == _held(team, theirs) == {digest, _digest(part)}


@pytest.mark.parametrize("deployment", ["sqlite", "postgres"], indirect=True)
def test_files_count_against_the_storage_limit_of_their_project(team: Team) -> None:
    from nepnb.exceptions import StorageLimitExceeded

    admin = team.store(team.token(team.account("root", admin=True)))
    project, other = f"{team.name('a')}/limited", f"{team.name('a')}/free"
    admin.get_project(project, create=True)
    admin.get_project(other, create=True)
    team.identity.set_project(project, storage_limit=1000)
    admin.put_blob(b"x" * 600, project=project)
    admin.put_blob(b"x" * 600, project=project)  # held already: not counted twice
    with pytest.raises(StorageLimitExceeded, match="this file \\(600 bytes\\) was not stored"):
        admin.put_blob(b"y" * 600, project=project)
    with pytest.raises(StorageLimitExceeded):
        admin.put_parts({_digest(b"z" * 600): b"z" * 600}, project=project)
    admin.put_blob(b"y" * 600, project=other)  # another project's limit
    assert _digest(b"y" * 600) not in _held(team, project)


def test_only_admins_create_projects(team: Team) -> None:
    contributor = team.store(team.token(team.account("dev")))
    with pytest.raises(ProjectNotFound, match="Projects it can reach: none"):
        contributor.get_project(f"{team.name('ws')}/new", create=True)
    admin = team.store(team.token(team.account("root", admin=True)))
    assert admin.get_project(f"{team.name('ws')}/new", create=True).key == "NEW"


def test_a_token_for_another_project_is_told_which_it_can_reach(team: Team) -> None:
    admin = team.store(team.token(team.account("root", admin=True)))
    mine, theirs = f"{team.name('a')}/mine", f"{team.name('b')}/theirs"
    admin.get_project(mine, create=True)
    admin.get_project(theirs, create=True)
    dev = team.account("dev")
    team.identity.grant(mine, dev, "contributor")
    store = team.store(team.token(dev))
    with pytest.raises(ProjectNotFound, match=f"Projects it can reach: {mine}\\."):
        store.create_object(theirs, ObjectKind.RUN)
    assert [p.name for p in store.list_projects()] == [mine]


def test_expired_revoked_and_rotated_tokens(team: Team) -> None:
    dev = team.account("dev", admin=True)
    expiring = team.token(dev, expires_in=0.5)
    team.store(expiring).list_projects()
    time.sleep(0.6)
    with pytest.raises(Unauthenticated, match="expired"):
        team.store(expiring).list_projects()

    token_id, token = team.identity.issue_token(dev, api_url=team.deployment.server.url)
    team.store(token).list_projects()
    team.identity.revoke_token(token_id)
    with pytest.raises(Unauthenticated, match="revoked"):
        team.store(token).list_projects()

    token_id, token = team.identity.issue_token(dev, api_url=team.deployment.server.url)
    _, rotated = team.identity.rotate_token(token_id, api_url=team.deployment.server.url)
    with pytest.raises(Unauthenticated, match="revoked"):
        team.store(token).list_projects()
    team.store(rotated).list_projects()

    url = team.deployment.server.url
    with pytest.raises(Unauthenticated, match="not known"):
        HTTPStore(url, f"{token_id}.wrong-secret", retry_for=0).list_projects()


def test_tokens_are_stored_hashed(team: Team) -> None:
    from sqlalchemy import text

    from nepnb.server.auth import decode_token

    token = team.token(team.account("dev"))
    secret = decode_token(token)[1].split(".", 1)[1]
    with team.identity.engine.connect() as con:
        hashes = list(con.execute(text("SELECT secret_hash FROM tokens")).scalars())
    assert secret not in hashes and all(secret not in h for h in hashes)


def test_every_endpoint_but_health_needs_a_token(team: Team) -> None:
    url = team.deployment.server.url
    schema = httpx.get(f"{url}/openapi.json").json()
    checked = 0
    for path, methods in schema["paths"].items():
        concrete = (
            path.replace("{workspace}", "w")
            .replace("{name}", "p")
            .replace("{uid}", "0" * 32)
            .replace("{digest}", "0" * 64)
            .replace("{notebook_id}", "nb")
            .replace("{checkpoint_id}", "abcd")
            .replace("{account}", "someone")
        )
        for method in methods:
            response = httpx.request(method.upper(), f"{url}{concrete}?path=x&kind=run", json={})
            if path == "/api/v1/health":
                assert response.status_code == 200
                continue
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "UNAUTHENTICATED"
            checked += 1
    assert checked >= 20
