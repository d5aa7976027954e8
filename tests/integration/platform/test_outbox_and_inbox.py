"""Outbox out, inbox in: exactly-once effects over the real broker and database, crashes included."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from sqlalchemy import func, select

from leadline.events.envelope import Envelope
from leadline.platform.inbox import (
    STREAM_GAPS,
    StreamPosition,
    advance_stream,
    advance_streams,
    first_deliveries,
    first_delivery,
)
from leadline.platform.kafka import create_producer
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.outbox import RELAY_LOCK_ID, OutboxRelay, stage_events
from tests.conftest import REPO
from tests.integration.platform.conftest import DELIVERIES, EFFECTS
from tests.kafka_helpers import new_topic, read_topic, test_envelope


async def run_process(module: str, *args: str, crash_at: str | None = None, timeout_s: float = 60) -> int:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("LEADLINE_CRASH_AT", None)
    if crash_at:
        env["LEADLINE_CRASH_AT"] = crash_at
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", module, *args, cwd=REPO, env=env)
    return await asyncio.wait_for(process.wait(), timeout_s)


async def unpublished(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None)))


async def test_committed_events_are_published_in_stream_order_and_marked_sent(infra, messaging_db):
    _, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "outbox")
    envelopes = [test_envelope("conversation-1", n) for n in range(1, 31)]
    async with sessions() as session, session.begin():
        await stage_events(session, envelopes[:10], topic=topic)
    async with sessions() as session, session.begin():
        await stage_events(session, envelopes[10:], topic=topic)
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    try:
        assert await OutboxRelay(sessions, producer).relay_once() == 30
    finally:
        await producer.stop()
    records = await read_topic(infra.bootstrap_servers, topic, expected=30)
    assert [r.key for r in records] == [b"conversation-1"] * 30
    assert [Envelope.from_bytes(r.value).event_id for r in records] == [e.event_id for e in envelopes]
    assert await unpublished(sessions) == 0


async def test_a_relay_publishes_nothing_while_another_replica_leads_and_everything_once_it_may(infra, messaging_db):
    _, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "outbox")
    async with sessions() as session, session.begin():
        await stage_events(session, [test_envelope("s", n) for n in (1, 2, 3)], topic=topic)
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    relay = OutboxRelay(sessions, producer)
    try:
        async with sessions() as other_replica, other_replica.begin():
            assert await other_replica.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK_ID)))
            assert await relay.relay_once() == 0
            assert await unpublished(sessions) == 3
        assert await relay.relay_once() == 3  # the other replica's transaction ended: its lock with it
    finally:
        await producer.stop()
    assert len(await read_topic(infra.bootstrap_servers, topic, expected=3)) == 3
    assert await unpublished(sessions) == 0


async def test_events_of_a_rolled_back_transaction_never_leave(infra, messaging_db):
    _, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "outbox")
    async with sessions() as session:
        async with session.begin():
            await stage_events(session, [test_envelope("s", 1)], topic=topic)
            await session.rollback()
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    try:
        assert await OutboxRelay(sessions, producer).relay_once() == 0
    finally:
        await producer.stop()
    assert await read_topic(infra.bootstrap_servers, topic, expected=1, timeout_s=1.5) == []


async def test_a_relay_killed_after_publishing_republishes_and_the_inbox_applies_each_event_once(infra, messaging_db):
    url, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "outbox-crash")
    envelopes = [test_envelope(f"stream-{n % 3}", n // 3 + 1) for n in range(12)]
    async with sessions() as session, session.begin():
        await stage_events(session, envelopes, topic=topic)

    killed = await run_process(
        "tests.integration.platform.relay_process", url, infra.bootstrap_servers, crash_at="outbox.after_publish"
    )
    assert killed == -9, "the relay must die at the crash point"
    assert await unpublished(sessions) == 12, "nothing was marked: the crash came before the mark"
    assert await run_process("tests.integration.platform.relay_process", url, infra.bootstrap_servers) == 0
    assert await unpublished(sessions) == 0

    records = await read_topic(infra.bootstrap_servers, topic, expected=24)
    assert len(records) == 24, "at-least-once: the killed batch went out twice"
    group = f"inbox-{uuid.uuid4().hex[:6]}"
    applied = 0
    for record in records:
        event_id = Envelope.from_bytes(record.value).event_id
        async with sessions() as session, session.begin():
            if await first_delivery(session, group, event_id):
                applied += 1
    assert applied == 12


async def test_a_consumer_killed_after_its_effect_but_before_its_offset_commit_applies_nothing_twice(
    infra, messaging_db
):
    url, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "inbox-crash", partitions=1)
    envelopes = [test_envelope("conversation-9", n) for n in range(1, 6)]
    async with sessions() as session, session.begin():
        await stage_events(session, envelopes, topic=topic)
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    try:
        await OutboxRelay(sessions, producer).relay_once()
    finally:
        await producer.stop()
    group = f"consumer-{uuid.uuid4().hex[:6]}"
    args = (url, infra.bootstrap_servers, topic, group, "5")

    assert (
        await run_process("tests.integration.platform.consumer_process", *args, crash_at="consumer.after_handle") == -9
    )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(EFFECTS)) == 1
    assert await run_process("tests.integration.platform.consumer_process", *args) == 0

    async with sessions() as session:
        effects = (await session.scalars(select(EFFECTS.c.event_id))).all()
        deliveries = await session.scalar(select(func.count()).select_from(DELIVERIES))
    assert sorted(effects) == sorted(e.event_id for e in envelopes)
    assert deliveries == 6, "the first event was delivered again after the crash, and ignored"


async def test_the_inbox_forgets_an_event_whose_effect_rolled_back(messaging_db):
    _, _, sessions = messaging_db
    event_id = uuid.uuid4()
    async with sessions() as session:
        async with session.begin():
            assert await first_delivery(session, "c", event_id)
            await session.rollback()
    async with sessions() as session, session.begin():
        assert await first_delivery(session, "c", event_id)
    async with sessions() as session, session.begin():
        assert not await first_delivery(session, "c", event_id)


async def test_stream_positions_skip_replays_and_report_gaps(messaging_db):
    _, _, sessions = messaging_db
    async with sessions() as session, session.begin():
        assert await advance_stream(session, "p", "lead-1", 1) is StreamPosition.NEXT
        assert await advance_stream(session, "p", "lead-1", 2) is StreamPosition.NEXT
        assert await advance_stream(session, "p", "lead-1", 2) is StreamPosition.ALREADY_APPLIED
        assert await advance_stream(session, "p", "lead-1", 5) is StreamPosition.AFTER_GAP
        assert await advance_stream(session, "p", "lead-2", 1) is StreamPosition.NEXT


async def test_a_batch_of_deliveries_records_each_id_once_and_names_only_the_new_ones(messaging_db):
    _, _, sessions = messaging_db
    old, new = uuid.uuid4(), uuid.uuid4()
    async with sessions() as session, session.begin():
        assert await first_deliveries(session, [("c", old)]) == {("c", old)}
    async with sessions() as session, session.begin():
        assert await first_deliveries(session, [("c", old), ("c", new), ("c", new), ("d", old)]) == {
            ("c", new),
            ("d", old),
        }
        assert await first_deliveries(session, []) == set()
    async with sessions() as session, session.begin():
        assert not await first_delivery(session, "c", new)  # one rule: the single form sees what the batch recorded


async def test_a_batch_of_positions_skips_replays_reports_gaps_and_only_moves_forward(messaging_db):
    _, _, sessions = messaging_db
    gaps = STREAM_GAPS.labels("q")._value.get()
    async with sessions() as session, session.begin():
        assert await advance_stream(session, "q", "lead-1", 2) is StreamPosition.AFTER_GAP
    gaps += 1
    batch = [("lead-1", 3), ("lead-2", 1), ("lead-1", 3), ("lead-1", 1), ("lead-2", 4), ("lead-1", 4)]
    async with sessions() as session, session.begin():
        new = await advance_streams(session, "q", [test_envelope(stream, sequence) for stream, sequence in batch])
    assert new == [True, True, False, False, True, True]
    assert STREAM_GAPS.labels("q")._value.get() == gaps + 1  # lead-2: 1 then 4
    async with sessions() as session, session.begin():
        assert await advance_stream(session, "q", "lead-1", 4) is StreamPosition.ALREADY_APPLIED
        assert await advance_stream(session, "q", "lead-2", 5) is StreamPosition.NEXT
        assert await advance_streams(session, "q", [test_envelope("lead-2", 5), test_envelope("lead-3", 1)]) == [
            False,
            True,
        ]
