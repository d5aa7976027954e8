"""History's live projection alone: process CPU per event through the consumer's batch path (no broker).

Fetched batches of real records (the whole stack's mix: per customer message ingest's ``message_received``, the
router's ``message_appended`` and a ``status_changed``; per conversation its opening, lead, claim and finish) go
through history's own ``BatchConsumer`` and the platform's ``BatchDelivery`` (lanes, transactions, savepoints)
into an embedded PostgreSQL. ``time.process_time()`` around the batches: this process's CPU, not PostgreSQL's.

    python -m leadline.bench.history_live --conversations 300 --messages 10 [--batch 12]

``--batch``: records per fetched batch. 500 is the subscriber's most, what 1,000 msg/s brings; at 100 msg/s the
whole stack's history fetched ~12 records at a time, and a lane then holds one or two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from sqlalchemy import func, select

from leadline.bench.infra import migrated_database
from leadline.events import REGISTRY, Envelope, topic_for
from leadline.events.content import TextContent
from leadline.events.envelope import Payload
from leadline.events.router import (
    ConversationFinishedV1,
    ConversationStatusChangedV1,
    MessageAppendedV1,
)
from leadline.history.adapters.tables import timeline_entries
from leadline.history.bootstrap import projection
from leadline.history.entrypoints.settings import HistorySettings
from leadline.history.entrypoints.subscribers import timeline_consumer
from leadline.platform.batches import BatchDelivery
from leadline.platform.db import create_engine, session_factory
from leadline.platform.embedded import EmbeddedPostgres

from .history import ANA, enveloped, opening

ACCOUNT = "bench-motors"
BATCH = 500  # the subscriber's max_records
AT_ONCE = 100  # conversations in flight: a fetched batch holds many keys, as live


def _received(wamid: str, wa_id: str, at: datetime) -> Payload:
    """Ingest's ``message_received`` as the webhook of a text message gives it (history ignores it)."""
    return REGISTRY.model("ingest.message.received", 1).model_validate(
        {
            "phone_number_id": "106540352242922",
            "customer_wa_id": wa_id,
            "wamid": wamid,
            "display_phone_number": "+55 11 3456-7890",
            "customer_profile_name": "Cliente",
            "customer_display_name": "Cliente",
            "sent_at": at.isoformat(),
            "content": {"kind": "text", "body": "Ainda está disponível?", "preview_url": False},
        }
    )


def conversation(n: int, messages: int, at: datetime) -> list[Envelope]:
    """One customer's conversation as history receives it, in its streams' order."""
    conversation_id, wa_id, payloads = opening(n)
    for m in range(messages):
        wamid = f"wamid.live{n}x{m}"
        payloads += [
            _received(wamid, wa_id, at),
            MessageAppendedV1(
                conversation_id=conversation_id,
                message_id=uuid.uuid4(),
                wamid=wamid,
                direction="inbound",
                origin="customer",
                content=TextContent(body=f"mensagem {m} sobre o carro"),
                sent_at=at,
                status="unanswered",
            ),
            ConversationStatusChangedV1(
                conversation_id=conversation_id, from_status="no_reply", to_status="unanswered"
            ),
        ]
    payloads.append(ConversationFinishedV1(conversation_id=conversation_id, agent=ANA))
    return enveloped(payloads, at, ACCOUNT)


def records(conversations: int, messages: int) -> Iterator[ConsumerRecord]:
    """``AT_ONCE`` conversations interleaved at a time, each in order; offsets per topic."""
    at, offsets = datetime.now(UTC) - timedelta(days=1), dict[str, int]()
    for first in range(0, conversations, AT_ONCE):
        streams = [conversation(n, messages, at) for n in range(first, min(first + AT_ONCE, conversations))]
        for step in range(max(len(s) for s in streams)):
            for envelope in (s[step] for s in streams if step < len(s)):
                topic = topic_for(envelope.type)
                offsets[topic] = offsets.get(topic, -1) + 1
                value = envelope.to_bytes()
                yield ConsumerRecord(topic, 0, offsets[topic], 0, 0, envelope.key, value, None, 0, len(value), ())


async def measure(url: str, conversations: int, messages: int, batch: int = BATCH) -> dict[str, float]:
    settings = HistorySettings(database_url=url)
    engine = create_engine(url, pool_size=settings.database_pool_size)
    sessions = session_factory(engine)
    delivery = BatchDelivery(
        timeline_consumer(sessions, projection(settings)),
        dead_letters=lambda: None,  # type: ignore[arg-type,return-value]  # nothing fails in this run
        group="bench-history-live",
        lanes=settings.database_pool_size,
        attempts=settings.kafka_consumer_retries,
    )
    fed = list(records(conversations, messages))
    started_cpu, started = time.process_time(), time.perf_counter()
    for first in range(0, len(fed), batch):
        await delivery.work_batch(fed[first : first + batch])
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    async with sessions() as session:
        entries = await session.scalar(select(func.count()).select_from(timeline_entries))
    await engine.dispose()
    expected = conversations * (messages + 3)  # started, claim, messages, finished
    assert entries == expected, f"{entries} timeline entries, expected {expected}"
    return {
        "events": len(fed),
        "cpu_ms_per_event": 1000 * cpu / len(fed),
        "cpu_ms_per_customer_message": 1000 * cpu / (conversations * messages),
        "events_per_s_wall": len(fed) / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--messages", type=int, default=10, help="customer messages per conversation")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=BATCH, help="records per fetched batch")
    parser.add_argument("--var-dir", type=Path, default=None, help="where the embedded PostgreSQL lives")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        postgres = EmbeddedPostgres((arguments.var_dir or Path(scratch)) / "postgres").start()
        try:
            runs = []
            for _ in range(arguments.runs):
                url = asyncio.run(migrated_database(postgres.url, "history"))
                runs.append(asyncio.run(measure(url, arguments.conversations, arguments.messages, arguments.batch)))
                print(json.dumps(runs[-1]), flush=True)
            median = sorted(runs, key=lambda r: r["cpu_ms_per_event"])[len(runs) // 2]
            print("median:", json.dumps(median))
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
