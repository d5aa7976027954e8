"""A dead letter carries exactly the headers the AsyncAPI document promises its subscribers (docs/asyncapi.json)."""

from __future__ import annotations

from leadline.events.asyncapi import DEAD_LETTER_HEADERS
from leadline.platform.kafka import DeadLetters, create_producer
from leadline.platform.topic_admin import ensure_topics
from tests.kafka_helpers import new_topic, read_topic, test_envelope


async def test_a_dead_letters_headers_are_the_ones_the_asyncapi_document_declares(infra):
    topic = await new_topic(infra.bootstrap_servers, "declared")
    await ensure_topics(infra.kafka_settings, [(f"{topic}.dlq", 1)])
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    envelope = test_envelope("s", 1)
    try:
        await DeadLetters(producer, "documented-consumer").send(
            topic=topic, key=envelope.key, value=envelope.to_bytes(), partition=2, offset=41, error=ValueError("no")
        )
    finally:
        await producer.stop()

    [dead] = await read_topic(infra.bootstrap_servers, f"{topic}.dlq", expected=1)
    headers = {name: value.decode() for name, value in dead.headers}
    assert sorted(headers) == sorted(DEAD_LETTER_HEADERS["properties"]) == sorted(DEAD_LETTER_HEADERS["required"])
    assert (headers["dlq.partition"], headers["dlq.offset"], headers["dlq.topic"]) == ("2", "41", topic)
