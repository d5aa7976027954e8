"""The files of a conversation's messages, authorized like the conversation; an agent's file to send; a retry.

- ``GET /conversations/{id}/messages/{message_id}/media``: the message's stored file, for an agent who may see
  the conversation (anyone else, another account included: 404, the same as a missing one). ``Content-Type`` is
  the message's; ``Content-Disposition`` is ``inline`` (photos, GIFs, audio, video, stickers) or ``attachment``
  with the document's name; HTTP range requests (206) pass through, so players read durations and seek.
  Browsers' ``<img>``/``<audio>``/``<video>`` cannot send headers: ``?access_token=`` is accepted here.
- ``GET /conversations/{id}/customer-photo``: the customer's WhatsApp profile photo (kept by ingest in the media store),
  authorized like the conversation; 404 when none is known (the page shows initials). ``?access_token=`` too.
- ``POST /conversations/{id}/media?kind=image``: the body is the file (its ``Content-Type``); it goes to the
  media store through ingest and the answer is the ``media`` of the reply to post next.
- ``POST /conversations/{id}/messages/{message_id}/media/retry``: fetch a file WhatsApp failed to give us again
  (only when that can work: 409 ``media_not_retryable`` otherwise); 202, the message shows it loading meanwhile.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from leadline.platform.access import Access
from leadline.platform.auth import AgentIdentity
from leadline.platform.http import ApiError

from ..adapters import queries
from ..adapters.ingest_media import IngestMedia, MediaStoreUnavailable
from ..adapters.queries import is_uuid
from ..domain.errors import ConversationNotFound, MediaNotFound
from ..service.inbound import UowFactory
from ..service.media import retry_media_fetch
from .agent_api import agent_of

MAX_UPLOAD_BYTES = 6 * 1024 * 1024  # above every kind's limit; ingest says exactly which
PASSED_THROUGH = ("content-length", "content-range", "accept-ranges", "etag", "cache-control")
MEDIA_PATHS = (r"/conversations/[^/]+/messages/[^/]+/media", r"/conversations/[^/]+/customer-photo")
"""Paths whose query may carry a token: kept out of traces."""


def content_disposition(kind: str, filename: str | None, key: str) -> str:
    """``attachment`` with its name for documents (downloaded, never rendered here); ``inline`` for the rest.

    A file without a name of its own is called by its kind, with the extension of its key (``voice.ogg``).
    """
    name = filename or f"{kind}{PurePosixPath(key).suffix}"
    fallback = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    disposition = "attachment" if kind == "document" else "inline"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def media_api(
    *, uow: UowFactory, sessions, access: Access, ingest: IngestMedia, clock=lambda: datetime.now(UTC)
) -> APIRouter:
    router = APIRouter(tags=["agent inbox"])
    identity = Depends(access.from_header_or_query())
    authenticated = Depends(access)

    async def visible_message(conversation_id: str, message_id: str, me: AgentIdentity) -> dict[str, Any]:
        if not (is_uuid(conversation_id) and is_uuid(message_id)):
            raise ConversationNotFound("no such conversation")
        async with uow() as work:
            account = await work.accounts.account(me.account_id)
        async with sessions() as session:
            message = await queries.visible_message(session, agent_of(me), account, conversation_id, message_id)
        if message is None:
            raise ConversationNotFound("no such conversation")
        return message

    async def visible_conversation(conversation_id: str, me: AgentIdentity) -> dict[str, Any]:
        """The conversation as this agent may see it; otherwise exactly the answer for one that does not exist."""
        if not is_uuid(conversation_id):
            raise ConversationNotFound("no such conversation")
        async with uow() as work:
            account = await work.accounts.account(me.account_id)
        async with sessions() as session:
            conversation = await queries.get_conversation(session, agent_of(me), account, conversation_id)
        if conversation is None:
            raise ConversationNotFound("no such conversation")
        return conversation

    async def stream_stored(
        key: str, request: Request, *, mime_type: str, disposition: str, what: str
    ) -> StreamingResponse:
        """A stored file (whole, or the byte range asked for) from ingest's media store, as the browser may keep it."""
        token = request.headers.get("authorization", "").partition(" ")[2] or request.query_params["access_token"]
        try:
            stored = await ingest.open(key, token=token, byte_range=request.headers.get("range"))
        except MediaStoreUnavailable as error:
            raise ApiError(502, "media_store_unavailable", "the media store did not answer; try again") from error
        if stored.status_code not in (200, 206, 416):
            await stored.aclose()
            raise MediaNotFound(f"{what} is not in the media store")
        headers = {name: stored.headers[name] for name in PASSED_THROUGH if name in stored.headers}
        headers.update(
            {
                "Content-Disposition": disposition,
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",  # a file is never a page of this origin
            }
        )
        return StreamingResponse(
            stored.aiter_raw(),
            status_code=stored.status_code,
            headers=headers,
            media_type=mime_type,
            background=BackgroundTask(stored.aclose),
        )

    @router.get("/conversations/{conversation_id}/messages/{message_id}/media", response_class=StreamingResponse)
    async def read_media(
        conversation_id: str, message_id: str, request: Request, me: AgentIdentity = identity
    ) -> Response:
        """The message's file (whole, or the byte range asked for)."""
        message = await visible_message(conversation_id, message_id, me)
        media = message["content"].get("media") or {}
        if not media.get("stored"):
            raise MediaNotFound("this message's file is not stored (yet)")
        key = media["stored"]["key"]
        return await stream_stored(
            key,
            request,
            mime_type=media["mime_type"],
            disposition=content_disposition(message["kind"], message["content"].get("filename"), key),
            what="this message's file",
        )

    @router.get("/conversations/{conversation_id}/customer-photo", response_class=StreamingResponse)
    async def read_customer_photo(conversation_id: str, request: Request, me: AgentIdentity = identity) -> Response:
        """The customer's WhatsApp profile photo; 404 when none is known (their initials stand for it)."""
        conversation = await visible_conversation(conversation_id, me)
        key = conversation["customer_photo_key"]
        if not key:
            raise MediaNotFound("no profile photo is known for this customer")
        return await stream_stored(
            key,
            request,
            mime_type=mimetypes.guess_type(key)[0] or "application/octet-stream",
            disposition=content_disposition("photo", None, key),
            what="this customer's photo",
        )

    @router.post("/conversations/{conversation_id}/media", status_code=201)
    async def keep_media_to_send(
        conversation_id: str,
        request: Request,
        kind: str = Query("image", pattern="^image$", description="the reply's content kind"),
        me: AgentIdentity = authenticated,
    ) -> Response:
        """A file for a reply in this conversation; the answer is the ``media`` of that reply."""
        await visible_conversation(conversation_id, me)  # only an agent who may see it keeps a file for it
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "too_large", "this file is too large to send")
        try:
            kept = await ingest.keep(
                bytes(data),
                request.headers.get("content-type", "application/octet-stream"),
                kind=kind,
                token=request.headers["authorization"].partition(" ")[2],
            )
        except MediaStoreUnavailable as error:
            raise ApiError(502, "media_store_unavailable", "the media store did not answer; try again") from error
        return JSONResponse(kept.json(), status_code=kept.status_code)

    @router.post("/conversations/{conversation_id}/messages/{message_id}/media/retry", status_code=202)
    async def retry(conversation_id: str, message_id: str, me: AgentIdentity = authenticated) -> dict[str, str]:
        """Ask WhatsApp for the file again; the message's media shows it being fetched."""
        await retry_media_fetch(
            conversation_id, message_id, agent_of(me), account_id=me.account_id, uow=uow, clock=clock
        )
        return {"message_id": message_id, "media": "loading"}

    return router
