"""Reading whole topics for the ops commands: every record up to the end, or following new ones.

A consumer without a group (nothing committed, no group join): partitions are assigned and read from the
start. The end is where every partition has reached its listed end offset and nothing new came for a
moment — the listed end can fall short on the embedded broker (README, "tansu quirks").
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence

from aiokafka import ConsumerRecord, TopicPartition

from leadline.platform import kafka_clients
from leadline.platform.settings import KafkaSettings

IDLE_S = 0.5


async def read_topics(
    kafka: KafkaSettings, topics: Sequence[str], *, follow: bool = False, idle_s: float = IDLE_S
) -> AsyncIterator[ConsumerRecord | None]:
    """Every record of ``topics`` in partition order; with ``follow``, then ``None`` once (caught up) and each
    new record until cancelled."""
    reader = kafka_clients.consumer(
        kafka,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        request_timeout_ms=10_000,
    )
    try:
        await reader.start()
        await reader.topics()
        missing = [topic for topic in topics if not reader.partitions_for_topic(topic)]
        if missing:
            raise LookupError(f"no such topic: {', '.join(missing)} (create them with `leadline topics create`)")
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(reader.partitions_for_topic(t))]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        idle_since: float | None = None
        caught_up = False
        while True:
            batch = await reader.getmany(timeout_ms=100, max_records=1000)
            if batch:
                idle_since = None
                for tp in sorted(batch, key=lambda tp: (tp.topic, tp.partition)):
                    for record in batch[tp]:
                        yield record
                continue
            if caught_up:
                continue
            idle_since = idle_since or time.monotonic()
            at_end = all([await reader.position(tp) >= ends[tp] for tp in partitions])
            if at_end and time.monotonic() - idle_since >= idle_s:
                if not follow:
                    return
                caught_up = True
                yield None
    finally:
        await reader.stop()


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode(errors="replace")
    return None
