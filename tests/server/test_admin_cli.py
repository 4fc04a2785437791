"""`nepnb admin` and `nepnb server` as a team's admin uses them: commands, then a client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nepnb.exceptions import PermissionDenied, Unauthenticated
from nepnb.server.auth import decode_token
from nepnb.store.base import ObjectKind
from nepnb.store.http import HTTPStore
from tests.helpers.servers import TrackingServer, free_port

pytestmark = pytest.mark.server


def nepnb(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nepnb", *args], capture_output=True, text=True, env=env
    )


def _token(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_an_admin_sets_up_a_team_from_the_command_line(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'team.db'}"
    env = {**os.environ, "NEPNB_SERVER_DATABASE": database, "NEPNB_SERVER_URL": url}
    env.pop("NEPTUNE_API_TOKEN", None)

    first = nepnb("admin", "init", "alice", env=env)
    assert first.returncode == 0, first.stderr
    admin_token = _token(first.stdout)
    again = nepnb("admin", "init", "mallory", env=env)
    assert again.returncode == 1 and "has an admin already" in again.stderr
    assert "Traceback" not in again.stderr

    for command in (
        ["user", "add", "bob", "--workspace", "ml"],
        ["service-account", "add", "ci", "--workspace", "ml"],
        ["project", "add", "ml/cls", "--owner", "bob"],
        ["project", "grant", "ml/cls", "ci", "contributor"],
    ):
        done = nepnb("admin", *command, env=env)
        assert done.returncode == 0, (command, done.stderr)
    bob = _token(nepnb("admin", "token", "create", "bob", env=env).stdout)
    viewer = _token(nepnb("admin", "token", "create", "ci", "--read-only", env=env).stdout)
    assert decode_token(bob)[0] == url

    server = TrackingServer(database, tmp_path / "blobs", tmp_path / "server.log", port)
    server.start()
    try:
        store = HTTPStore(*decode_token(bob), retry_for=5)
        run = store.create_object("ml/cls", ObjectKind.RUN)
        assert run.sys_id == "CLS-1"
        read_only = HTTPStore(*decode_token(viewer), retry_for=5)
        assert [p.name for p in read_only.list_projects()] == ["ml/cls"]
        with pytest.raises(PermissionDenied, match="read-only"):
            read_only.create_object("ml/cls", ObjectKind.RUN)
        assert HTTPStore(*decode_token(admin_token), retry_for=5).whoami()["admin"] is True

        listed = nepnb("admin", "token", "list", env=env).stdout
        bob_id = next(line.split()[0] for line in listed.splitlines() if " bob " in line)
        assert nepnb("admin", "token", "revoke", bob_id, env=env).returncode == 0
        with pytest.raises(Unauthenticated, match="revoked"):
            store.list_projects()
    finally:
        server.stop()


def test_the_server_refuses_a_bad_database_url_without_a_traceback(tmp_path: Path) -> None:
    done = nepnb(
        "server", "--database", "nonsense://", "--port", str(free_port()), env=dict(os.environ)
    )
    assert done.returncode == 1
    assert "nepnb: error:" in done.stderr and "Traceback" not in done.stderr


def test_the_server_says_when_its_port_is_taken(tmp_path: Path) -> None:
    port = free_port()
    database = f"sqlite:///{tmp_path / 'team.db'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = nepnb("server", "--database", database, "--port", str(port), env=dict(os.environ))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "listening" not in done.stdout


def test_a_server_with_no_admin_says_how_to_make_one(tmp_path: Path) -> None:
    server = TrackingServer(
        f"sqlite:///{tmp_path / 'team.db'}", tmp_path / "blobs", tmp_path / "log", free_port()
    )
    server.start()
    server.stop()
    log = server.log.read_text()
    assert f"listening on http://127.0.0.1:{server.port}" in log
    assert "no admin yet" in log and "nepnb admin init NAME --database sqlite:///" in log
