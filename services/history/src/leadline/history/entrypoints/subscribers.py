"""Kafka subscriber: every event of the projection's topics, one transaction each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.events.topics import LEADS_LEADS, ROUTER_CONVERSATIONS, WHATSAPP_INBOUND
from leadline.platform.runtime import ServiceRuntime

from ..adapters.live_projection import LiveTimeline
from ..service.projection import CONSUMER

TOPICS = (ROUTER_CONVERSATIONS, LEADS_LEADS, WHATSAPP_INBOUND)


def register_subscribers(
    runtime: ServiceRuntime, *, projection: LiveTimeline, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def on_event(envelope: Envelope) -> None:
        async with sessions() as session, session.begin():
            await projection.apply(session, envelope)

    # streams are independent: many keys at once, each conversation / lead / chat in order
    runtime.subscribe(TOPICS, consumer=CONSUMER, handle=on_event, parallel_keys=runtime.settings.database_pool_size)
