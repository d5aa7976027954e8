"""A record-at-a-time consumer commits a handled record's offset at once and a passed-by record's later
(``leadline.platform.offset_commits``), and FastStream's own lines go through the service's logging at DEBUG."""

from __future__ import annotations

import asyncio
import logging
import uuid
from types import SimpleNamespace

from aiokafka import TopicPartition

from leadline.events.envelope import Envelope
from leadline.platform import kafka_clients
from leadline.platform.kafka import DeadLetters, create_producer, subscribe_events
from leadline.platform.offset_commits import OffsetCommits
from tests.kafka_helpers import new_topic, session_timeout_ms, test_envelope, wait_until

WANTED = "test.thing.wanted"
OTHER = "test.thing.happened"


async def produced(infra, topic: str, types: list[str]) -> None:
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    try:
        for sequence, type_ in enumerate(types, start=1):
            envelope = test_envelope("stream", sequence, type_=type_)
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key, partition=0)
    finally:
        await producer.stop()


async def test_passed_by_offsets_wait_for_the_next_handled_record_or_their_time(infra):
    topic = await new_topic(infra.bootstrap_servers, "commits", partitions=1)
    await produced(infra, topic, [OTHER] * 6)
    partition = TopicPartition(topic, 0)
    consumer = kafka_clients.consumer(
        infra.kafka_settings, group_id=f"commits-{uuid.uuid4().hex[:6]}", enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        records = (await consumer.getmany(partition, timeout_ms=10_000))[partition]
        while len(records) < 6:
            records += (await consumer.getmany(partition, timeout_ms=10_000))[partition]
        commits = OffsetCommits(SimpleNamespace(consumer=consumer), passed_by_commit_s=600)

        commits.passed_by(records[0])
        commits.passed_by(records[1])
        await asyncio.sleep(0.3)
        assert await consumer.committed(partition) is None, "passed-by records alone are not committed at once"

        await commits.handled(records[2])
        assert await consumer.committed(partition) == 3, "a handled record commits itself and what came before"

        soon = OffsetCommits(SimpleNamespace(consumer=consumer), passed_by_commit_s=0.2)
        soon.passed_by(records[3])
        soon.passed_by(records[4])
        await wait_until(lambda: _committed_is(consumer, partition, 5), timeout_s=10)

        await commits.handled(records[5])
        assert await consumer.committed(partition) == 6
    finally:
        await consumer.stop()


async def _committed_is(consumer, partition: TopicPartition, offset: int) -> bool:
    return await consumer.committed(partition) == offset


async def test_a_subscriber_hands_over_only_its_types_and_commits_the_rest_soon_after(infra, caplog, capsys):
    topic = await new_topic(infra.bootstrap_servers, "types", partitions=1)
    group = f"types-{uuid.uuid4().hex[:6]}"
    await produced(infra, topic, [OTHER, WANTED, OTHER, OTHER, WANTED, OTHER, OTHER])
    handled: list[int] = []

    async def handle(envelope: Envelope) -> None:
        handled.append(envelope.sequence)

    producer = create_producer(infra.kafka_settings)
    await producer.start()
    broker = kafka_clients.broker(infra.kafka_settings)
    subscribe_events(
        broker,
        [topic],
        consumer=group,
        handle=handle,
        dead_letters=lambda: DeadLetters(producer, group),
        session_timeout_ms=session_timeout_ms(),
        types={WANTED},
    )
    caplog.set_level(logging.DEBUG, logger="leadline.kafka")
    await broker.start()
    reader = kafka_clients.consumer(infra.kafka_settings, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        await wait_until(lambda: asyncio.sleep(0, len(handled) == 2), timeout_s=30)
        assert handled == [2, 5]
        # the last two were passed by: they are committed without another handled record to carry them
        await wait_until(lambda: _committed_is(reader, TopicPartition(topic, 0), 7), timeout_s=10)
    finally:
        await reader.stop()
        await broker.stop()
        await producer.stop()
    lines = [record for record in caplog.records if record.name == "leadline.kafka"]
    assert any(record.getMessage() == "Received" and record.levelno == logging.DEBUG for record in lines)
    assert "Received" not in capsys.readouterr().out, "FastStream's own coloured handler on stdout is not used"
