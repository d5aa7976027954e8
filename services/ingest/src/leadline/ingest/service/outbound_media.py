"""Handler: keep a file an agent is about to send in the media store, where sends read it from."""

from __future__ import annotations

from typing import Any

import structlog

from ..domain.media_storage import media_key
from ..domain.outbound_media import too_large, unsendable_type
from .ports import MediaStore

log = structlog.get_logger(__name__)


class OutboundMediaRefused(Exception):
    """The file cannot be sent as asked (its type or its size); ``status`` is the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


async def store_outbound_media(data: bytes, mime_type: str, *, kind: str, store: MediaStore) -> dict[str, Any]:
    """The ``media`` of a reply of ``kind`` (a ``MediaRef`` as JSON) once its file is in the store."""
    mime_type = mime_type.split(";")[0].strip().lower()
    if reason := unsendable_type(kind, mime_type):
        raise OutboundMediaRefused(415, "unsupported_media", reason)
    if reason := too_large(kind, len(data)):
        raise OutboundMediaRefused(413, "too_large", reason)
    key, sha256 = media_key(data, mime_type)
    uri = await store.put(key, data, mime_type)
    log.info("outbound media stored", key=key, size_bytes=len(data), kind=kind)
    return {"mime_type": mime_type, "stored": {"key": key, "uri": uri, "size_bytes": len(data), "sha256": sha256}}
