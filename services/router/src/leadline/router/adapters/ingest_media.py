"""Ingest's media and templates APIs over httpx: read a stored file (or a byte range of it), keep a file an agent will
send; a business number's approved WhatsApp templates, and a template rendered as the customer will read it.

Ingest owns the media store (local disk or S3) and talks to Meta; the router decides who may see which file (or write
from which number) and forwards the agent's bearer token with each call.
"""

from __future__ import annotations

import httpx

from leadline.platform.service_client import service_client


class MediaStoreUnavailable(Exception):
    """Ingest did not answer."""


class IngestMedia:
    def __init__(
        self, base_url: str, *, timeout_s: float = 30.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = service_client(base_url, timeout=timeout_s, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return await self._http.send(request, stream=stream)
        except httpx.HTTPError as error:
            raise MediaStoreUnavailable(f"ingest did not answer: {type(error).__name__}") from error

    async def open(self, key: str, *, token: str, byte_range: str | None = None) -> httpx.Response:
        """The stored file's answer, body still to be read (``aiter_raw``, then ``aclose``)."""
        headers = {"Authorization": f"Bearer {token}", **({"Range": byte_range} if byte_range else {})}
        return await self._send(self._http.build_request("GET", f"/media/{key}", headers=headers), stream=True)

    async def keep(self, data: bytes, mime_type: str, *, kind: str, token: str) -> httpx.Response:
        """Ingest's answer to keeping a file an agent is about to send (201 with the reply's ``media``, or its refusal)."""
        request = self._http.build_request(
            "POST",
            "/media",
            params={"kind": kind},
            content=data,
            headers={"Authorization": f"Bearer {token}", "Content-Type": mime_type},
        )
        return await self._send(request)

    async def templates(self, phone_number_id: str, *, token: str, refresh: bool = False) -> httpx.Response:
        """Ingest's answer: the number's approved templates (read from Meta again first when ``refresh``)."""
        request = self._http.build_request(
            "POST" if refresh else "GET",
            "/templates/sync" if refresh else "/templates",
            params={"phone_number_id": phone_number_id},
            headers={"Authorization": f"Bearer {token}"},
        )
        return await self._send(request)

    async def render_template(self, phone_number_id: str, content: dict, *, token: str) -> httpx.Response:
        """Ingest's answer: ``{"text"}`` the customer will read, or why WhatsApp would refuse the template."""
        request = self._http.build_request(
            "POST",
            "/templates/render",
            params={"phone_number_id": phone_number_id},
            json={
                "name": content["name"],
                "language": content["language"],
                "parameters": list(content.get("parameters") or []),
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        return await self._send(request)
