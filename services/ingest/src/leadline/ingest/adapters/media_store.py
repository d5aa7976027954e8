"""Media stores: a local directory (development, single node) and S3-compatible object storage.

Both are content-addressed by the caller (``domain.media_storage.media_key``): a key
always names the same bytes, so ``put`` of an existing key is a no-op and two writers
racing on one key cannot corrupt it. Both read back a byte range as chunks, so an audio
or video player seeking in a large file never has the whole file read into memory.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..service.ports import MediaNotStored

__all__ = ["LocalMediaStore", "S3MediaStore"]

CHUNK_BYTES = 64 * 1024


class LocalMediaStore:
    """Files under ``root_dir/<key>``; written to a temporary file and renamed, so readers never see half a file.

    It has no URL WhatsApp could download from, so outbound media from it is uploaded to Meta instead.
    """

    def __init__(self, root_dir: str | os.PathLike[str]) -> None:
        self.root = Path(root_dir).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"media key {key!r} leaves the store")
        return path

    def _put(self, key: str, data: bytes) -> str:
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".partial-", delete=False) as partial:
                partial.write(data)
                partial.flush()
                os.fsync(partial.fileno())
            os.replace(partial.name, path)  # atomic: the same bytes win either way
        return path.as_uri()

    async def put(self, key: str, data: bytes, mime_type: str) -> str:
        return await asyncio.to_thread(self._put, key, data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    def _size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except (OSError, ValueError):  # missing, a directory, a name no file system takes, or leaving the store
            raise MediaNotStored(key) from None

    async def size(self, key: str) -> int:
        return await asyncio.to_thread(self._size, key)

    async def stream(self, key: str, first: int, last: int) -> AsyncIterator[bytes]:
        with open(self._path(key), "rb") as file:  # noqa: ASYNC230 - every read below runs in a thread
            await asyncio.to_thread(file.seek, first)
            left = last - first + 1
            while left > 0:
                chunk = await asyncio.to_thread(file.read, min(CHUNK_BYTES, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    async def public_link(self, key: str) -> str | None:
        return None


class S3MediaStore:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph...), via boto3 run in a thread.

    ``public_link`` hands WhatsApp a presigned GET URL, valid for ``link_ttl_s``.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        link_ttl_s: int = 3600,
        client: Any = None,
    ) -> None:
        import boto3  # only deployments that use S3 pay for importing it

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.link_ttl_s = link_ttl_s
        self._s3 = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
        )

    def _object(self, key: str) -> str:
        return self.prefix + key

    def _exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._s3.head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def _put(self, key: str, data: bytes, mime_type: str) -> str:
        name = self._object(key)
        if not self._exists(name):
            self._s3.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType=mime_type)
        return f"s3://{self.bucket}/{name}"

    async def put(self, key: str, data: bytes, mime_type: str) -> str:
        return await asyncio.to_thread(self._put, key, data, mime_type)

    def _get(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self.bucket, Key=self._object(key))["Body"].read()

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)

    def _size(self, key: str) -> int:
        from botocore.exceptions import ClientError

        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=self._object(key))["ContentLength"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise MediaNotStored(key) from None
            raise

    async def size(self, key: str) -> int:
        return await asyncio.to_thread(self._size, key)

    async def stream(self, key: str, first: int, last: int) -> AsyncIterator[bytes]:
        answer = await asyncio.to_thread(
            self._s3.get_object, Bucket=self.bucket, Key=self._object(key), Range=f"bytes={first}-{last}"
        )
        chunks = answer["Body"].iter_chunks(CHUNK_BYTES)
        try:
            while chunk := await asyncio.to_thread(next, chunks, b""):
                yield chunk
        finally:
            answer["Body"].close()

    async def public_link(self, key: str) -> str | None:
        return await asyncio.to_thread(
            self._s3.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._object(key)},
            ExpiresIn=self.link_ttl_s,
        )
