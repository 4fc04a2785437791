"""Files against a tracking server that is away: in async mode they are queued on disk with
the batches that name them, never waited for nor lost; the server keeps them per project."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import nepnb as neptune
from nepnb.cli.main import main
from nepnb.exceptions import NepnbWarning, ServerUnavailable, StorageLimitExceeded
from nepnb.server.auth import Identity, decode_token
from nepnb.server.database import make_engine
from nepnb.store.http import HTTPStore
from nepnb.types import File
from tests.helpers import QUIET, REPO_ROOT
from tests.helpers.tracking import OwnServer

PROJECT = "team/cls"


def _store(token: str) -> HTTPStore:
    return HTTPStore(*decode_token(token), retry_for=10)


def _content(i: int) -> bytes:
    return f"file {i}\n".encode() * (i + 1)


def _connect(monkeypatch: pytest.MonkeyPatch, own: OwnServer, retry: str = "0.3") -> None:
    monkeypatch.setenv("NEPTUNE_API_TOKEN", own.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    monkeypatch.setenv("NEPNB_HTTP_RETRY_SECONDS", retry)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_files_given_while_the_server_is_killed_are_queued_and_all_arrive_once(
    own_server: Callable[..., OwnServer],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database: str,
) -> None:
    own = own_server(database=database)
    _connect(monkeypatch, own)
    run = neptune.init_run(flush_period=0.05, **QUIET)
    total = 30
    for i in range(total):
        if i == 10:
            own.server.kill()  # SIGKILL: uploads in flight die with it
        if i == 20:
            own.server.start()
        source = tmp_path / f"model-{i}.bin"
        source.write_bytes(_content(i))
        # With the server away, none of these waits for it or raises.
        run[f"models/{i}"].upload(str(source))
        run["samples"].append(File.from_content(_content(1000 + i), extension="txt"))
    run.stop()

    reader = neptune.init_run(with_id="CLS-1", mode="read-only")
    for i in range(total):
        reader[f"models/{i}"].download(str(tmp_path / "out" / f"{i}.bin"))
        assert (tmp_path / "out" / f"{i}.bin").read_bytes() == _content(i)
    reader["samples"].download(str(tmp_path / "samples"))
    got = sorted((tmp_path / "samples").iterdir(), key=lambda p: int(p.stem))
    assert [p.read_bytes() for p in got] == [_content(1000 + i) for i in range(total)]
    reader.stop()
    # Each file once, held by the project (none of them twice, whatever was retried).
    engine = make_engine(own.database)
    with engine.connect() as con:
        from sqlalchemy import text

        held = con.execute(text("SELECT count(*), count(DISTINCT digest) FROM blob_projects"))
        assert tuple(held.one()) == (2 * total, 2 * total)
    engine.dispose()


CHILD = """
import os, sys, time
import nepnb as neptune
from tests.helpers import QUIET

run = neptune.init_run(flush_period=0.05, **QUIET)
print("opened", flush=True)
sys.stdin.readline()  # the server is killed meanwhile
run["model"].upload(sys.argv[1])
run["params/lr"] = 0.5
queue = run._writer.queue


def queued(path):
    for batch in queue.pending():
        try:
            if any(op.path == path for op in queue.load(batch).operations):
                return True
        except OSError:
            pass
    return False


while not (queued("model") and queued("params/lr")):  # on disk (a flush period)
    time.sleep(0.01)
print("queued", queue.folder, flush=True)
time.sleep(600)
"""


def test_a_file_given_while_the_server_is_down_is_uploaded_by_nepnb_sync_after_a_kill(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    own = own_server()
    _connect(monkeypatch, own)
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(200_000))
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(script), str(source)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "opened"
        own.server.kill()
        child.stdin.write("go\n")
        child.stdin.flush()
        line = child.stdout.readline()
        assert line.startswith("queued"), line
        folder = Path(line.split(" ", 1)[1].strip())
        assert [p.name for p in (folder / "blobs").glob("*/*")], "the file is in the queue"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    own.server.start()
    assert main(["sync"]) == 0
    capsys.readouterr()
    reader = neptune.init_run(with_id="CLS-1", mode="read-only")
    assert reader["params/lr"].fetch() == 0.5
    reader["model"].download(str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()
    reader.stop()
    assert not folder.exists()


def test_a_file_over_the_storage_limit_is_refused_and_stays_queued(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    own = own_server()
    _connect(monkeypatch, own, retry="5")
    admin = _store(own.token)
    admin.get_project(PROJECT, create=True)
    identity = Identity(make_engine(own.database))
    identity.set_project(PROJECT, storage_limit=50_000)
    run = neptune.init_run(flush_period=0.05, **QUIET)
    small, big = os.urandom(10_000), os.urandom(60_000)
    run["small"].upload(File.from_content(small, extension="bin"))
    run.wait()
    run["big"].upload(File.from_content(big, extension="bin"))
    with pytest.raises(StorageLimitExceeded, match=r"'team/cls' is at its storage limit"):
        run.wait()
    with pytest.warns(NepnbWarning, match="storage limit"):
        run.stop()
    found = admin.find_object(PROJECT, sys_id="CLS-1")
    assert "big" not in admin.get_fields(found.uid)  # its batch waits behind its file

    identity.set_project(PROJECT, storage_limit=0)  # no limit
    assert main(["sync"]) == 0
    capsys.readouterr()
    reader = neptune.init_run(with_id="CLS-1", mode="read-only")
    reader["big"].download(str(tmp_path / "big.bin"))
    reader["small"].download(str(tmp_path / "small.bin"))
    assert (tmp_path / "big.bin").read_bytes() == big
    assert (tmp_path / "small.bin").read_bytes() == small
    reader.stop()


def test_the_ship_thread_backs_off_while_the_project_is_at_its_limit(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused file is sent again less and less often (each attempt sends all of it), not
    every flush period; wait() tries at once. The server logs each refusal: its count."""
    import time

    own = own_server()
    _connect(monkeypatch, own, retry="5")
    _store(own.token).get_project(PROJECT, create=True)
    identity = Identity(make_engine(own.database))
    identity.set_project(PROJECT, storage_limit=50_000)

    def refusals() -> int:
        return own.server.log.read_text().count("/blobs refused:")

    run = neptune.init_run(flush_period=0.05, **QUIET)
    run["big"].upload(File.from_content(os.urandom(60_000), extension="bin"))
    while refusals() == 0:  # the ship thread's first attempt
        time.sleep(0.05)
    time.sleep(3.0)  # 60 flush periods: attempts after 0.1, 0.2, 0.4, 0.8, 1.6 s at most
    assert 1 <= refusals() <= 6
    before = refusals()
    with pytest.raises(StorageLimitExceeded):
        run.wait()  # at once, during the back-off
    assert refusals() >= before + 1
    identity.set_project(PROJECT, storage_limit=0)  # no limit
    run.wait()  # at once: shipped
    run.stop()
    admin = _store(own.token)
    assert "big" in admin.get_fields(admin.find_object(PROJECT, sys_id="CLS-1").uid)


