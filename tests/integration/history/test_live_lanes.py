"""The live consumer applies a lane's events together at commit: still once each, in order, a bad one alone.

Records go straight to the consumer's batch path (``BatchDelivery.work_batch``, as a fetched batch would), on a
real database of this module's own (its rows never were on the topics, which the shared database's replay tests
check against); dead letters go to the real broker.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass

import pytest
from aiokafka.structs import ConsumerRecord
from sqlalchemy import select

from leadline.events import Envelope
from leadline.events.content import TextContent
from leadline.events.router import ConversationFinishedV1, ConversationOpenedV1, MessageAppendedV1
from leadline.events.topics import ROUTER_CONVERSATIONS, topic_for
from leadline.history.adapters.tables import timeline_entries
from leadline.history.bootstrap import MIGRATIONS, projection
from leadline.history.entrypoints.settings import HistorySettings
from leadline.history.entrypoints.subscribers import timeline_consumer
from leadline.history.service.projection import CONSUMER
from leadline.platform.batches import BatchDelivery
from leadline.platform.db import create_engine, session_factory
from leadline.platform.kafka import DEAD_LETTERED, DeadLetters
from leadline.platform.messaging_tables import STREAM_POSITIONS
from leadline.platform.migrations import upgrade_to_head

from .conftest import ANA, PHONE_NUMBER_ID, Feed, settings_for

_offsets = itertools.count()


@dataclass
class LaneDatabase:
    sessions: object
    settings: HistorySettings

    async def entries(self, conversation_id: uuid.UUID) -> list:
        statement = (
            select(timeline_entries)
            .where(timeline_entries.c.conversation_id == conversation_id)
            .order_by(timeline_entries.c.at, timeline_entries.c.entry_id)
        )
        async with self.sessions() as session:
            return (await session.execute(statement)).all()


@pytest.fixture(scope="module")
async def history(infra):
    url = await infra.new_database("history_lanes")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url, pool_size=2)
    yield LaneDatabase(session_factory(engine), settings_for(infra, url))
    await engine.dispose()


def records(*envelopes: Envelope) -> list[ConsumerRecord]:
    return [
        ConsumerRecord(topic_for(e.type), 0, next(_offsets), 0, 0, e.key, e.to_bytes(), None, 0, 0, ())
        for e in envelopes
    ]


def delivery(history, producer) -> BatchDelivery:
    return BatchDelivery(
        timeline_consumer(history.sessions, projection(history.settings)),
        dead_letters=lambda: DeadLetters(producer, "lanes-test"),
        group="lanes-test",
        lanes=2,
        attempts=1,
    )


def conversation(feed: Feed, *texts: str) -> tuple[uuid.UUID, list[Envelope]]:
    conversation_id, wa_id = feed.new_chat()
    opened = ConversationOpenedV1(
        conversation_id=conversation_id,
        phone_number_id=PHONE_NUMBER_ID,
        business_display_number="+55 11 4000-0001",
        customer_wa_id=wa_id,
        customer_phone=f"+{wa_id}",
        customer_display_name="João Pereira",
        status="new",
        team_ids=("vendas",),
        opened_by="customer",
        lead_id=uuid.uuid4(),
    )
    opened_first = feed.envelope(opened)  # before the messages' times: the timeline orders entries by time
    messages = [
        MessageAppendedV1(
            conversation_id=conversation_id,
            message_id=uuid.uuid4(),
            wamid=f"wamid.{uuid.uuid4().hex}",
            direction="inbound",
            origin="customer",
            content=TextContent(body=text),
            sent_at=feed.tick(),
            status="unanswered",
        )
        for text in texts
    ]
    finished = ConversationFinishedV1(conversation_id=conversation_id, agent=ANA)
    return conversation_id, [opened_first, *(feed.envelope(p) for p in (*messages, finished))]


async def test_a_lane_repeating_and_replaying_its_events_applies_each_once(history, feed, producer):
    conversation_id, (opened, first, second, finished) = conversation(feed, "Oi", "Tem o Compass?")
    replayed = first.model_copy(update={"event_id": uuid.uuid4()})  # a new id with an old sequence
    consumer = delivery(history, producer)

    await consumer.work_batch(records(opened, first, first, replayed, second, opened))
    await consumer.work_batch(records(second, finished, finished, first))  # redeliveries across batches too

    rows = await history.entries(conversation_id=conversation_id)
    assert [(r.kind, r.text) for r in rows] == [
        ("conversation_started", None),
        ("message", "Oi"),
        ("message", "Tem o Compass?"),
        ("conversation_finished", None),
    ]
    async with history.sessions() as session:
        position = await session.scalar(
            select(STREAM_POSITIONS.c.last_sequence).where(
                STREAM_POSITIONS.c.consumer == CONSUMER, STREAM_POSITIONS.c.stream_id == opened.stream_id
            )
        )
    assert position == finished.sequence


async def test_an_event_the_database_refuses_is_dead_lettered_and_the_rest_of_its_lane_applies(history, feed, producer):
    good_id, good = conversation(feed, "Bom dia")
    bad_id, bad = conversation(feed, "antes", "\x00 PostgreSQL não guarda este texto", "depois")
    dead_before = DEAD_LETTERED.labels("lanes-test", ROUTER_CONVERSATIONS)._value.get()

    await delivery(history, producer).work_batch(records(*good, *bad))

    assert [r.text for r in await history.entries(conversation_id=good_id) if r.kind == "message"] == ["Bom dia"]
    assert [r.text for r in await history.entries(conversation_id=bad_id) if r.kind == "message"] == [
        "antes",
        "depois",
    ]
    assert DEAD_LETTERED.labels("lanes-test", ROUTER_CONVERSATIONS)._value.get() == dead_before + 1
