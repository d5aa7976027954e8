"""Kafka subscribers: translate each router event to a handler call; the platform retries, skips unknown types, dead-letters."""

from __future__ import annotations

from leadline.events import REGISTRY, ROUTER_CONVERSATIONS, ROUTER_INTEGRATION, Envelope
from leadline.platform.runtime import ServiceRuntime

from ..domain.temperature import TemperatureRules
from ..service import router_events
from ..service.ports import Clock, UowFactory

INTEGRATION, CONVERSATIONS = "leads-integration", "leads-conversations"


def register_subscribers(runtime: ServiceRuntime, *, uow: UowFactory, clock: Clock, rules: TemperatureRules) -> None:
    """Two projections, two consumer groups (``KAFKA_GROUP_PREFIX`` in front); inbox names stay these, per database."""

    async def on_account_event(envelope: Envelope) -> None:
        await router_events.learn_account_setup(envelope, REGISTRY.decode(envelope), uow=uow, consumer=INTEGRATION)

    async def on_conversation_event(envelope: Envelope) -> None:
        await router_events.follow_conversation(
            envelope, REGISTRY.decode(envelope), uow=uow, clock=clock, rules=rules, consumer=CONVERSATIONS
        )

    runtime.subscribe([ROUTER_INTEGRATION], consumer=INTEGRATION, handle=on_account_event)
    runtime.subscribe([ROUTER_CONVERSATIONS], consumer=CONVERSATIONS, handle=on_conversation_event)
