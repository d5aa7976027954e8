"""A WhatsApp message never makes a lead by itself: only an agent's Add lead does."""

from __future__ import annotations

import asyncio
import uuid
from uuid import UUID

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from leadline.events import WHATSAPP_INBOUND, MessageReceivedV1, new_envelope
from leadline.events.content import TextContent
from leadline.leads.adapters.tables import add_lead_sagas, conversation_activity, lead_events, leads
from tests.integration.leads.conftest import new_customer
from tests.kafka_helpers import wait_until


async def test_customers_writing_make_conversations_the_leads_service_follows_but_never_a_lead(dealer, infra):
    customers = [new_customer() for _ in range(3)]
    conversations = [await dealer.customer_writes(wa_id, f"Mensagem {n}") for n, wa_id in enumerate(customers)]
    for wa_id in customers:
        await dealer.customer_writes(wa_id, "Alguém aí?")
    # and one more straight onto the inbound topic, the way ingest publishes it
    message = MessageReceivedV1(
        phone_number_id=dealer.shared,
        customer_wa_id=new_customer(),
        wamid=f"wamid.{uuid.uuid4().hex}",
        display_phone_number="551140000001",
        customer_display_name="Paula",
        sent_at=dealer.services.clock(),
        content=TextContent(body="Oi"),
    )
    envelope = new_envelope(
        message,
        account_id=dealer.account_id,
        stream_id=message.stream_id(dealer.account_id),
        sequence=1,
        occurred_at=dealer.services.clock(),
    )
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(WHATSAPP_INBOUND, envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()

    async def followed() -> bool:
        async with dealer.services.leads_app.state.runtime.sessions() as session:
            counts = await session.scalars(
                select(conversation_activity.c.customer_messages).where(
                    conversation_activity.c.conversation_id.in_([UUID(c) for c in conversations])
                )
            )
            return sorted(counts) == [2, 2, 2]

    await wait_until(followed)
    await asyncio.sleep(1.0)  # time for the inbound message to travel router -> leads as well
    async with dealer.services.leads_app.state.runtime.sessions() as session:
        assert (
            await session.scalar(select(func.count()).select_from(leads).where(leads.c.account_id == dealer.account_id))
            == 0
        )
        assert (
            await session.scalar(
                select(func.count()).select_from(lead_events).where(lead_events.c.account_id == dealer.account_id)
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count()).select_from(add_lead_sagas).where(add_lead_sagas.c.account_id == dealer.account_id)
            )
            == 0
        )
    assert await dealer.published() == []
