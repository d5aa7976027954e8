"""Evolution API (v2) over httpx: send messages, read a message's media and customers' profile photos, for any instance
of any server.

Each call names its instance (``EvolutionInstance``): the server's base URL, the instance's name in the route and its
API key in the ``apikey`` header, read from ``EvolutionApiKeys`` at the call. Every failure leaves as one of two typed
errors: ``EvolutionApiError`` when the server answered with an error, ``EvolutionApiUnreachable`` when it did not
answer, saying whether the request may have reached it (a send that may have arrived must never be retried).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import httpx
from prometheus_client import Counter

from ...domain.evolution_instances import EvolutionInstance
from ...service.ports import EvolutionApiError, EvolutionApiUnreachable, EvolutionMedia
from ..graph_api import NEVER_SENT
from .api_keys import EvolutionApiKeys

__all__ = ["EvolutionApiError", "EvolutionApiUnreachable", "EvolutionClient", "EvolutionMedia"]

EVOLUTION_API_CALLS = Counter(
    "leadline_ingest_evolution_api_calls_total",
    "Calls to Evolution API servers by result: answered (any HTTP status) or unreachable (no answer)",
    ["result"],
)


MAX_PICTURE_BYTES = 5 * 1024 * 1024  # WhatsApp's profile photos are 640 px JPEGs of tens of KB


def evolution_error(status: int, body: bytes) -> EvolutionApiError:
    """Evolution's error body (``{"status", "error", "response": {"message": …}}``) as an ``EvolutionApiError``."""
    try:
        data = json.loads(body)
    except ValueError:
        return EvolutionApiError(status, body[:500].decode(errors="replace") or f"HTTP {status}")
    said = data.get("response", {}).get("message") if isinstance(data, dict) else None
    if said is None and isinstance(data, dict):
        said = data.get("message") or data.get("error")
    if isinstance(said, list):
        said = "; ".join(str(item) for item in said)
    return EvolutionApiError(status, str(said or f"HTTP {status}")[:500])


class EvolutionClient:
    """One client per process for every instance; ``aclose`` it on shutdown.

    Invariant: an instance's API key travels only in the ``apikey`` header, never in URLs, errors or logs.
    """

    def __init__(
        self, api_keys: EvolutionApiKeys, *, timeout_s: float = 20.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._api_keys = api_keys
        self._http = httpx.AsyncClient(
            timeout=timeout_s, transport=transport, headers={"User-Agent": "leadline-ingest"}
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, instance: EvolutionInstance, route: str, body: Mapping[str, Any]) -> dict[str, Any]:
        key = self._api_keys.key(instance.api_key_secret)
        if key is None:  # nothing was sent: an operator's fix, explained to whoever asked
            raise EvolutionApiError(401, f"no API key for the instance: secret {instance.api_key_secret!r} is missing")
        url = f"{instance.base_url.rstrip('/')}/{route}/{instance.instance}"
        try:
            response = await self._http.post(url, json=dict(body), headers={"apikey": key})
        except httpx.TransportError as error:
            EVOLUTION_API_CALLS.labels("unreachable").inc()
            raise EvolutionApiUnreachable(
                f"{type(error).__name__}: {error}", may_have_arrived=not isinstance(error, NEVER_SENT)
            ) from error
        EVOLUTION_API_CALLS.labels("answered").inc()
        if response.is_error:
            raise evolution_error(response.status_code, response.content)
        try:
            data = response.json()
        except ValueError as error:
            raise EvolutionApiUnreachable(
                f"unreadable answer: {response.text[:200]!r}", may_have_arrived=True
            ) from error
        if not isinstance(data, dict):
            raise EvolutionApiUnreachable(f"unexpected answer: {data!r:.200}", may_have_arrived=True)
        return data

    async def _send(self, instance: EvolutionInstance, route: str, body: Mapping[str, Any]) -> str:
        """POST a send route; the WhatsApp message id (``key.id``) of the message it sent."""
        data = await self._post(instance, f"message/{route}", body)
        key_id = (data.get("key") or {}).get("id") if isinstance(data.get("key"), dict) else None
        if not isinstance(key_id, str) or not key_id:
            # a 2xx without an id: the message may well be out, an unknown outcome rather than a failure
            raise EvolutionApiUnreachable(f"accepted without a message id: {data!r:.200}", may_have_arrived=True)
        return key_id

    async def send_text(self, instance: EvolutionInstance, number: str, text: str, *, quoted: str | None = None) -> str:
        body: dict[str, Any] = {"number": number, "text": text}
        if quoted:
            body["quoted"] = {"key": {"id": quoted}}
        return await self._send(instance, "sendText", body)

    async def send_media(
        self,
        instance: EvolutionInstance,
        number: str,
        *,
        mediatype: str,
        mime_type: str,
        data: bytes,
        caption: str | None = None,
        file_name: str | None = None,
    ) -> str:
        """``mediatype``: image, video or document (Evolution's ``MediaType``); the file travels as base64."""
        body: dict[str, Any] = {
            "number": number,
            "mediatype": mediatype,
            "mimetype": mime_type,
            "media": base64.b64encode(data).decode(),
        }
        if caption:
            body["caption"] = caption
        if file_name:
            body["fileName"] = file_name
        return await self._send(instance, "sendMedia", body)

    async def send_audio(self, instance: EvolutionInstance, number: str, data: bytes) -> str:
        """A voice note (WhatsApp's push-to-talk audio), as Evolution's ``sendWhatsAppAudio`` sends every audio."""
        return await self._send(
            instance, "sendWhatsAppAudio", {"number": number, "audio": base64.b64encode(data).decode()}
        )

    async def media(self, instance: EvolutionInstance, message_key_id: str) -> EvolutionMedia:
        """A received message's media, decrypted by the instance (``chat/getBase64FromMediaMessage``)."""
        data = await self._post(
            instance,
            "chat/getBase64FromMediaMessage",
            {"message": {"key": {"id": message_key_id}}, "convertToMp4": False},
        )
        try:
            content = base64.b64decode(str(data["base64"]), validate=True)
        except (KeyError, binascii.Error, ValueError) as error:
            raise EvolutionApiError(502, f"media answer without readable base64: {sorted(data)!r:.200}") from error
        return EvolutionMedia(content, str(data.get("mimetype") or "application/octet-stream"))

    async def profile_picture_url(self, instance: EvolutionInstance, number: str) -> str | None:
        """The customer's profile photo address (``chat/fetchProfilePictureUrl``): a short-lived WhatsApp CDN URL, or
        None when they have none or hide it from this number (Evolution answers ``profilePictureUrl: null``)."""
        data = await self._post(instance, "chat/fetchProfilePictureUrl", {"number": number})
        url = data.get("profilePictureUrl")
        return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None

    async def download_picture(self, url: str) -> EvolutionMedia:
        """GET a picture address Evolution gave (WhatsApp's CDN: signed in the URL, so no API key goes with it)."""
        try:
            response = await self._http.get(url)
        except httpx.TransportError as error:
            raise EvolutionApiUnreachable(f"{type(error).__name__}: {error}", may_have_arrived=False) from error
        if response.is_error:
            raise EvolutionApiError(response.status_code, f"the picture address answered HTTP {response.status_code}")
        if len(response.content) > MAX_PICTURE_BYTES:
            raise EvolutionApiError(
                502, f"the picture is {len(response.content)} bytes, more than a profile photo can be"
            )
        mime_type = response.headers.get("content-type", "image/jpeg").split(";")[0].strip() or "image/jpeg"
        return EvolutionMedia(response.content, mime_type)