def test_sync_mode_says_the_file_was_not_uploaded_when_the_server_is_away(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = own_server()
    _connect(monkeypatch, own)
    run = neptune.init_run(mode="sync", **QUIET)
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    run["a"].upload(str(source))
    own.server.kill()
    with pytest.raises(ServerUnavailable, match=r"a\.bin was not uploaded .* mode='async'"):
        run["b"].upload(str(source))
    own.server.start()
    run.stop()


def test_the_local_store_takes_files_without_a_queue_copy(
    nepnb_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    run = neptune.init_run(flush_period=60, **QUIET)
    run["f"].upload(File.from_content(b"local bytes", extension="txt"))
    assert not (run._writer.queue.folder / "blobs").exists()
    run.stop()
    reader = neptune.init_run(with_id="CLS-1", mode="read-only")
    reader["f"].download(str(tmp_path / "f.txt"))
    assert (tmp_path / "f.txt").read_bytes() == b"local bytes"
    reader.stop()


class _BusyUserStore(HTTPStore):
    """The HTTP store of a real server. While the ship thread uploads its first queued file,
    ``meanwhile`` runs: the user gives another file and its batch is queued, as a training
    loop may do at any moment."""

    meanwhile: Callable[[], None] | None = None

    def put_blob_file(self, source: Path, *, project: str | None = None) -> tuple[str, int]:
        found = super().put_blob_file(source, project=project)
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return found


def test_a_batch_never_reaches_the_server_before_its_files(
    own_server: Callable[..., OwnServer], tmp_path: Path
) -> None:
    from nepnb.client.buffers import Pipeline
    from nepnb.client.delivery import QueueWriter
    from nepnb.client.queue import OperationQueue
    from nepnb.store.base import ObjectKind
    from nepnb.store.field_types import FieldType
    from nepnb.store.operations import Operation, OpKind

    own = own_server()
    store = _BusyUserStore(*decode_token(own.token), retry_for=10)
    run = store.create_object(PROJECT, ObjectKind.RUN)
    pipeline = Pipeline()
    queue = OperationQueue(tmp_path / "queue", {"project": PROJECT})
    writer = QueueWriter(
        pipeline, lambda: "CLS-1", queue, store=store, uid=run.uid, flush_period=3600,
        project=PROJECT,
    )  # fmt: skip

    def give(path: str, data: bytes) -> None:
        ref = {"digest": writer.put_blob(data), "size": len(data), "extension": "bin"}
        pipeline.add(Operation(OpKind.ASSIGN, path, FieldType.FILE, ref))
        batch = pipeline.drain()
        assert batch is not None
        queue.push(batch)

    give("first", b"first file")
    store.meanwhile = lambda: give("second", b"second file")
    writer._ship()  # one round of the ship thread
    fields = store.get_fields(run.uid)
    assert "first" in fields
    for path in ("first", "second"):
        if path in fields:  # whatever reached the server has its file there
            store.read_blob(fields[path].value["digest"])
    writer.close()
    fields = store.get_fields(run.uid)
    assert store.read_blob(fields["second"].value["digest"]) == b"second file"


def test_an_offline_run_s_files_are_uploaded_by_nepnb_sync(
    own_server: Callable[..., OwnServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    own = own_server()
    _connect(monkeypatch, own)
    _store(own.token).get_project(PROJECT, create=True)
    run = neptune.init_run(mode="offline", **QUIET)
    source = tmp_path / "data.csv"
    source.write_bytes(b"a,b\n1,2\n")
    run["data"].upload_files([str(source)])
    run["plot"].upload(File.from_content(b"<svg/>", extension="svg"))
    run.stop()
    assert main(["sync"]) == 0
    capsys.readouterr()
    reader = neptune.init_run(with_id="CLS-1", mode="read-only")
    reader["plot"].download(str(tmp_path / "plot.svg"))
    assert (tmp_path / "plot.svg").read_bytes() == b"<svg/>"
    assert [f.name for f in reader["data"].list_fileset_files()] == ["data.csv"]
    reader.stop()
