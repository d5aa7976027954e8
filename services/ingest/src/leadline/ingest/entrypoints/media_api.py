"""``/media``: ingest's media store over HTTP, for the router (agents reach files through their conversations).

- ``POST /media?kind=image``: the body is a file an agent is about to send (with its Content-Type); 201 with the
  ``media`` of the reply (a ``MediaRef``), 415 for a type WhatsApp does not take as that kind, 413 past its limit.
- ``GET /media/{key}``: our stored copy, with HTTP range requests (``Range: bytes=…`` → 206 and ``Content-Range``;
  past the end → 416) so audio and video players can read durations and seek.

Both need a valid agent token: the router forwards the agent's after deciding that this agent may see the
conversation the file belongs to. Nothing else reaches this (the NetworkPolicy admits the router; the ingress
routes only ``/webhooks`` here); keys are content hashes, so one cannot be guessed either.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from werkzeug.http import parse_range_header

from leadline.platform.auth import TokenVerifier
from leadline.platform.http import ApiError, error_body

from ..domain.outbound_media import SENDABLE
from ..service.outbound_media import OutboundMediaRefused, store_outbound_media
from ..service.ports import MediaNotStored, MediaStore
from .webhooks import BodyTooLarge, read_limited_body

UNSATISFIABLE = "unsatisfiable"


def requested_bytes(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The inclusive byte range a ``Range`` header asks for; None for the whole file (no header, a form we do
    not serve, or several ranges: RFC 9110 lets a server answer those whole); ``UNSATISFIABLE`` past the end."""
    ranges = parse_range_header(header) if header else None
    if ranges is None or ranges.units != "bytes" or len(ranges.ranges) != 1:
        return None
    found = ranges.range_for_length(size)
    if found is None:
        return UNSATISFIABLE
    start, stop = found
    return start, stop - 1


def media_api(store: MediaStore, verifier: TokenVerifier) -> APIRouter:
    router = APIRouter(prefix="/media", tags=["media"], dependencies=[Depends(verifier)])

    @router.post("", status_code=201)
    async def keep_outbound_media(request: Request, kind: str = Query("image", description="the reply's content kind")):
        """A file an agent is about to send; the answer is the ``media`` of that reply."""
        limit = SENDABLE[kind].max_bytes if kind in SENDABLE else 0
        try:
            data = await read_limited_body(request, limit)
        except BodyTooLarge:
            raise ApiError(
                413, "too_large", f"a file sent as {kind} may have at most {limit // (1024 * 1024)} MB"
            ) from None
        try:
            return await store_outbound_media(data, request.headers.get("content-type", ""), kind=kind, store=store)
        except OutboundMediaRefused as refused:
            return JSONResponse(error_body(refused.code, str(refused)), status_code=refused.status)

    @router.get("/{key:path}", response_class=StreamingResponse)
    async def read_media(key: str, request: Request) -> Response:
        """Our copy of a file, whole or the byte range asked for."""
        try:
            size = await store.size(key)
        except MediaNotStored:
            raise ApiError(404, "not_found", "no such media") from None
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": f'"{key.rsplit("/", 1)[-1].split(".")[0]}"',
            "Cache-Control": "private, max-age=31536000, immutable",
        }  # a key always names the same bytes
        media_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        wanted = requested_bytes(request.headers.get("range"), size)
        if wanted == UNSATISFIABLE:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        first, last = wanted if isinstance(wanted, tuple) else (0, size - 1)
        headers["Content-Length"] = str(last - first + 1)
        if isinstance(wanted, tuple):
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        body = store.stream(key, first, last) if size else iter(())
        return StreamingResponse(
            body, status_code=206 if isinstance(wanted, tuple) else 200, headers=headers, media_type=media_type
        )

    return router
