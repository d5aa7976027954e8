"""A consumer in its own process (FastStream subscriber + inbox), so a test can kill it mid-way.

Each delivery is recorded in ``deliveries``; the effect (a row in ``effects``) is applied
only on the first delivery, in the same transaction as the inbox record.
"""

import asyncio
import sys

from faststream.kafka import KafkaBroker
from sqlalchemy import func, insert, select

from leadline.events.envelope import Envelope
from leadline.platform.db import create_engine, session_factory
from leadline.platform.inbox import first_delivery
from leadline.platform.kafka import DeadLetters, create_producer, subscribe_events
from leadline.platform.settings import KafkaSettings
from tests.integration.platform.conftest import DELIVERIES, EFFECTS
from tests.kafka_helpers import session_timeout_ms


async def main(database_url: str, bootstrap: str, topic: str, group: str, expected: int) -> None:
    engine = create_engine(database_url, pool_size=2)
    sessions = session_factory(engine)
    producer = create_producer(KafkaSettings(kafka_bootstrap_servers=bootstrap))
    await producer.start()
    dead_letters = DeadLetters(producer, group)

    async def handle(envelope: Envelope) -> None:
        async with sessions() as session, session.begin():
            await session.execute(insert(DELIVERIES).values(event_id=envelope.event_id))
        async with sessions() as session, session.begin():
            if await first_delivery(session, group, envelope.event_id):
                await session.execute(insert(EFFECTS).values(event_id=envelope.event_id))

    broker = KafkaBroker(bootstrap)
    subscribe_events(
        broker,
        [topic],
        consumer=group,
        handle=handle,
        dead_letters=lambda: dead_letters,
        session_timeout_ms=session_timeout_ms(),
    )
    await consume_until_effects(broker, sessions, expected, producer=producer, engine=engine)


async def consume_until_effects(broker: KafkaBroker, sessions, expected: int, *, producer, engine) -> None:
    """Run the broker's subscribers until ``expected`` effects are stored (unless a crash point kills the process
    first), then stop everything the process started."""
    await broker.start()
    try:
        while True:
            async with sessions() as session:
                if await session.scalar(select(func.count()).select_from(EFFECTS)) >= expected:
                    break
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()
        await producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
