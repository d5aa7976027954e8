"""Reading and writing test topics directly (no consumer group, so no 5 s join)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from leadline.events.envelope import Envelope
from leadline.platform.settings import KafkaSettings, ServiceSettings
from leadline.platform.topic_admin import ensure_topics


def session_timeout_ms() -> int:
    """What the suite's services use (KAFKA_SESSION_TIMEOUT_MS), for the consumers a test subscribes itself."""
    return ServiceSettings().kafka_session_timeout_ms


async def new_topic(bootstrap: str, prefix: str = "test", partitions: int = 3) -> str:
    name = f"{prefix}.{uuid.uuid4().hex[:8]}"
    await ensure_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap), [(name, partitions)])
    return name


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    expected: int,
    timeout_s: float = 15.0,
    settle_s: float = 0.3,
    where: Callable[[ConsumerRecord], bool] | None = None,
) -> list[ConsumerRecord]:
    """Records of ``topic`` from the beginning (those ``where`` keeps): waits for ``expected``, then a little more to catch extras."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout_s
        settle_until = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=100)
            for messages in batch.values():
                records.extend(m for m in messages if where is None or where(m))
            if len(records) >= expected:
                settle_until = settle_until or time.monotonic() + settle_s
                if time.monotonic() >= settle_until:
                    break
    finally:
        await consumer.stop()
    return records


def test_envelope(stream_id: str, sequence: int, *, type_: str = "test.thing.happened", **payload: object) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        type=type_,
        schema_version=1,
        occurred_at=datetime.now(UTC),
        account_id="acme",
        stream_id=stream_id,
        sequence=sequence,
        correlation_id=uuid.uuid4(),
        payload=dict(payload) or {"n": sequence},
    )


test_envelope.__test__ = False  # a factory, not a test


async def wait_until(predicate, *, timeout_s: float = 20.0, interval_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s")


def keyed(*keys: str) -> Callable[[ConsumerRecord], bool]:
    """A ``where`` for ``read_topic``: records whose key is one of ``keys``."""
    wanted = {key.encode() for key in keys}
    return lambda record: record.key in wanted
