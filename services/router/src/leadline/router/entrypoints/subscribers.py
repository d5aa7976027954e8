"""Kafka subscribers: translate each event to a handler call; the platform checks the inbox, commits a batch at a
time, decides again after a concurrent change, skips unknown types and dead-letters."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import (
    LEADS_LEADS,
    REGISTRY,
    WHATSAPP_INBOUND,
    WHATSAPP_OUTBOUND,
    ContactProfilePhotoChangedV2,
    Envelope,
    LeadCreatedV2,
    LeadTemperatureChangedV1,
    LeadTransferredV1,
    MediaFetchFailedV2,
    MediaStoredV2,
    MessageEchoedV2,
    MessageReceivedV2,
    MessageSendFailedV1,
    MessageSentV1,
    MessageStatusChangedV2,
    NumberConnectionChangedV1,
)
from leadline.platform.batches import BatchConsumer, Reaction

from ..adapters import queries
from ..domain.errors import ConcurrentChange
from ..service import customer_photos, inbound, lead_events, media, number_connections
from ..service.inbound import Clock, Normalize
from ..service.ports import UnitOfWork

CONSUMER = "router"
WHATSAPP_INBOX, LEADS_INBOX = "router-whatsapp", "router-leads"

#: Wall-clock time, not the injected clock: how long a customer really waited to be seen (hosts keep time by NTP).
WEBHOOK_TO_POOL = Histogram(
    "leadline_router_webhook_to_pool_seconds",
    "From ingest storing a customer's message (Meta's webhook answered) to the router deciding it into its "
    "conversation (visible in the inbox once its batch commits, a few milliseconds later)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


def router_consumer(
    sessions: async_sessionmaker[AsyncSession],
    *,
    unit_of_work: Callable[[], UnitOfWork],
    clock: Clock,
    normalize: Normalize,
) -> BatchConsumer:
    """One consumer group, ``router``, for what WhatsApp and the leads service tell the router.

    Chats, conversations and leads are independent: a fetched batch is decided many keys at once, each key's events
    in order (the platform groups by key). The inbox names stay those of the two groups this one replaced.
    """

    async def on_whatsapp_event(work: UnitOfWork, envelope: Envelope) -> None:
        payload = REGISTRY.decode(envelope)
        match payload:
            case MessageReceivedV2():
                await inbound.receive_customer_message(work, envelope, payload, clock=clock, normalize=normalize)
                WEBHOOK_TO_POOL.observe(max(0.0, time.time() - envelope.occurred_at.timestamp()))
            case MessageEchoedV2():
                await inbound.record_phone_echo(work, envelope, payload, clock=clock, normalize=normalize)
            case MessageStatusChangedV2():
                await inbound.record_delivery_status(
                    work, payload, clock=clock, conversation_of_wamid=queries.conversation_of_wamid, normalize=normalize
                )
            case MessageSentV1() | MessageSendFailedV1():
                await inbound.record_send_result(work, payload, clock=clock, normalize=normalize)
            case MediaStoredV2() | MediaFetchFailedV2():
                await media.record_media_outcome(
                    work, payload, clock=clock, conversation_of_wamid=queries.conversation_of_wamid
                )
            case ContactProfilePhotoChangedV2():
                await customer_photos.keep_customer_photo(work, envelope, payload, clock=clock, normalize=normalize)
            case NumberConnectionChangedV1():
                await number_connections.keep_number_connection(work, envelope, payload)

    async def on_lead_event(work: UnitOfWork, envelope: Envelope) -> None:
        payload = REGISTRY.decode(envelope)
        match payload:
            case LeadCreatedV2():
                await lead_events.remember_lead_owner(work, envelope, payload)
            case LeadTemperatureChangedV1():
                await lead_events.remember_lead_temperature(work, payload)
            case LeadTransferredV1():
                await lead_events.follow_lead_transfer(
                    work, envelope, payload, clock=clock, conversations_of_lead=queries.conversations_of_lead
                )

    whatsapp = Reaction(on_whatsapp_event, inbox=WHATSAPP_INBOX)
    return BatchConsumer(
        CONSUMER,
        {
            WHATSAPP_INBOUND: whatsapp,
            WHATSAPP_OUTBOUND: whatsapp,
            LEADS_LEADS: Reaction(on_lead_event, inbox=LEADS_INBOX),
        },
        sessions=sessions,
        unit_of_work=unit_of_work,
        conflict=ConcurrentChange,
    )
