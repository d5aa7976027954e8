"""One send in its own process, so a test can kill it with LEADLINE_CRASH_AT mid-send."""

import asyncio
import random
import sys
from datetime import UTC, datetime

from leadline.events import REGISTRY
from leadline.events.envelope import Envelope
from leadline.ingest.adapters.graph_api import GraphApiClient
from leadline.ingest.adapters.unit_of_work import SqlUnitOfWork
from leadline.ingest.domain.send_throughput import SendThroughput
from leadline.ingest.service.sending import send_message
from leadline.platform.db import create_engine, session_factory

TOKEN = "test-access-token"


async def main(database_url: str, graph_url: str, envelope_json: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    graph = GraphApiClient(base_url=graph_url, version="v21.0", access_token=TOKEN)
    envelope = Envelope.from_bytes(envelope_json)
    try:
        await send_message(
            REGISTRY.decode(envelope),
            envelope,
            lambda: SqlUnitOfWork(session_factory(engine)),
            graph,
            SendThroughput(),
            lambda: datetime.now(UTC),
            asyncio.sleep,
            random.random,
        )
    finally:
        await graph.aclose()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
