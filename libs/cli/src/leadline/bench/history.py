"""History replay rate (events/s) over ≥ 200,000 events beside the raw consume rate of the same topics, same run."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

from aiokafka import TopicPartition

from leadline.events import (
    ConversationClaimedV1,
    ConversationFinishedV1,
    ConversationOpenedV1,
    LeadCreatedV1,
    MessageAppendedV1,
    new_envelope,
    topic_for,
)
from leadline.events.common import AgentRef
from leadline.events.content import TextContent
from leadline.history.bootstrap import TOPICS, rebuild
from leadline.history.entrypoints.settings import HistorySettings
from leadline.platform import kafka_clients
from leadline.platform.db import create_engine, session_factory
from leadline.platform.settings import KafkaSettings

from .infra import BenchInfra
from .report import Figure

MESSAGES_PER_CONVERSATION = 16  # + opened, lead created, claimed, finished = 20 events each
ANA = AgentRef(id="ana", name="Ana Souza")


def opening(n: int) -> tuple[uuid.UUID, str, list]:
    """A bench conversation's first events (opened, its lead created, claimed by Ana): its id, the customer, them."""
    conversation_id, lead_id = uuid.uuid4(), uuid.uuid4()
    wa_id = f"551197{n:07d}"
    payloads = [
        ConversationOpenedV1(
            conversation_id=conversation_id,
            phone_number_id="106540352242922",
            business_display_number="15550783881",
            customer_wa_id=wa_id,
            customer_phone=f"+{wa_id}",
            customer_display_name="Cliente",
            status="new",
            team_ids=("vendas",),
            opened_by="customer",
        ),
        LeadCreatedV1(
            lead_id=lead_id,
            name="Cliente",
            mobile=f"+{wa_id}",
            responsible_agent=ANA,
            team_id="vendas",
            conversation_id=conversation_id,
            idempotency_key=f"bench-{n}",
        ),
        ConversationClaimedV1(conversation_id=conversation_id, agent=ANA, team_id="vendas", lead_id=lead_id),
    ]
    return conversation_id, wa_id, payloads


def enveloped(payloads: list, at: datetime, account_id: str = "bench-motors") -> list:
    """The payloads as their streams' events, each stream numbered from 1."""
    sequences: dict[str, int] = {}
    envelopes = []
    for payload in payloads:
        stream = payload.stream_id(account_id)
        sequences[stream] = sequences.get(stream, 0) + 1
        envelopes.append(
            new_envelope(payload, account_id=account_id, stream_id=stream, sequence=sequences[stream], occurred_at=at)
        )
    return envelopes


def _conversation(n: int) -> list:
    at = datetime.now(UTC)
    conversation_id, _, payloads = opening(n)
    for m in range(MESSAGES_PER_CONVERSATION):
        inbound = m % 2 == 0
        payloads.append(
            MessageAppendedV1(
                conversation_id=conversation_id,
                message_id=uuid.uuid4(),
                wamid=f"wamid.bench{n}x{m}",
                direction="inbound" if inbound else "outbound",
                origin="customer" if inbound else "agent",
                sender=None if inbound else ANA,
                content=TextContent(body=f"mensagem {m} sobre o carro"),
                sent_at=at,
                status="unanswered" if inbound else "no_reply",
            )
        )
    payloads.append(ConversationFinishedV1(conversation_id=conversation_id, agent=ANA))
    return enveloped(payloads, at)


async def _publish(kafka: KafkaSettings, conversations: int) -> int:
    producer = kafka_clients.producer(kafka, acks="all", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    sent = 0
    try:
        for n in range(conversations):
            for envelope in _conversation(n):
                await producer.send(topic_for(envelope.type), envelope.to_bytes(), key=envelope.key)
                sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def _raw_consume_rate(kafka: KafkaSettings, expected: int) -> tuple[int, float]:
    """Every record of the history topics, read and dropped: the floor a replay cannot beat.

    Reads until the broker has nothing more (the embedded broker's listed end offsets stop short: see README).
    """
    consumer = kafka_clients.consumer(
        kafka, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=10, max_partition_fetch_bytes=4 * 1024 * 1024
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(t, p) for t in TOPICS for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        read, started, last = 0, time.perf_counter(), time.perf_counter()
        while read < expected or time.perf_counter() - last < 0.5:
            batch = await consumer.getmany(timeout_ms=100, max_records=5000)
            if batch:
                read += sum(len(records) for records in batch.values())
                last = time.perf_counter()
            elif time.perf_counter() - last > 10:
                break
        return read, read / (last - started)
    finally:
        await consumer.stop()


async def _replay_rate(infra: BenchInfra) -> tuple[int, float]:
    url = await infra.database_for("history")
    settings = HistorySettings(database_url=url, **infra.kafka.model_dump())
    engine = create_engine(url, pool_size=4)
    started = time.perf_counter()
    result = await rebuild(settings, session_factory(engine))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return result.total, result.total / elapsed


def run(infra: BenchInfra, *, conversations: int = 10_000) -> list[Figure]:
    published = asyncio.run(_publish(infra.kafka, conversations))
    raw_read, raw_rate = asyncio.run(_raw_consume_rate(infra.kafka, published))
    replayed, replay_rate = asyncio.run(_replay_rate(infra))
    return [
        # the topics also hold what earlier benchmarks of the run produced: every event on them is replayed
        Figure(
            f"history replay ({replayed:,} events, {published:,} from this benchmark)",
            replay_rate,
            "events/s",
            raw_rate,
            f"aiokafka consume ({raw_read:,})",
            "≥ 30 % of raw consume, every event",
            replay_rate >= 0.3 * raw_rate and replayed == raw_read and replayed >= published >= 200_000,
        ),
    ]
