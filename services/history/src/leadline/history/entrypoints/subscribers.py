"""Kafka subscriber: every event of the projection's topics, a fetched batch per transaction (a savepoint each)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import Envelope
from leadline.events.topics import LEADS_LEADS, ROUTER_CONVERSATIONS, WHATSAPP_INBOUND
from leadline.platform.batches import BatchConsumer, Reaction
from leadline.platform.runtime import ServiceRuntime
from leadline.platform.unit_of_work import SessionUnitOfWork

from ..adapters.live_projection import LiveTimeline
from ..service.projection import CONSUMER

TOPICS = (ROUTER_CONVERSATIONS, LEADS_LEADS, WHATSAPP_INBOUND)


class ProjectionTransaction(SessionUnitOfWork):
    """The projection writes through its own store: the unit of work is only the transaction."""

    def bind(self, session: AsyncSession) -> None:
        pass


def register_subscribers(runtime: ServiceRuntime, *, projection: LiveTimeline) -> BatchConsumer:
    """Streams are independent: many keys at once, each conversation / lead / chat in order. The projection keeps
    its own inbox and stream positions (its replays share them), so the consumer adds none."""

    async def on_event(work: ProjectionTransaction, envelope: Envelope) -> None:
        await projection.apply(work.session, envelope)

    reaction = Reaction(on_event, inbox=None)
    return runtime.consume(
        BatchConsumer(
            CONSUMER,
            dict.fromkeys(TOPICS, reaction),
            sessions=runtime.sessions,
            unit_of_work=lambda: ProjectionTransaction(runtime.sessions),
        )
    )
