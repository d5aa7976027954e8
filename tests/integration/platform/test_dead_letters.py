"""A poison event is dead-lettered with its error and the consumer goes on with the next one."""

from __future__ import annotations

import uuid

from leadline.events.envelope import Envelope
from leadline.platform.kafka import DeadLetters, create_producer, process_record
from leadline.platform.topic_admin import ensure_topics
from tests.kafka_helpers import new_topic, read_topic, test_envelope


async def test_a_failing_event_lands_in_the_dlq_with_its_error_and_the_next_event_is_handled(infra):
    topic = await new_topic(infra.bootstrap_servers, "poison")
    await ensure_topics(infra.kafka_settings, [(f"{topic}.dlq", 1)])
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    handled: list[uuid.UUID] = []
    attempts: list[uuid.UUID] = []

    async def handle(envelope: Envelope) -> None:
        attempts.append(envelope.event_id)
        if envelope.payload.get("poison"):
            raise ValueError("price must be positive")
        handled.append(envelope.event_id)

    poison, good = test_envelope("s", 1, poison=True), test_envelope("s", 2)
    try:
        for offset, envelope in enumerate((poison, good)):
            await process_record(
                "test-consumer",
                handle,
                DeadLetters(producer, "test-consumer"),
                topic=topic,
                key=envelope.key,
                value=envelope.to_bytes(),
                partition=0,
                offset=offset,
                attempts=3,
            )
    finally:
        await producer.stop()

    assert handled == [good.event_id]
    assert attempts.count(poison.event_id) == 3, "retried before giving up"
    [dead] = await read_topic(infra.bootstrap_servers, f"{topic}.dlq", expected=1)
    headers = {name: value.decode() for name, value in dead.headers}
    assert Envelope.from_bytes(dead.value).event_id == poison.event_id
    assert headers["dlq.error"] == "ValueError: price must be positive"
    assert headers["dlq.topic"] == topic and headers["dlq.consumer"] == "test-consumer"
    assert "Traceback" in headers["dlq.traceback"]


async def test_bytes_that_are_not_an_envelope_are_dead_lettered_not_crashed_on(infra):
    topic = await new_topic(infra.bootstrap_servers, "garbage")
    await ensure_topics(infra.kafka_settings, [(f"{topic}.dlq", 1)])
    producer = create_producer(infra.kafka_settings)
    await producer.start()

    async def handle(envelope: Envelope) -> None:  # never reached
        raise AssertionError("a malformed record must not reach the handler")

    try:
        await process_record(
            "c",
            handle,
            DeadLetters(producer, "c"),
            topic=topic,
            key=None,
            value=b"{not json",
            partition=0,
            offset=0,
            attempts=3,
        )
    finally:
        await producer.stop()
    [dead] = await read_topic(infra.bootstrap_servers, f"{topic}.dlq", expected=1)
    assert dead.value == b"{not json"
    assert dict(dead.headers)["dlq.error"].startswith(b"ValidationError")


async def test_an_unknown_event_type_is_skipped_but_a_newer_major_version_is_dead_lettered_for_redrive(infra):
    from leadline.events import CONVERSATION_CLAIMED, REGISTRY

    topic = await new_topic(infra.bootstrap_servers, "tolerance")
    await ensure_topics(infra.kafka_settings, [(f"{topic}.dlq", 1)])
    producer = create_producer(infra.kafka_settings)
    await producer.start()

    async def handle(envelope: Envelope) -> None:
        REGISTRY.decode(envelope)  # what every real handler does first

    unknown = test_envelope("s", 1, type_="billing.invoice.paid")
    too_new = test_envelope("s", 2, type_=CONVERSATION_CLAIMED).model_copy(update={"schema_version": 99})
    try:
        for offset, envelope in enumerate((unknown, too_new)):
            await process_record(
                "c",
                handle,
                DeadLetters(producer, "c"),
                topic=topic,
                key=envelope.key,
                value=envelope.to_bytes(),
                partition=0,
                offset=offset,
                attempts=3,
            )
    finally:
        await producer.stop()
    dead = await read_topic(infra.bootstrap_servers, f"{topic}.dlq", expected=1)
    assert [Envelope.from_bytes(record.value).event_id for record in dead] == [too_new.event_id]
    assert dict(dead[0].headers)["dlq.error"].startswith(b"UnsupportedSchemaVersion")
