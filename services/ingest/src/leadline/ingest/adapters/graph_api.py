"""The WhatsApp Cloud (Graph) API over httpx: send messages, upload, describe and download media.

Every failure leaves as one of two typed errors, so handlers never see httpx:
``GraphApiError`` when Meta answered with an error object, ``GraphApiUnreachable`` when
it did not answer. The second says whether the request may have reached Meta, because
a send that may have arrived must never be retried (Meta has no idempotency key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx
from prometheus_client import Counter

from ..service.ports import GraphApiError, GraphApiUnreachable, MediaInfo, ProfilePhoto, ProfilePhotosUnsupported

__all__ = ["GraphApiClient", "GraphApiError", "GraphApiUnreachable", "graph_api_error"]

MAX_MEDIA_BYTES = 100 * 1024 * 1024  # Meta's largest media (documents) is 100 MB
_CODE_PREFIX = re.compile(r"^\(#\d+\)\s*")
# Failures before a single byte of the request left: safe to retry even for a send.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
#: Meta answering at all, whatever it said: only ``unreachable`` rising while ``answered`` stays flat means ingest has
#: lost WhatsApp (the runbook's "WhatsApp unreachable").
GRAPH_API_CALLS = Counter(
    "leadline_ingest_graph_api_calls_total",
    "Calls to Meta's Graph API by result: answered (any HTTP status) or unreachable (no answer)",
    ["result"],
)


def graph_api_error(status: int, body: bytes) -> GraphApiError:
    """Meta's error body as a ``GraphApiError``; a body that is not Meta's keeps the HTTP status."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        text = body[:500].decode(errors="replace") or None
        return GraphApiError(status, None, f"HTTP {status}", text)
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = error.get("message")
    # Sync errors carry the title only inside the message: "(#131047) Re-engagement message".
    title = error.get("error_user_title") or _CODE_PREFIX.sub("", message or "") or f"Error {code}"
    details = (error.get("error_data") or {}).get("details") or error.get("error_user_msg")
    return GraphApiError(status, code, title, message, details)


def _unreachable(error: httpx.TransportError) -> GraphApiUnreachable:
    """Meta did not answer; whether the request may have reached it decides whether a send may be retried."""
    GRAPH_API_CALLS.labels("unreachable").inc()
    return GraphApiUnreachable(f"{type(error).__name__}: {error}", may_have_arrived=not isinstance(error, NEVER_SENT))


class GraphApiClient:
    """One Graph API client per process; ``aclose`` it on shutdown.

    Invariant: the access token is sent only in the Authorization header, never in URLs or logs.
    Also the Cloud API side of ``ProfilePhotoProvider``: Cloud API cannot read customers'
    profile photos, and says so instead of pretending there is none.
    """

    supports_profile_photos = False

    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        access_token: str,
        timeout_s: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._version = version
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {access_token}", "User-Agent": "leadline-ingest"},
            timeout=timeout_s,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            raise _unreachable(error) from error
        GRAPH_API_CALLS.labels("answered").inc()
        if response.is_error:
            raise graph_api_error(response.status_code, response.content)
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as error:
            raise GraphApiUnreachable(f"unreadable answer: {response.text[:200]!r}", may_have_arrived=True) from error
        if not isinstance(data, dict):
            raise GraphApiUnreachable(f"unexpected answer: {data!r:.200}", may_have_arrived=True)
        return data

    async def send_message(self, phone_number_id: str, body: Mapping[str, Any]) -> str:
        response = await self._call("POST", f"/{self._version}/{phone_number_id}/messages", json=dict(body))
        data = self._json(response)
        try:
            return str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            # Meta said 2xx, so the message may well be out: an unknown outcome, not a failure.
            raise GraphApiUnreachable(f"accepted without a message id: {data!r:.200}", may_have_arrived=True) from error

    async def upload_media(self, phone_number_id: str, data: bytes, mime_type: str, filename: str | None = None) -> str:
        response = await self._call(
            "POST",
            f"/{self._version}/{phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename or "media", data, mime_type)},
        )
        return str(self._json(response)["id"])

    async def media_info(self, media_id: str) -> MediaInfo:
        data = self._json(await self._call("GET", f"/{self._version}/{media_id}"))
        if not data.get("url"):
            raise GraphApiError(200, None, "No media URL", f"Meta described media {media_id} without a URL")
        size = data.get("file_size")  # Meta documents a string; accept a number too
        return MediaInfo(
            url=str(data["url"]),
            mime_type=str(data.get("mime_type") or "application/octet-stream"),
            sha256=data.get("sha256"),
            file_size=int(size) if size is not None and str(size).isdigit() else None,
        )

    async def download_media(self, url: str) -> bytes:
        """GET the short-lived URL from ``media_info`` with the token; refuses files over ``MAX_MEDIA_BYTES``."""
        try:
            async with self._http.stream("GET", url) as response:
                GRAPH_API_CALLS.labels("answered").inc()
                if response.is_error:
                    raise graph_api_error(response.status_code, await response.aread())
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        raise GraphApiError(
                            response.status_code, None, "Media too large", f"over {MAX_MEDIA_BYTES} bytes"
                        )
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TransportError as error:
            raise _unreachable(error) from error

    async def message_templates(self, waba_id: str, *, page_size: int = 100) -> list[dict[str, Any]]:
        """Every template of the WhatsApp Business Account, any status, following Meta's cursor paging."""
        params: dict[str, Any] = {
            "limit": page_size,
            "fields": "name,language,status,category,components,parameter_format",
        }
        listed: list[dict[str, Any]] = []
        while True:
            data = self._json(await self._call("GET", f"/{self._version}/{waba_id}/message_templates", params=params))
            listed += [item for item in data.get("data") or [] if isinstance(item, dict) and item.get("name")]
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return listed
            params = {**params, "after": after}

    async def profile_photo(self, phone_number_id: str, wa_id: str) -> ProfilePhoto | None:
        raise ProfilePhotosUnsupported("the WhatsApp Cloud API does not expose customers' profile photos")
