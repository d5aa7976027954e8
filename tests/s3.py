"""A real S3 endpoint on localhost for the media store's tests: moto's server mode, a bucket of the caller's own.

moto keeps every server's buckets in one process-wide memory, so each caller gets a bucket no other test writes.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
from moto.server import ThreadedMotoServer


@contextlib.contextmanager
def moto_s3() -> Iterator[tuple[Any, str]]:
    """A boto3 S3 client on a fresh moto server, and the name of an empty bucket there."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client(
            "s3",
            endpoint_url=f"http://{host}:{port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        bucket = f"leadline-media-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        yield client, bucket
    finally:
        server.stop()
