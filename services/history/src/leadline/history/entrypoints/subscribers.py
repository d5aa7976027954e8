"""Kafka subscriber: every event of the projection's topics, a fetched batch per transaction (a savepoint each)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
    return runtime.consume(timeline_consumer(runtime.sessions, projection))


def timeline_consumer(sessions: async_sessionmaker[AsyncSession], projection: LiveTimeline) -> BatchConsumer:
    """Streams are independent: many keys at once, each conversation / lead / chat in order. The projection keeps
    its own inbox and stream positions (its replays share them), so the consumer adds none; it applies a lane's
    events together as the lane's transaction commits (``LiveTimeline.apply_before_commit``)."""

    async def on_event(work: ProjectionTransaction, envelope: Envelope) -> None:
        projection.apply_before_commit(work.session, envelope)

    reaction = Reaction(on_event, inbox=None)
    return BatchConsumer(
        CONSUMER,
        dict.fromkeys(TOPICS, reaction),
        sessions=sessions,
        unit_of_work=lambda: ProjectionTransaction(sessions),
    )
