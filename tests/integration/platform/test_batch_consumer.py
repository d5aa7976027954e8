"""Batch consumers (``platform.batches``): group commit with each key in order, exactly-once, a poison record alone."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from sqlalchemy import event, func, insert, select

from leadline.events.envelope import Envelope
from leadline.events.topics import dlq_topic
from leadline.platform.batches import BatchConsumer, BatchDelivery, Reaction, subscribe_batches
from leadline.platform.kafka import DeadLetters, create_producer, membership
from leadline.platform.messaging_tables import INBOX, OUTBOX
from tests.integration.platform.batch_consumer_process import Work
from tests.integration.platform.conftest import DELIVERIES, EFFECTS
from tests.integration.platform.test_outbox_and_inbox import run_process
from tests.kafka_helpers import new_topic, read_topic, session_timeout_ms, test_envelope, wait_until


class LostTheRace(Exception):
    """What a repository raises when another writer appended first."""


async def count(sessions, table) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def committed_order(sessions) -> dict[str, list[int]]:
    """Each stream's sequences in the order their effects were written (decisions rolled back left none)."""
    order: dict[str, list[int]] = {}
    async with sessions() as session:
        for note in await session.scalars(select(EFFECTS.c.note).order_by(EFFECTS.c.position)):
            stream, sequence = note.split()
            order.setdefault(stream, []).append(int(sequence))
    return order


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
    running = most_at_once = 0

    async def handle(work: Work, envelope: Envelope) -> None:
        nonlocal running, most_at_once
        if envelope.stream_id == "chat-1" and envelope.sequence == 3:
            raise ValueError("this one cannot be decided")
        running += 1
        most_at_once = max(most_at_once, running)
        note = f"{envelope.stream_id} {envelope.sequence}"
        await work.session.execute(insert(EFFECTS).values(event_id=envelope.event_id, note=note))
        running -= 1

    consumer = BatchConsumer(
        group, {topic: Reaction(handle, inbox=group)}, sessions=sessions, unit_of_work=lambda: Work(sessions)
    )
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    dead_letters = DeadLetters(producer, group)
    broker = KafkaBroker(infra.bootstrap_servers)
    delivery = BatchDelivery(  # a lane for every record: however the broker splits the 80, lanes run at once
        consumer, lambda: dead_letters, group=group, lanes=4, attempts=2, records_per_lane=1
    )
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
    assert await committed_order(sessions) == {
        f"chat-{c}": [n for n in range(1, 11) if (c, n) != (1, 3)] for c in range(8)
    }
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


@dataclass(frozen=True)
class Record:
    """The fields of a fetched record a ``BatchDelivery`` reads."""

    topic: str
    key: bytes
    value: bytes
    partition: int = 0
    offset: int = 0
    headers: tuple[tuple[str, bytes], ...] = ()


PUBLISHED_TYPE = "ingest.message.received"  # any type with a topic: the outbox names it


class Publishing(Work):
    """Publishes one event per event it handles, as an aggregate's news would be."""

    async def collect_new_events(self) -> list[Envelope]:
        assert self.causation is not None
        echo = test_envelope(f"echo-{self.causation.stream_id}", self.causation.sequence, type_=PUBLISHED_TYPE)
        return [echo]


async def test_a_lane_is_decided_with_no_savepoint_per_record_and_its_inbox_and_outbox_written_once(messaging_db):
    _, engine, sessions = messaging_db
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    async def handle(work: Work, envelope: Envelope) -> None:
        note = f"{envelope.stream_id} {envelope.sequence}"
        await work.session.execute(insert(EFFECTS).values(event_id=envelope.event_id, note=note))

    consumer = BatchConsumer(
        "lane", {"topic": Reaction(handle, inbox="lane")}, sessions=sessions, unit_of_work=lambda: Publishing(sessions)
    )
    delivery = BatchDelivery(consumer, lambda: None, group="lane", lanes=1, attempts=1)  # type: ignore[arg-type]
    envelopes = [test_envelope(f"chat-{chat}", sequence) for sequence in (1, 2, 3) for chat in (1, 2)]
    records = [Record("topic", e.key, e.to_bytes()) for e in envelopes]
    await delivery.work_batch([*records, records[0]])  # the first delivered twice in one batch
    assert await committed_order(sessions) == {"chat-1": [1, 2, 3], "chat-2": [1, 2, 3]}
    async with sessions() as session:
        staged = (await session.scalars(select(OUTBOX.c.key).order_by(OUTBOX.c.id))).all()
    assert staged == [f"echo-chat-{chat}" for chat in (1, 2) for _ in (1, 2, 3)]
    written = [s.split()[0] for s in statements if not s.startswith("select pg_catalog")]
    assert not any("SAVEPOINT" in s for s in statements)
    assert sum("INTO inbox" in s for s in statements) == sum("INTO outbox" in s for s in statements) == 1
    assert written.count("INSERT") == 6 + 2, written  # the effects, the inbox ids, the outbox rows


class DatabaseAway:
    """The consumer's sessions while the database refuses connections for ``seconds``, then the real ones."""

    def __init__(self, sessions, seconds: float) -> None:
        self.sessions, self.back_at, self.refused = sessions, time.monotonic() + seconds, 0

    def __call__(self):
        if time.monotonic() < self.back_at:
            self.refused += 1
            raise ConnectionRefusedError("the database is away")
        return self.sessions()


async def test_a_lane_whose_database_is_away_waits_for_it_then_decides_every_record_once(messaging_db):
    _, _, sessions = messaging_db

    async def handle(work: Work, envelope: Envelope) -> None:
        note = f"{envelope.stream_id} {envelope.sequence}"
        await work.session.execute(insert(EFFECTS).values(event_id=envelope.event_id, note=note))

    away = DatabaseAway(sessions, seconds=0.6)
    consumer = BatchConsumer(
        "away", {"topic": Reaction(handle, inbox="away")}, sessions=away, unit_of_work=lambda: Work(sessions)
    )
    delivery = BatchDelivery(consumer, lambda: None, group="away", lanes=1, attempts=1)  # type: ignore[arg-type]
    envelopes = [test_envelope("chat-away", sequence) for sequence in (1, 2, 3)]

    await delivery.work_batch([Record("topic", e.key, e.to_bytes()) for e in envelopes])

    assert await committed_order(sessions) == {"chat-away": [1, 2, 3]}
    # waits of 50, 100, 200, 400 ms: a handful of tries (each one transaction, then one savepoint each), not a busy loop
    assert 2 <= away.refused <= 12, away.refused
