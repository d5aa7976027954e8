"""Kafka subscriber: one consumer group, ``ingest``, for what the router asks of WhatsApp and tells about numbers.

On ``router.conversations``: sends go to ``send_message``, an agent's retry of a failed media fetch to
``fetch_again``; on ``router.integration``: which account (and provider) each business number belongs to. Every
other event passes by without its payload decoded, its offset committed later (``WANTED``). The two topics need no
order between them (a send names its own number), so one group polls the broker instead of two; records are handled
one at a time, each in its own transactions, because a send commits ``sending`` before Meta is called and so cannot
join a batch's transaction.
"""

from __future__ import annotations

import asyncio
import random as _random
from collections.abc import Sequence
from datetime import UTC, datetime

from prometheus_client import Counter

from leadline.events import (
    MEDIA_FETCH_REQUESTED,
    REGISTRY,
    ROUTER_CONVERSATIONS,
    ROUTER_INTEGRATION,
    SEND_REQUESTED,
    BusinessNumberRegisteredV1,
    MediaFetchRequestedV1,
    SendRequestedV2,
)
from leadline.events.envelope import Envelope
from leadline.platform.runtime import ServiceRuntime

from ..domain.evolution_instances import EvolutionInstance
from ..domain.retry_policy import RetryPolicy
from ..domain.send_throughput import SendThroughput
from ..service.inbound import remember_business_number
from ..service.media_fetching import fetch_again
from ..service.ports import Clock, EvolutionApi, GraphApi, MediaStore, Random, Sleep, UnitOfWorkFactory
from ..service.sending import DEFAULT_SEND_RETRY, send_message

CONSUMER = "ingest"
"""Replaced ``ingest-sends`` (router.conversations) and ``ingest-integration`` (router.integration)."""
SENDS = Counter(
    "leadline_ingest_whatsapp_sends_total",
    "Agents' send requests handled, by outcome: sent, failed, outcome_unknown, duplicate",
    ["outcome"],
)
WANTED = frozenset({SEND_REQUESTED, MEDIA_FETCH_REQUESTED, BusinessNumberRegisteredV1.EVENT_TYPE})
"""The rest of a conversation's life is not ingest's business: those records are passed by."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def register_subscriber(
    runtime: ServiceRuntime,
    *,
    uow_factory: UnitOfWorkFactory,
    graph: GraphApi,
    throughput: SendThroughput,
    media_store: MediaStore | None = None,
    retry: RetryPolicy = DEFAULT_SEND_RETRY,
    clock: Clock = utc_now,
    sleep: Sleep = asyncio.sleep,
    random: Random = _random.random,
    topics: Sequence[str] = (ROUTER_CONVERSATIONS, ROUTER_INTEGRATION),
    consumer: str = CONSUMER,
    evolution: EvolutionApi | None = None,
) -> None:
    """Consume ``topics`` in group ``consumer`` (``KAFKA_GROUP_PREFIX`` in front), a record at a time."""

    async def on_event(envelope: Envelope) -> None:
        event = REGISTRY.decode(envelope)
        if isinstance(event, BusinessNumberRegisteredV1):
            instance = event.evolution
            await remember_business_number(
                event.phone_number_id,
                envelope.account_id,
                uow=uow_factory(),
                waba_id=event.waba_id,
                evolution=EvolutionInstance(instance.base_url, instance.instance, instance.api_key_secret)
                if instance
                else None,
            )
        elif isinstance(event, MediaFetchRequestedV1):
            await fetch_again(event, envelope.account_id, uow_factory, clock)
        else:
            assert isinstance(event, SendRequestedV2)
            outcome = await send_message(
                event,
                envelope,
                uow_factory,
                graph,
                throughput,
                clock,
                sleep,
                random,
                media_store=media_store,
                retry=retry,
                evolution=evolution,
            )
            SENDS.labels(outcome.value).inc()

    runtime.subscribe(list(topics), consumer=consumer, handle=on_event, types=WANTED)
