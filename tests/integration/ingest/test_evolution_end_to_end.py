"""The Evolution channel through the running ingest and the real broker: the router's integration event tells ingest
the number's instance, and the instance's webhook comes out as the same ``ingest.message.received`` on the topic."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaProducer

from leadline.events import (
    REGISTRY,
    ROUTER_INTEGRATION,
    WHATSAPP_INBOUND,
    BusinessNumberRegisteredV1,
    Envelope,
    EvolutionInstanceV1,
    MessageReceivedV2,
    NumberProvider,
)
from leadline.events.common import chat_stream_id
from leadline.fakegraph.evolution import payloads as evo
from leadline.ingest.bootstrap import MIGRATIONS, build
from leadline.ingest.domain.evolution_instances import evolution_wamid
from leadline.platform.migrations import upgrade_to_head
from tests.integration.ingest.conftest import ingest_settings
from tests.kafka_helpers import keyed, read_topic, wait_until

INSTANCE, KEY, CUSTOMER = "acme-usados", "s3cr3t-instance-key", "551187654321"


async def test_a_number_registered_on_evolution_receives_its_instances_webhooks_as_ingest_events(infra, tmp_path):
    number = f"55119{random.randint(10_000_000, 99_999_999)}"
    account = f"acme-{uuid.uuid4().hex[:6]}"
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / INSTANCE).write_text(KEY)
    url = await infra.new_database("ingest_evo")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = ingest_settings(infra, url, evolution_api_keys_dir=str(keys), media_store_dir=str(tmp_path / "media"))
    registered = BusinessNumberRegisteredV1(
        phone_number_id=number,
        display_phone_number=f"+{number}",
        name="Acme Usados",
        team_ids=("vendas",),
        provider=NumberProvider.EVOLUTION,
        evolution=EvolutionInstanceV1(base_url="http://evolution.invalid", instance=INSTANCE, api_key_secret=INSTANCE),
    )
    event = REGISTRY.encode(registered, account_id=account, sequence=1, occurred_at=datetime.now(UTC))
    webhook = evo.envelope(
        "messages.upsert",
        INSTANCE,
        evo.message_upsert(evo.text("Oi, vi o anúncio"), remote_jid=evo.jid(CUSTOMER), id="3EB0E2E"),
        apikey=KEY,
        owner=number,
    )
    app = build(settings)
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers)
    await producer.start()
    try:
        async with app.router.lifespan_context(app):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest")
            async with client:
                before = await client.post(f"/webhooks/evolution/{number}", json=webhook)
                await producer.send_and_wait(ROUTER_INTEGRATION, event.to_bytes(), key=event.key)

                async def learnt() -> bool:
                    return (await client.post(f"/webhooks/evolution/{number}", json=webhook)).status_code == 200

                await wait_until(learnt, timeout_s=40, interval_s=0.5)
                records = await read_topic(  # while ingest runs: its relay publishes what the webhook stored
                    infra.bootstrap_servers,
                    WHATSAPP_INBOUND,
                    expected=1,
                    timeout_s=20,
                    settle_s=1.0,
                    where=keyed(chat_stream_id(number, CUSTOMER)),
                )
    finally:
        await producer.stop()

    assert before.status_code == 404  # not an Evolution number yet: nothing stored
    [record] = records  # the webhook was posted until accepted, and stored once
    envelope = Envelope.from_bytes(record.value)
    received = REGISTRY.decode(envelope)
    assert envelope.account_id == account
    assert isinstance(received, MessageReceivedV2) and received.wamid == evolution_wamid(number, "3EB0E2E")
    assert received.content.body == "Oi, vi o anúncio" and received.customer.wa_id == CUSTOMER
