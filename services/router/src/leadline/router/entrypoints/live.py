"""``GET /stream``: the agent's inbox, live, as Server-Sent Events.

Events (``event:`` name, ``data:`` one JSON object):
- ``conversation``: a conversation the agent may see changed (or appeared); ``data`` is the conversation as
  ``GET /conversations/{id}`` shows it plus ``type`` (the event that changed it) and ``owner``;
- ``removed``: ``{"conversation_id"}`` — a conversation the agent had on screen is no longer theirs to see
  (someone else claimed it, the lead was transferred);
- ``dropped``: ``{"reason"}`` — the last event of a stream that fell too far behind or missed changes, or whose
  agent's access changed in the account directory (after a ``removed`` for each conversation they lost): reload the
  inbox (``GET /conversations``) and reconnect (``EventSource`` reconnects by itself). An agent who left the
  directory gets it too, and their reconnection is refused (401 ``agent_inactive``).
A conversation the agent may not see is never mentioned, not even by id. A comment line every 15 s
keeps proxies from closing an idle stream.

Authentication: ``Authorization: Bearer <jwt>`` or, for browsers (``EventSource`` cannot set headers),
``?access_token=<jwt>``. A URL is more exposed than a header (proxy and browser history): use a
short-lived token there. A missing or bad token, or an agent the directory does not hold as active, is a 401 before
the stream opens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from leadline.platform.access import Access
from leadline.platform.auth import AgentIdentity

from ..adapters.live_feed import DROPPED, LiveFeed
from .agent_api import agent_of


def live_api(*, feed: LiveFeed, access: Access) -> APIRouter:
    """FastAPI's own SSE support frames the events and writes the ``: ping`` keep-alive every 15 s."""
    router = APIRouter(tags=["agent inbox"])
    identity = access.from_header_or_query()

    @router.get("/stream", response_class=EventSourceResponse)
    async def stream(me: AgentIdentity = Depends(identity)) -> AsyncIterator[ServerSentEvent]:
        """The inbox, live: ``conversation``, ``removed`` and ``dropped`` events (see the module's documentation)."""
        # Subscribed on the first step, not before: a stream that never starts leaves nothing behind.
        subscriber = feed.subscribe(me.account_id, agent_of(me))
        try:
            yield ServerSentEvent(comment="connected")
            while True:
                name, data = await subscriber.queue.get()
                yield ServerSentEvent(event=name, data=data)
                if name == DROPPED:
                    return
        finally:  # the client went away (the server cancels the stream) or was dropped
            feed.unsubscribe(subscriber)

    return router
