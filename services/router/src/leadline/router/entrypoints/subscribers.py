"""Kafka subscribers: translate each event to a handler call; the platform retries, skips unknown types, dead-letters."""

from __future__ import annotations

import time

from prometheus_client import Histogram

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
from leadline.platform.runtime import ServiceRuntime

from ..adapters import queries
from ..service import customer_photos, inbound, lead_events, media, number_connections
from ..service.inbound import Clock, Normalize, UowFactory

#: Wall-clock time, not the injected clock: how long a customer really waited to be seen (hosts keep time by NTP).
WEBHOOK_TO_POOL = Histogram(
    "leadline_router_webhook_to_pool_seconds",
    "From ingest storing a customer's message (Meta's webhook answered) to the router committing it to its "
    "conversation (visible in the inbox)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


def register_subscribers(runtime: ServiceRuntime, *, uow: UowFactory, clock: Clock, normalize: Normalize) -> None:
    async def on_whatsapp_event(envelope: Envelope) -> None:
        payload = REGISTRY.decode(envelope)
        match payload:
            case MessageReceivedV2():
                if await inbound.receive_customer_message(envelope, payload, uow=uow, clock=clock, normalize=normalize):
                    WEBHOOK_TO_POOL.observe(max(0.0, time.time() - envelope.occurred_at.timestamp()))
            case MessageEchoedV2():
                await inbound.record_phone_echo(envelope, payload, uow=uow, clock=clock, normalize=normalize)
            case MessageStatusChangedV2():
                await inbound.record_delivery_status(
                    envelope,
                    payload,
                    uow=uow,
                    clock=clock,
                    conversation_of_wamid=queries.conversation_of_wamid,
                    normalize=normalize,
                )
            case MessageSentV1() | MessageSendFailedV1():
                await inbound.record_send_result(envelope, payload, uow=uow, clock=clock)
            case MediaStoredV2() | MediaFetchFailedV2():
                await media.record_media_outcome(
                    envelope, payload, uow=uow, clock=clock, conversation_of_wamid=queries.conversation_of_wamid
                )
            case ContactProfilePhotoChangedV2():
                await customer_photos.keep_customer_photo(envelope, payload, uow=uow, clock=clock, normalize=normalize)
            case NumberConnectionChangedV1():
                await number_connections.keep_number_connection(envelope, payload, uow=uow)

    async def on_lead_event(envelope: Envelope) -> None:
        payload = REGISTRY.decode(envelope)
        match payload:
            case LeadCreatedV2():
                await lead_events.remember_lead_owner(envelope, payload, uow=uow)
            case LeadTemperatureChangedV1():
                await lead_events.remember_lead_temperature(envelope, payload, uow=uow)
            case LeadTransferredV1():
                await lead_events.follow_lead_transfer(
                    envelope, payload, uow=uow, clock=clock, conversations_of_lead=queries.conversations_of_lead
                )

    # chats are independent: many at once, each chat's messages in order (the platform groups by key)
    runtime.subscribe(
        [WHATSAPP_INBOUND, WHATSAPP_OUTBOUND],
        consumer=inbound.CONSUMER,
        handle=on_whatsapp_event,
        parallel_keys=runtime.settings.database_pool_size,
    )
    runtime.subscribe([LEADS_LEADS], consumer=lead_events.CONSUMER, handle=on_lead_event)
