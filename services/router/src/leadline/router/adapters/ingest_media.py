"""Ingest's media API over httpx: read a stored file (or a byte range of it), keep a file an agent will send.

Ingest owns the media store (local disk or S3); the router decides who may see which file and forwards the
agent's bearer token with each call.
"""

from __future__ import annotations

import httpx

from leadline.platform.serve import CLIENT_KEEP_ALIVE_S


class MediaStoreUnavailable(Exception):
    """Ingest did not answer."""


class IngestMedia:
    def __init__(self, base_url: str, *, timeout_s: float = 30.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        # idle connections dropped before ingest closes them (serve.py): never reused mid-close
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport,
                                       limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S))

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
        request = self._http.build_request("POST", "/media", params={"kind": kind}, content=data,
                                           headers={"Authorization": f"Bearer {token}", "Content-Type": mime_type})
        return await self._send(request)
