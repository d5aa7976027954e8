"""The agent's token from the ``Authorization`` header or, for what browsers load by URL, from ``?access_token=``.

``EventSource`` (the live inbox), ``<img>``, ``<audio>`` and ``<video>`` cannot set headers. A URL is more
exposed than a header (proxy and browser history): those paths are kept out of traces, and the gateway does
not log URLs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Query, Request

from leadline.platform.auth import AgentIdentity, InvalidToken, TokenVerifier


def header_or_query_identity(verifier: TokenVerifier) -> Callable[..., Awaitable[AgentIdentity]]:
    """A FastAPI dependency: the verified agent, from the header when there is one, else from the query."""
    async def identity(request: Request, access_token: Annotated[str | None, Query(
        description="The agent's JWT, for clients that cannot send an Authorization header (EventSource, <img>, <audio>).",
    )] = None) -> AgentIdentity:
        if request.headers.get("authorization"):
            return await verifier(request)
        if not access_token:
            raise InvalidToken("a token is required: Authorization: Bearer <jwt>, or ?access_token=<jwt>")
        return verifier.verify(access_token)

    return identity
