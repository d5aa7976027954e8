"""A batch consumer in its own process (``platform.batches`` + inbox), so a test can kill it mid-way.

Each record fetched is recorded in ``deliveries`` (its own transaction); the effect (a row in ``effects``) is applied
in the batch's transaction with the inbox record, so a redelivered batch changes nothing.
"""

import asyncio
import sys

from faststream.kafka import KafkaBroker
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events.envelope import Envelope
from leadline.platform.batches import BatchConsumer, BatchDelivery, Reaction, subscribe_batches
from leadline.platform.db import create_engine, session_factory
from leadline.platform.kafka import DeadLetters, create_producer, membership
from leadline.platform.settings import KafkaSettings
from leadline.platform.unit_of_work import SessionUnitOfWork
from tests.integration.platform.conftest import DELIVERIES, EFFECTS
from tests.integration.platform.consumer_process import consume_until_effects
from tests.kafka_helpers import session_timeout_ms


class Work(SessionUnitOfWork):
    def bind(self, session: AsyncSession) -> None:
        pass


def effects_consumer(sessions, group: str, topic: str) -> BatchConsumer:
    async def handle(work: Work, envelope: Envelope) -> None:
        await work.session.execute(insert(EFFECTS).values(event_id=envelope.event_id))

    return BatchConsumer(
        group, {topic: Reaction(handle, inbox=group)}, sessions=sessions, unit_of_work=lambda: Work(sessions)
    )


async def main(database_url: str, bootstrap: str, topic: str, group: str, expected: int) -> None:
    engine = create_engine(database_url, pool_size=4)
    sessions = session_factory(engine)
    producer = create_producer(KafkaSettings(kafka_bootstrap_servers=bootstrap))
    await producer.start()
    dead_letters = DeadLetters(producer, group)
    broker = KafkaBroker(bootstrap)
    delivery = BatchDelivery(
        effects_consumer(sessions, group, topic), lambda: dead_letters, group=group, lanes=2, attempts=2
    )
    decide_batch = delivery.work_batch

    async def counting_deliveries(records) -> None:
        async with sessions() as session, session.begin():
            for record in records:
                await session.execute(insert(DELIVERIES).values(event_id=Envelope.from_bytes(record.value).event_id))
        await decide_batch(records)

    delivery.work_batch = counting_deliveries
    subscribe_batches(broker, delivery, fetch_max_wait_ms=10, **membership(session_timeout_ms()))
    await consume_until_effects(broker, sessions, expected, producer=producer, engine=engine)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
