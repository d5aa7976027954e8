"""Kafka subscriber: what router asks of WhatsApp on its conversations topic — sends go to ``send_message``,
an agent's retry of a failed media fetch to ``fetch_again``."""

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
    SEND_REQUESTED,
    MediaFetchRequestedV1,
    SendRequestedV2,
)
from leadline.events.envelope import Envelope
from leadline.platform.runtime import ServiceRuntime

from ..domain.retry_policy import RetryPolicy
from ..domain.send_throughput import SendThroughput
from ..service.media_fetching import fetch_again
from ..service.ports import Clock, EvolutionApi, GraphApi, MediaStore, Random, Sleep, UnitOfWorkFactory
from ..service.sending import DEFAULT_SEND_RETRY, send_message

SENDS_CONSUMER = "ingest-sends"
SENDS = Counter(
    "leadline_ingest_whatsapp_sends_total",
    "Agents' send requests handled, by outcome: sent, failed, outcome_unknown, duplicate",
    ["outcome"],
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def register_send_subscriber(
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
    topics: Sequence[str] = (ROUTER_CONVERSATIONS,),
    consumer: str = SENDS_CONSUMER,
    evolution: EvolutionApi | None = None,
) -> None:
    """Consume ``router.message.send_requested`` and ``router.message.media_fetch_requested`` in group
    ``ingest-sends``; other conversation events pass by."""

    async def on_conversation_event(envelope: Envelope) -> None:
        if envelope.type not in (SEND_REQUESTED, MEDIA_FETCH_REQUESTED):
            return  # the rest of a conversation's life is not ingest's business
        request = REGISTRY.decode(envelope)
        if isinstance(request, MediaFetchRequestedV1):
            await fetch_again(request, envelope.account_id, uow_factory, clock)
            return
        assert isinstance(request, SendRequestedV2)
        outcome = await send_message(
            request,
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

    runtime.subscribe(list(topics), consumer=consumer, handle=on_conversation_event)
