"""An async client for the fake's ``/_fake`` control API, for tests and the leadline CLI."""

from __future__ import annotations

import base64
from types import TracebackType
from typing import Any

import httpx

from leadline.fakegraph.webhooks import DEFAULT_PROFILE_NAME


class FakeGraphClient:
    """Drives a running fake (or one in-process via ``transport=httpx.ASGITransport(app)``).

    ``phone_number_id`` set here is the default business number for ``say``/``echo``/``status``.
    Every method raises ``httpx.HTTPStatusError`` if the control API refuses the request.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8010",
        *,
        phone_number_id: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.phone_number_id = phone_number_id
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

    async def __aenter__(self) -> FakeGraphClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def _number(self, phone_number_id: str | None) -> str:
        number = phone_number_id or self.phone_number_id
        if number is None:
            raise ValueError("phone_number_id is required (pass it here or to FakeGraphClient)")
        return number

    async def healthz(self) -> bool:
        return (await self._call("GET", "/_fake/healthz")).get("status") == "ok"

    async def say(
        self,
        wa_id: str,
        text: str | None = None,
        *,
        phone_number_id: str | None = None,
        kind: str = "text",
        profile_name: str | None = DEFAULT_PROFILE_NAME,
        reply_to: str | None = None,
        user_id: str | None = None,
        username: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Customer ``wa_id`` writes; returns ``{wamid, webhook_status, error, payload}``.

        ``fields`` go to the builder for ``kind`` (e.g. ``media_id=..., caption=...`` for an image);
        ``profile_name=None`` simulates a customer without a profile name; ``user_id`` (a BSUID) makes the
        webhook name the phone and the BSUID together, with ``username`` in the profile.
        """
        order = {
            "phone_number_id": self._number(phone_number_id),
            "kind": kind,
            "text": text,
            "profile_name": profile_name,
            "reply_to": reply_to,
            "fields": fields,
            "user_id": user_id,
            "username": username,
        }
        return await self._call("POST", f"/_fake/customers/{wa_id}/say", json=order)

    async def say_as_user(
        self,
        user_id: str,
        text: str | None = None,
        *,
        phone_number_id: str | None = None,
        kind: str = "text",
        profile_name: str | None = DEFAULT_PROFILE_NAME,
        username: str | None = None,
        wa_id: str | None = None,
        shows_phone: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """A customer named by BSUID ``user_id`` writes; Meta leaves their phone (``wa_id``) out unless ``shows_phone``."""
        order = {
            "phone_number_id": self._number(phone_number_id),
            "kind": kind,
            "text": text,
            "fields": fields,
            "profile_name": profile_name,
            "username": username,
            "wa_id": wa_id,
            "shows_phone": shows_phone,
        }
        return await self._call("POST", f"/_fake/users/{user_id}/say", json=order)

    async def share_contact(
        self, user_id: str, *, phone: str | None = None, phone_number_id: str | None = None
    ) -> dict[str, Any]:
        """The user taps "Share contact info" on the request-contact-info template they got (409 if none)."""
        order = {"phone_number_id": self._number(phone_number_id), "phone": phone}
        return await self._call("POST", f"/_fake/users/{user_id}/share_contact", json=order)

    async def echo(
        self,
        to: str,
        text: str | None = None,
        *,
        phone_number_id: str | None = None,
        kind: str = "text",
        **fields: Any,
    ) -> dict[str, Any]:
        """The business writes to ``to`` from the WhatsApp Business app (``smb_message_echoes``)."""
        order = {
            "phone_number_id": self._number(phone_number_id),
            "to": to,
            "kind": kind,
            "text": text,
            "fields": fields,
        }
        return await self._call("POST", "/_fake/echoes", json=order)

    async def status(
        self,
        wamid: str,
        status: str,
        *,
        phone_number_id: str | None = None,
        recipient_id: str | None = None,
        code: int | None = None,
    ) -> dict[str, Any]:
        """Post a status webhook for a message sent through the fake (``read``, ``failed``…)."""
        order = {
            "phone_number_id": self._number(phone_number_id),
            "wamid": wamid,
            "status": status,
            "recipient_id": recipient_id,
            "code": code,
        }
        return await self._call("POST", "/_fake/statuses", json=order)

    async def sent(
        self, *, phone_number_id: str | None = None, to: str | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"phone_number_id": phone_number_id, "to": to, "kind": kind}.items() if v}
        return (await self._call("GET", "/_fake/sent", params=params))["data"]

    async def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook the fake posted (or tried to), oldest first, with the target's answer."""
        return (await self._call("GET", "/_fake/webhooks"))["data"]

    async def fail_next(
        self,
        endpoint: str = "messages",
        count: int = 1,
        *,
        status: int | None = None,
        code: int | None = None,
        message: str | None = None,
        details: str | None = None,
    ) -> dict[str, Any]:
        """Make the next ``count`` calls to ``endpoint`` answer with a Meta-shaped error."""
        order = {
            "endpoint": endpoint,
            "count": count,
            "status": status,
            "code": code,
            "message": message,
            "details": details,
        }
        return await self._call("POST", "/_fake/failures", json=order)

    async def register_media(
        self, data: bytes, mime_type: str = "image/jpeg", *, filename: str | None = None
    ) -> dict[str, Any]:
        """Store bytes in the fake; returns ``{id, mime_type, sha256, sha256_hex, file_size, url}``."""
        order = {"data_base64": base64.b64encode(data).decode(), "mime_type": mime_type, "filename": filename}
        return await self._call("POST", "/_fake/media", json=order)

    async def reset(self) -> None:
        await self._call("POST", "/_fake/reset")
