"""A relay in its own process, so a test can kill it with LEADLINE_CRASH_AT."""

import asyncio
import sys

from leadline.platform.db import create_engine, session_factory
from leadline.platform.kafka import create_producer
from leadline.platform.outbox import OutboxRelay
from leadline.platform.settings import KafkaSettings


async def main(database_url: str, bootstrap: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    producer = create_producer(KafkaSettings(kafka_bootstrap_servers=bootstrap))
    await producer.start()
    try:
        relay = OutboxRelay(session_factory(engine), producer)
        while await relay.relay_once():
            pass
    finally:
        await producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
