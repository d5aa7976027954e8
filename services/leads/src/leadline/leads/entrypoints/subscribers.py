"""Kafka subscribers: translate each router event to a handler call; the platform commits a batch at a time, decides
again after a concurrent change, skips unknown types and dead-letters.

The integration topic's inbox is its stream positions; the conversations topic's is each conversation's own row,
which says which event it folded last (read and written with the row). A conversation event leads has no use for is
passed over from its type alone: no payload decoding, no statement."""

from __future__ import annotations

from leadline.events import REGISTRY, ROUTER_CONVERSATIONS, ROUTER_INTEGRATION, Envelope
from leadline.platform.batches import BatchConsumer, Reaction
from leadline.platform.inbox import next_in_stream
from leadline.platform.runtime import ServiceRuntime

from ..domain.errors import ConcurrentChange
from ..domain.temperature import TemperatureRules
from ..service import router_events
from ..service.ports import Clock, UnitOfWork, UowFactory

CONSUMER = "leads"
INTEGRATION = "leads-integration"


def register_subscribers(
    runtime: ServiceRuntime, *, uow: UowFactory, clock: Clock, rules: TemperatureRules
) -> BatchConsumer:
    """One consumer group, ``leads`` (``KAFKA_GROUP_PREFIX`` in front), for two projections; the directory's stream
    positions keep the name of the group it replaced (``leads-integration``), per database."""

    async def on_account_event(work: UnitOfWork, envelope: Envelope) -> None:
        await router_events.learn_account_setup(work, envelope, REGISTRY.decode(envelope))

    async def on_conversation_event(work: UnitOfWork, envelope: Envelope) -> None:
        if envelope.type not in router_events.FOLLOWED:
            return
        await router_events.follow_conversation(work, envelope, REGISTRY.decode(envelope), clock=clock, rules=rules)

    return runtime.consume(
        BatchConsumer(
            CONSUMER,
            {
                ROUTER_INTEGRATION: Reaction(on_account_event, inbox=INTEGRATION, admits=next_in_stream),
                ROUTER_CONVERSATIONS: Reaction(on_conversation_event, inbox=None),
            },
            sessions=runtime.sessions,
            unit_of_work=uow,
            conflict=ConcurrentChange,
        )
    )
