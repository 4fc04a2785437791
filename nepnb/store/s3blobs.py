"""Content-addressed blobs in an S3-compatible bucket (AWS S3, MinIO, …) through boto3.

Several server processes can share one bucket: blobs are named by the SHA-256 of their
bytes and written only when absent. The endpoint, region and credentials come from the
standard AWS environment (``AWS_ACCESS_KEY_ID``, ``AWS_DEFAULT_REGION``, profiles, …), plus
``$NEPNB_S3_ENDPOINT_URL`` for servers other than AWS.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from nepnb.exceptions import StoreError
from nepnb.store.blobs import _CHUNK, Blobs, StoredBlob, is_digest

ENDPOINT_ENV = "NEPNB_S3_ENDPOINT_URL"
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def _reason(error: BaseException) -> str:
    """A one-line reason for a boto3 error."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        detail = response.get("Error", {})
        code, message = detail.get("Code", ""), detail.get("Message", "")
        if code in {"404", "NoSuchBucket"}:
            return "the bucket does not exist"
        if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
            return f"access denied, check the AWS credentials ({message or code})"
        text = f"{code}: {message}" if message else code
    else:
        text = str(error)
    return " ".join(text.split()) or type(error).__name__


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(_CHUNK)
    finally:
        body.close()


class S3Blobs(Blobs):
    """Blobs at ``s3://bucket/prefix<digest>``; the bucket is checked when made."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self.client = client if client is not None else self._client()
        self._check()

    @classmethod
    def from_url(cls, url: str) -> S3Blobs:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise StoreError(f"give the blob bucket as s3://BUCKET/PREFIX, not {url!r}")
        return cls(parsed.netloc, parsed.path)

    @staticmethod
    def _client() -> Any:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise StoreError(
                "s3:// blob storage needs boto3: pip install 'nepnb[server]'"
            ) from None
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10)
        return boto3.client("s3", endpoint_url=os.environ.get(ENDPOINT_ENV) or None, config=config)

    def _check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise StoreError(f"cannot use the blob bucket {self.url}: {_reason(error)}") from None

    def key(self, digest: str) -> str:
        return self.prefix + digest

    def _missing(self, digest: str) -> StoreError:
        return StoreError(f"blob {digest} is missing from {self.url}")

    def exists(self, digest: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(digest))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
                return False
            raise StoreError(f"cannot reach the blob bucket {self.url}: {_reason(error)}") from None
        return True

    def _body(self, digest: str) -> Any:
        """The streaming body of the blob ``digest``."""
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(digest))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
                raise self._missing(digest) from None
            raise StoreError(
                f"cannot read from the blob bucket {self.url}: {_reason(error)}"
            ) from None

    def read(self, digest: str) -> bytes:
        return b"".join(self.chunks(digest))

    def chunks(self, digest: str) -> Iterator[bytes]:
        return _body_chunks(self._body(digest))

    def copy_to(self, digest: str, destination: Path) -> None:
        destination = Path(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        chunks = self.chunks(digest)
        fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            os.replace(tmp, destination)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def iter_blobs(self) -> Iterator[StoredBlob]:
        from botocore.exceptions import BotoCoreError, ClientError

        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    digest = item["Key"][len(self.prefix) :]
                    if is_digest(digest):  # (not another prefix's, nor another program's)
                        modified = item["LastModified"].timestamp()
                        yield StoredBlob(digest, modified, int(item["Size"]))
        except (BotoCoreError, ClientError) as error:
            raise StoreError(f"cannot list the blob bucket {self.url}: {_reason(error)}") from None

    def delete(self, digest: str) -> None:
        self._write(lambda: self.client.delete_object(Bucket=self.bucket, Key=self.key(digest)))

    def _touch(self, digest: str) -> None:
        # a copy onto itself is the one way S3 has to renew LastModified
        # (best effort: objects over 5 GB cannot be copied in one request)
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.key(digest)
        with contextlib.suppress(BotoCoreError, ClientError):
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
            )

    def _put_bytes(self, digest: str, data: bytes) -> None:
        self._write(
            lambda: self.client.put_object(Bucket=self.bucket, Key=self.key(digest), Body=data)
        )

    def _put_file(self, digest: str, source: Path) -> None:
        # upload_file streams from disk (multipart for large files)
        self._write(lambda: self.client.upload_file(str(source), self.bucket, self.key(digest)))

    def _write(self, put: Any) -> None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            put()
        except (BotoCoreError, ClientError, S3UploadFailedError) as error:
            raise StoreError(
                f"cannot write to the blob bucket {self.url}: {_reason(error)}"
            ) from None
