"""``leadline dlq``: a poison event is listed with its error, redriven after the fix, and lands exactly once."""

from __future__ import annotations

import uuid

import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy import func, select

from leadline.events.envelope import Envelope
from leadline.events.topics import LEADS_LEADS
from leadline.platform.db import create_engine, session_factory
from leadline.platform.inbox import first_delivery
from leadline.platform.kafka import DeadLetters, create_producer, subscribe_events
from leadline.platform.messaging_tables import INBOX, MESSAGING_METADATA
from tests.kafka_helpers import session_timeout_ms, test_envelope, wait_until
from tests.leadline_cli import leadline

MARK = f"dlq-test-{uuid.uuid4().hex[:8]}"


class PricingConsumer:
    """A consumer with a bug: events marked poison fail until ``fixed``; effects are counted through the inbox."""

    def __init__(self, sessions, group: str, producer) -> None:
        self.sessions, self.group, self.producer, self.fixed = sessions, group, producer, False

    async def handle(self, envelope: Envelope) -> None:
        if envelope.payload.get("mark") != MARK:
            return  # other tests' events on the shared topic
        if envelope.payload.get("poison") and not self.fixed:
            raise ValueError("price must be positive")
        async with self.sessions() as session, session.begin():
            await first_delivery(session, self.group, envelope.event_id)

    async def applied(self, event_id: uuid.UUID) -> int:
        async with self.sessions() as session:
            return await session.scalar(
                select(func.count())
                .select_from(INBOX)
                .where(INBOX.c.consumer == self.group, INBOX.c.event_id == event_id)
            )


@pytest.fixture(scope="module")
async def pricing(infra):
    url = await infra.new_database("dlq")
    engine = create_engine(url, pool_size=2)
    async with engine.begin() as connection:
        await connection.run_sync(MESSAGING_METADATA.create_all)
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    group = f"t{uuid.uuid4().hex[:6]}-pricing"
    consumer = PricingConsumer(session_factory(engine), group, producer)
    broker = KafkaBroker(infra.bootstrap_servers)
    subscribe_events(
        broker,
        [LEADS_LEADS],
        consumer=group,
        handle=consumer.handle,
        dead_letters=lambda: DeadLetters(producer, group),
        attempts=2,
        session_timeout_ms=session_timeout_ms(),
    )
    await broker.start()
    yield consumer
    await broker.stop()
    await producer.stop()
    await engine.dispose()


def _args(infra) -> list[str]:
    return ["--bootstrap-servers", infra.bootstrap_servers]


async def test_a_poison_event_is_listed_shown_redriven_after_the_fix_and_lands_once(pricing, infra):
    stream = f"lead-{uuid.uuid4()}"
    poison = test_envelope(stream, 1, mark=MARK, poison=True)
    good = test_envelope(stream, 2, mark=MARK)
    for envelope in (poison, good):
        await pricing.producer.send_and_wait(LEADS_LEADS, envelope.to_bytes(), key=envelope.key)
    await wait_until(lambda: pricing.applied(good.event_id), timeout_s=30)  # the consumer went on past the poison

    async def listed():
        result = await leadline("dlq", "list", "--topic", LEADS_LEADS, *_args(infra))
        return result if str(poison.event_id) in result.stdout else None

    listing = await wait_until(listed, timeout_s=30, interval_s=0.5)
    assert "price must be positive" in listing.stdout and pricing.group in listing.stdout

    shown = await leadline("dlq", "show", str(poison.event_id), *_args(infra))
    assert shown.code == 0, shown.output
    assert "waiting" in shown.stdout and "ValueError: price must be positive" in shown.stdout
    assert f"from {LEADS_LEADS}" in shown.stdout and "Traceback" in shown.stdout

    pricing.fixed = True  # the fix is deployed
    redriven = await leadline("dlq", "redrive", str(poison.event_id), "--reason", "fix 1.2.3 deployed", *_args(infra))
    assert redriven.code == 0, redriven.output
    await wait_until(lambda: pricing.applied(poison.event_id), timeout_s=30)

    again = await leadline("dlq", "redrive", str(poison.event_id), *_args(infra))
    assert again.code == 1 and "already decided" in again.stderr
    after = await leadline("dlq", "list", "--topic", LEADS_LEADS, *_args(infra))
    assert str(poison.event_id) not in after.stdout, "a redriven letter no longer waits"
    assert await pricing.applied(poison.event_id) == 1 and await pricing.applied(good.event_id) == 1


async def test_a_dropped_letter_keeps_its_reason_and_a_drop_without_reason_is_refused(pricing, infra):
    poison = test_envelope(f"lead-{uuid.uuid4()}", 1, mark=MARK, poison=True)
    pricing.fixed = False
    await pricing.producer.send_and_wait(LEADS_LEADS, poison.to_bytes(), key=poison.key)

    async def letter_listed():
        result = await leadline("dlq", "list", *_args(infra))
        return str(poison.event_id) in result.stdout

    await wait_until(letter_listed, timeout_s=30, interval_s=0.5)

    no_reason = await leadline("dlq", "drop", str(poison.event_id), "--reason", " ", *_args(infra))
    assert no_reason.code == 2 and "needs a --reason" in no_reason.stderr
    dropped = await leadline("dlq", "drop", str(poison.event_id), "--reason", "test order, never real", *_args(infra))
    assert dropped.code == 0, dropped.output
    shown = await leadline("dlq", "show", str(poison.event_id), *_args(infra))
    assert "dropped" in shown.stdout and "drop by" in shown.stdout and "test order, never real" in shown.stdout
    assert await pricing.applied(poison.event_id) == 0


async def test_naming_a_letter_that_does_not_exist_or_a_topic_that_is_not_a_dlq_fails_in_one_line(infra):
    missing = await leadline("dlq", "show", str(uuid.uuid4()), *_args(infra))
    assert missing.code == 1 and "no dead letter" in missing.stderr and "Traceback" not in missing.output
    wrong = await leadline("dlq", "list", "--topic", "billing.invoices", *_args(infra))
    assert wrong.code == 2 and "unknown dead-letter topic" in wrong.stderr
    neither = await leadline("dlq", "redrive", *_args(infra))
    assert neither.code == 2 and "or pass --all" in neither.stderr
