"""Parallel by key: many keys at once, each key's events strictly in order, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import uuid

from faststream.kafka import KafkaBroker

from leadline.events.envelope import Envelope
from leadline.platform.kafka import DeadLetters, create_producer, subscribe_events
from tests.kafka_helpers import new_topic, session_timeout_ms, test_envelope, wait_until


async def test_events_of_different_keys_run_concurrently_and_each_keys_events_stay_in_order(infra):
    topic = await new_topic(infra.bootstrap_servers, "parallel", partitions=2)
    seen: dict[str, list[int]] = {}
    running = 0
    most_at_once = 0

    async def handle(envelope: Envelope) -> None:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await asyncio.sleep(0.01)  # a transaction's worth of waiting
        seen.setdefault(envelope.stream_id, []).append(envelope.sequence)
        running -= 1

    producer = create_producer(infra.kafka_settings)
    await producer.start()
    dead_letters = DeadLetters(producer, "parallel-test")
    broker = KafkaBroker(infra.bootstrap_servers)
    subscribe_events(
        broker,
        [topic],
        consumer=f"parallel-{uuid.uuid4().hex[:6]}",
        handle=handle,
        dead_letters=lambda: dead_letters,
        parallel_keys=8,
        session_timeout_ms=session_timeout_ms(),
    )
    await broker.start()
    try:
        for sequence in range(1, 21):
            for chat in range(10):
                envelope = test_envelope(f"chat-{chat}", sequence)
                await producer.send(topic, envelope.to_bytes(), key=envelope.key)
        await producer.flush()

        async def all_seen() -> bool:
            return sum(len(v) for v in seen.values()) >= 200

        await wait_until(all_seen, timeout_s=40)
    finally:
        await broker.stop()
        await producer.stop()
    assert {key: sequences for key, sequences in seen.items()} == {f"chat-{c}": list(range(1, 21)) for c in range(10)}
    assert most_at_once > 1, "keys were handled concurrently"
