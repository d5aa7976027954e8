"""``leadline_consumer_lag``: how many records of a partition wait behind the one just handled, and 0 once caught up."""

from __future__ import annotations

import asyncio
import uuid

from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY as METRICS

from leadline.events.envelope import Envelope
from leadline.platform.kafka import DeadLetters, create_producer, subscribe_events
from tests.kafka_helpers import new_topic, session_timeout_ms, test_envelope, wait_until


async def test_the_lag_gauge_counts_the_records_behind_the_last_handled_and_falls_to_zero(infra):
    topic = await new_topic(infra.bootstrap_servers, "lag", partitions=1)
    group = f"lag-{uuid.uuid4().hex[:6]}"
    handled: list[int] = []
    held = asyncio.Event()

    async def handle(envelope: Envelope) -> None:
        if envelope.sequence == 5:
            await held.wait()  # a slow event: four are done, sixteen wait behind this one
        handled.append(envelope.sequence)

    producer = create_producer(infra.kafka_settings)
    await producer.start()
    for sequence in range(1, 21):  # one at a time: the broker's high watermark is then exact
        envelope = test_envelope("stream", sequence)
        await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    broker = KafkaBroker(infra.bootstrap_servers)
    subscribe_events(
        broker,
        [topic],
        consumer=group,
        handle=handle,
        dead_letters=lambda: DeadLetters(producer, group),
        session_timeout_ms=session_timeout_ms(),
    )

    def lag() -> float | None:
        return METRICS.get_sample_value("leadline_consumer_lag", {"consumer": group, "topic": topic, "partition": "0"})

    await broker.start()
    try:
        await wait_until(lambda: asyncio.sleep(0, len(handled) == 4), timeout_s=30)
        await asyncio.sleep(0.2)
        assert lag() == 16, "after the 4th record (offset 3) of 20, sixteen are not handled yet"
        held.set()
        await wait_until(lambda: asyncio.sleep(0, len(handled) == 20), timeout_s=30)
        assert lag() == 0
    finally:
        await broker.stop()
        await producer.stop()
