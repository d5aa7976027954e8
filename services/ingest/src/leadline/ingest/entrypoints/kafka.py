"""Kafka subscriber: the send requests router publishes on its conversations topic go to ``send_message``."""

from __future__ import annotations

import asyncio
import random as _random
from collections.abc import Sequence
from datetime import UTC, datetime

from leadline.events import REGISTRY, ROUTER_CONVERSATIONS, SEND_REQUESTED, SendRequestedV2
from leadline.events.envelope import Envelope
from leadline.platform.runtime import ServiceRuntime

from ..domain.retry_policy import RetryPolicy
from ..domain.send_throughput import SendThroughput
from ..service.ports import Clock, GraphApi, MediaStore, Random, Sleep, UnitOfWorkFactory
from ..service.sending import DEFAULT_SEND_RETRY, send_message

SENDS_CONSUMER = "ingest-sends"


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
) -> None:
    """Consume ``router.message.send_requested`` in group ``ingest-sends``; other conversation events pass by."""

    async def on_conversation_event(envelope: Envelope) -> None:
        if envelope.type != SEND_REQUESTED:
            return  # the rest of a conversation's life is not ingest's business
        request = REGISTRY.decode(envelope)
        assert isinstance(request, SendRequestedV2)
        await send_message(request, envelope, uow_factory, graph, throughput, clock, sleep, random,
                           media_store=media_store, retry=retry)

    runtime.subscribe(list(topics), consumer=consumer, handle=on_conversation_event)
