"""Blobs in an S3-compatible bucket: the blob-store contract over the folder and the S3
stores, and a tracking server keeping uploaded files in a bucket of a real S3 server (moto's,
as a separate process on a loopback port)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import nepnb as neptune
from nepnb.exceptions import StoreError
from nepnb.store.blobs import Blobs, BlobStore, open_blobs
from nepnb.store.s3blobs import S3Blobs
from tests.helpers import QUIET
from tests.helpers.s3 import BUCKET
from tests.helpers.servers import free_port
from tests.helpers.tracking import OwnServer


@pytest.fixture(params=["folder", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Blobs:
    if request.param == "folder":
        store = open_blobs(tmp_path / "blobs")
        assert isinstance(store, BlobStore)
        return store
    request.getfixturevalue("s3")
    store = open_blobs(f"s3://{BUCKET}/contract-{uuid.uuid4().hex[:8]}")
    assert isinstance(store, S3Blobs)
    return store


def test_put_bytes_exists_and_reads_back(blobs: Blobs) -> None:
    data = b"hello \x00 blobs"
    digest = hashlib.sha256(data).hexdigest()
    assert not blobs.exists(digest)
    assert blobs.put_bytes(data) == digest
    assert blobs.exists(digest)
    assert blobs.read(digest) == data
    assert blobs.put_bytes(data) == digest  # idempotent
    assert blobs.read(digest) == data


def test_put_file_reads_back_byte_for_byte(blobs: Blobs, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several read chunks
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    digest, size = blobs.put_file(source)
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert blobs.put_file(source) == (digest, size)  # idempotent
    assert blobs.read(digest) == data
    chunks = list(blobs.chunks(digest))
    assert len(chunks) > 1 and b"".join(chunks) == data  # streamed, not read whole
    target = tmp_path / "out" / "copy.bin"
    blobs.copy_to(digest, target)
    assert target.read_bytes() == data
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".tmp-")]


def test_an_empty_blob(blobs: Blobs) -> None:
    digest = blobs.put_bytes(b"")
    assert blobs.exists(digest) and blobs.read(digest) == b""


def test_a_missing_blob_is_a_store_error(blobs: Blobs, tmp_path: Path) -> None:
    digest = hashlib.sha256(b"never stored").hexdigest()
    assert not blobs.exists(digest)
    with pytest.raises(StoreError, match=f"blob {digest} is missing"):
        blobs.read(digest)
    with pytest.raises(StoreError, match=f"blob {digest} is missing"):
        blobs.chunks(digest)  # at once, before any chunk is asked for
    with pytest.raises(StoreError, match=f"blob {digest} is missing"):
        blobs.copy_to(digest, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_a_missing_bucket_is_a_one_line_store_error(s3: object) -> None:
    with pytest.raises(StoreError, match="does not exist") as caught:
        open_blobs("s3://no-such-bucket-here/x")
    assert "\n" not in str(caught.value)


def test_the_server_keeps_uploaded_files_in_the_bucket(
    s3: object,
    own_server: Callable[..., OwnServer],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    own = own_server(blobs=f"s3://{BUCKET}/{prefix}")
    assert not (tmp_path / "blobs").exists()
    monkeypatch.setenv("NEPTUNE_API_TOKEN", own.token)
    monkeypatch.setenv("NEPTUNE_PROJECT", "team/s3")
    data = os.urandom(200_000)
    source = tmp_path / "weights.bin"
    source.write_bytes(data)
    run = neptune.init_run(**QUIET)
    run["model/weights"].upload(str(source))
    sys_id = run["sys/id"].fetch()
    run.stop()

    reader = neptune.init_run(with_id=sys_id, mode="read-only")
    target = tmp_path / "downloaded.bin"
    reader["model/weights"].download(str(target))
    reader.stop()
    assert target.read_bytes() == data

    key = f"{prefix}/{hashlib.sha256(data).hexdigest()}"
    stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()  # type: ignore[attr-defined]
    assert stored == data
    assert not (tmp_path / "blobs").exists()


@pytest.mark.server
def test_the_server_says_in_one_line_that_the_bucket_is_missing(s3: object, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "nepnb", "server", "--database",
            f"sqlite:///{tmp_path / 'server.db'}", "--blobs", "s3://no-such-bucket/prefix",
            "--port", str(free_port()),
        ],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "nepnb: error: cannot use the blob bucket s3://no-such-bucket/prefix/: "
        "the bucket does not exist"
    ]
    assert "listening" not in done.stdout


def test_iter_blobs_lists_digests_times_and_sizes_and_delete_removes(blobs: Blobs) -> None:
    before = time.time() - 60  # (the S3 server's clock is this machine's, to the second)
    first, second = blobs.put_bytes(b"first"), blobs.put_bytes(b"second!")
    listed = {blob.digest: blob for blob in blobs.iter_blobs()}
    assert set(listed) == {first, second}
    assert listed[second].size == 7 and listed[second].modified >= before
    blobs.delete(first)
    blobs.delete(first)  # (missing: nothing)
    assert not blobs.exists(first) and blobs.read(second) == b"second!"
    assert [blob.digest for blob in blobs.iter_blobs()] == [second]


def test_putting_stored_bytes_again_renews_their_time(blobs: Blobs, tmp_path: Path) -> None:
    """A garbage collection spares recent blobs: a put of bytes already stored counts."""
    digest = blobs.put_bytes(b"again")
    if isinstance(blobs, BlobStore):
        os.utime(blobs.path(digest), (1_000_000_000, 1_000_000_000))
        first = next(iter(blobs.iter_blobs())).modified
        assert first == 1_000_000_000
    else:
        first = next(iter(blobs.iter_blobs())).modified
        time.sleep(1.1)  # (S3 times are to the second)
    blobs.put_bytes(b"again")
    assert next(iter(blobs.iter_blobs())).modified > first
    source = tmp_path / "again.bin"
    source.write_bytes(b"again")
    blobs.put_file(source)
    assert blobs.read(digest) == b"again"


def test_iter_blobs_skips_what_is_not_a_blob(blobs: Blobs, tmp_path: Path) -> None:
    digest = blobs.put_bytes(b"mine")
    if isinstance(blobs, BlobStore):
        (blobs.root / digest[:2] / ".tmp-in-flight").write_bytes(b"x")
        (blobs.root / "notes.txt").write_text("not a blob")
    else:
        assert isinstance(blobs, S3Blobs)
        blobs.client.put_object(Bucket=blobs.bucket, Key=blobs.prefix + "README", Body=b"x")
        blobs.client.put_object(Bucket=blobs.bucket, Key=blobs.prefix + "sub/" + digest, Body=b"x")
    assert [blob.digest for blob in blobs.iter_blobs()] == [digest]
