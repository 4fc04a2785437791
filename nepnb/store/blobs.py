"""Content-addressed blobs: bytes named by their SHA-256.

:class:`Blobs` is the interface the stores use; :class:`BlobStore` keeps blobs in a folder,
:class:`nepnb.store.s3blobs.S3Blobs` in an S3-compatible bucket. :func:`open_blobs` picks one
from a ``--blobs`` value (a folder, or ``s3://BUCKET/PREFIX``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from nepnb.exceptions import StoreError

_CHUNK = 1 << 20


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size of a file, read in chunks."""
    hasher = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


class StoredBlob(NamedTuple):
    """A blob as :meth:`Blobs.iter_blobs` lists it."""

    digest: str
    modified: float  # when last written, epoch seconds
    size: int


def is_digest(name: str) -> bool:
    """Whether ``name`` is a SHA-256 hex digest (a blob's name)."""
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


class Blobs(ABC):
    """Content-addressed blobs. A blob is written only when absent, so puts are idempotent and
    safe from several processes at once (the same digest always names the same bytes)."""

    @abstractmethod
    def exists(self, digest: str) -> bool: ...

    @abstractmethod
    def read(self, digest: str) -> bytes:
        """The bytes of ``digest``; :class:`StoreError` when it is missing."""

    @abstractmethod
    def chunks(self, digest: str) -> Iterator[bytes]:
        """The bytes of ``digest`` streamed in chunks; :class:`StoreError` at once (before
        the first chunk) when it is missing."""

    @abstractmethod
    def copy_to(self, digest: str, destination: Path) -> None:
        """Write the blob ``digest`` to ``destination`` (created or replaced), streaming."""

    @abstractmethod
    def iter_blobs(self) -> Iterator[StoredBlob]:
        """Every stored blob: its digest, when it was last written and its size."""

    @abstractmethod
    def delete(self, digest: str) -> None:
        """Remove the blob ``digest`` (nothing when it is missing)."""

    @abstractmethod
    def _touch(self, digest: str) -> None:
        """Mark the blob ``digest`` (present) written now: a put of bytes already stored
        keeps them from a garbage collection sparing recent blobs (``nepnb admin gc-blobs``)."""

    @abstractmethod
    def _put_bytes(self, digest: str, data: bytes) -> None:
        """Store ``data`` as ``digest`` (known absent just before)."""

    @abstractmethod
    def _put_file(self, digest: str, source: Path) -> None:
        """Store the file ``source`` as ``digest`` (known absent just before)."""

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        self.store_bytes(digest, data)
        return digest

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store the file at ``source``; returns its digest and size."""
        digest, size = file_digest(source)
        self.store_file(digest, source)
        return digest, size

    def store_bytes(self, digest: str, data: bytes) -> None:
        """Store ``data``, whose digest the caller computed already."""
        if self.exists(digest):
            self._touch(digest)
        else:
            self._put_bytes(digest, data)

    def store_file(self, digest: str, source: Path) -> None:
        """Store the file at ``source``, whose digest the caller computed already."""
        if self.exists(digest):
            self._touch(digest)
        else:
            self._put_file(digest, Path(source))


def _file_chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def open_blobs(where: str | Path | Blobs) -> Blobs:
    """The blob store a ``--blobs`` value names: ``s3://BUCKET[/PREFIX]`` or a folder."""
    if isinstance(where, Blobs):
        return where
    if isinstance(where, str) and where.startswith("s3://"):
        from nepnb.store.s3blobs import S3Blobs

        return S3Blobs.from_url(where)
    return BlobStore(Path(where))


class BlobStore(Blobs):
    """Blobs under ``root/ab/cdef…``; writes are atomic (temp file + rename), so safe across processes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        """Where the blob ``digest`` lives (whether or not it exists)."""
        return self.root / digest[:2] / digest[2:]

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def iter_blobs(self) -> Iterator[StoredBlob]:
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if not is_digest(folder.name + path.name):  # (.tmp-…: being written)
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:  # deleted meanwhile
                    continue
                yield StoredBlob(folder.name + path.name, stat.st_mtime, stat.st_size)

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def _touch(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: written again at once
            os.utime(self.path(digest))

    def _put_bytes(self, digest: str, data: bytes) -> None:
        self._write_atomically(digest, lambda out: out.write(data))

    def _put_file(self, digest: str, source: Path) -> None:
        def copy(out: BinaryIO) -> None:
            with open(source, "rb") as handle:
                shutil.copyfileobj(handle, out, _CHUNK)

        self._write_atomically(digest, copy)

    def read(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise StoreError(
                f"blob {digest} is missing from {self.root}; the store folder was changed "
                "by hand or is incomplete"
            ) from None

    def chunks(self, digest: str) -> Iterator[bytes]:
        try:
            handle = open(self.path(digest), "rb")  # noqa: SIM115 (closed by _file_chunks)
        except FileNotFoundError:
            raise StoreError(f"blob {digest} is missing from {self.root}") from None
        return _file_chunks(handle)

    def copy_to(self, digest: str, destination: Path) -> None:
        """Write the blob ``digest`` to ``destination`` (created or replaced)."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(self.path(digest), destination)
        except FileNotFoundError:
            if not self.exists(digest):
                raise StoreError(f"blob {digest} is missing from {self.root}") from None
            raise

    def _write_atomically(self, digest: str, write) -> None:  # type: ignore[no-untyped-def]
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
