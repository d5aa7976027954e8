"""``/api/media``: an agent's image put in the media store for sending, and stored media read back.

Ingest sends outbound media from its store (``MediaRef.stored``): the gateway writes to the same local
directory (``MEDIA_STORE_DIR``), content-addressed exactly as ingest does (``ab/cd/<sha256><ext>``), so
the reply the page then posts to the router carries a reference ingest can send. Reading needs a token
too (header, or ``?access_token=`` because ``<img src>`` cannot send headers).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import FileResponse

from leadline.platform.auth import AgentIdentity, InvalidToken, TokenVerifier
from leadline.platform.http import ApiError

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # WhatsApp's limit for images
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}  # what WhatsApp accepts as an image


def media_key(data: bytes, mime_type: str) -> tuple[str, str]:
    """Same rule as ``leadline.ingest.domain.media_storage.media_key`` (services do not import each other)."""
    digest = hashlib.sha256(data).hexdigest()
    extension = IMAGE_TYPES.get(mime_type) or mimetypes.guess_extension(mime_type) or ".bin"
    return f"{digest[:2]}/{digest[2:4]}/{digest}{extension}", digest


def media_api(root_dir: str, verifier: TokenVerifier) -> APIRouter:
    router = APIRouter(prefix="/api/media", tags=["media"])
    root = Path(root_dir).resolve()

    async def identity(request: Request, access_token: Annotated[str | None, Query()] = None) -> AgentIdentity:
        if request.headers.get("authorization"):
            return await verifier(request)
        if not access_token:
            raise InvalidToken("a token is required: Authorization: Bearer <jwt>, or ?access_token=<jwt>")
        return verifier.verify(access_token)

    @router.post("", status_code=201)
    async def upload(file: UploadFile, _: AgentIdentity = Depends(identity)) -> dict[str, Any]:
        """An image for a reply; the answer is the ``media`` of an ``image`` content."""
        mime_type = (file.content_type or "").split(";")[0].strip().lower()
        if mime_type not in IMAGE_TYPES:
            raise ApiError(415, "unsupported_media", "only JPEG or PNG images can be sent")
        data = await file.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise ApiError(413, "too_large", "an image may have at most 5 MB")
        key, digest = media_key(data, mime_type)
        path = root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".partial-", delete=False) as partial:
                partial.write(data)
            os.replace(partial.name, path)
        return {"mime_type": mime_type, "stored": {"key": key, "uri": path.as_uri(), "size_bytes": len(data), "sha256": digest}}

    @router.get("/{key:path}")
    async def read(key: str, _: AgentIdentity = Depends(identity)) -> FileResponse:
        path = (root / key).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ApiError(404, "not_found", "no such media")
        return FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})

    return router
