"""Batch consumers (``platform.batches``): group commit with each key in order, exactly-once, a poison record alone."""

from __future__ import annotations

import uuid

from faststream.kafka import KafkaBroker
from sqlalchemy import func, insert, select

from leadline.events.envelope import Envelope
from leadline.events.topics import dlq_topic
from leadline.platform.batches import BatchConsumer, BatchDelivery, Reaction, subscribe_batches
from leadline.platform.kafka import DeadLetters, create_producer, membership
from leadline.platform.messaging_tables import INBOX
from tests.integration.platform.batch_consumer_process import Work
from tests.integration.platform.conftest import DELIVERIES, EFFECTS
from tests.integration.platform.test_outbox_and_inbox import run_process
from tests.kafka_helpers import new_topic, read_topic, session_timeout_ms, test_envelope, wait_until


class LostTheRace(Exception):
    """What a repository raises when another writer appended first."""


async def count(sessions, table) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def test_a_batch_consumer_killed_after_committing_but_before_its_offsets_applies_nothing_twice(
    infra, messaging_db
):
    url, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "batch-crash", partitions=1)
    first, then = [test_envelope("chat-9", n) for n in range(1, 6)], [test_envelope("chat-9", n) for n in range(6, 11)]
    group = f"batch-{uuid.uuid4().hex[:6]}"
    module = "tests.integration.platform.batch_consumer_process"

    await produce(infra, topic, first)
    assert (
        await run_process(module, url, infra.bootstrap_servers, topic, group, "5", crash_at="consumer.after_handle")
        == -9
    )
    committed, fetched = await count(sessions, EFFECTS), await count(sessions, DELIVERIES)
    assert committed >= 1
    await produce(infra, topic, then)
    assert await run_process(module, url, infra.bootstrap_servers, topic, group, "10") == 0

    async with sessions() as session:
        effects = (await session.scalars(select(EFFECTS.c.event_id))).all()
    assert sorted(effects) == sorted(e.event_id for e in first + then)
    assert await count(sessions, DELIVERIES) == fetched + 10, "the committed records came again, and changed nothing"


async def produce(infra, topic: str, envelopes: list[Envelope]) -> None:
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send(topic, envelope.to_bytes(), key=envelope.key)
        await producer.flush()
    finally:
        await producer.stop()


async def test_keys_are_decided_at_once_each_in_order_and_a_poison_record_is_dead_lettered_alone(infra, messaging_db):
    _, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "batch", partitions=2)
    group = f"batch-{uuid.uuid4().hex[:6]}"
    seen: dict[str, list[int]] = {}
    running = most_at_once = 0

    async def handle(work: Work, envelope: Envelope) -> None:
        nonlocal running, most_at_once
        if envelope.stream_id == "chat-1" and envelope.sequence == 3:
            raise ValueError("this one cannot be decided")
        running += 1
        most_at_once = max(most_at_once, running)
        await work.session.execute(insert(EFFECTS).values(event_id=envelope.event_id))
        running -= 1
        seen.setdefault(envelope.stream_id, []).append(envelope.sequence)

    consumer = BatchConsumer(
        group, {topic: Reaction(handle, inbox=group)}, sessions=sessions, unit_of_work=lambda: Work(sessions)
    )
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    dead_letters = DeadLetters(producer, group)
    broker = KafkaBroker(infra.bootstrap_servers)
    delivery = BatchDelivery(consumer, lambda: dead_letters, group=group, lanes=4, attempts=2)
    subscribe_batches(broker, delivery, fetch_max_wait_ms=10, **membership(session_timeout_ms()))
    await broker.start()
    try:
        for sequence in range(1, 11):
            for chat in range(8):
                envelope = test_envelope(f"chat-{chat}", sequence)
                await producer.send(topic, envelope.to_bytes(), key=envelope.key)
        await producer.flush()

        async def all_committed() -> bool:
            return await count(sessions, EFFECTS) >= 79

        await wait_until(all_committed, timeout_s=40)
        dead = await read_topic(infra.bootstrap_servers, dlq_topic(topic), expected=1)
    finally:
        await broker.stop()
        await producer.stop()
    assert seen == {f"chat-{c}": [n for n in range(1, 11) if (c, n) != (1, 3)] for c in range(8)}
    assert most_at_once > 1, "keys were decided at once, in lanes"
    assert [test_envelope_sequence(record.value) for record in dead] == [3]
    assert await count(sessions, EFFECTS) == 79


def test_envelope_sequence(value: bytes) -> int:
    return Envelope.from_bytes(value).sequence


test_envelope_sequence.__test__ = False


async def test_a_record_that_loses_a_race_is_decided_again_and_its_first_attempt_leaves_nothing(messaging_db):
    _, _, sessions = messaging_db
    attempts = 0

    async def handle(work: Work, envelope: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        await work.session.execute(insert(EFFECTS).values(event_id=envelope.event_id, note=f"attempt {attempts}"))
        if attempts == 1:
            raise LostTheRace

    consumer = BatchConsumer(
        "race",
        {"topic": Reaction(handle, inbox="race")},
        sessions=sessions,
        unit_of_work=lambda: Work(sessions),
        conflict=LostTheRace,
    )
    envelope = test_envelope("conversation-1", 1)
    async with sessions() as session, session.begin():
        await consumer.decide(session, "topic", envelope)
        again = await consumer.decide(session, "topic", envelope)  # a redelivery in the same batch
    async with sessions() as session:
        notes = (await session.scalars(select(EFFECTS.c.note))).all()
        inbox = await session.scalar(select(func.count()).select_from(INBOX).where(INBOX.c.consumer == "race"))
    assert (attempts, notes, inbox, again) == (2, ["attempt 2"], 1, [])
