"""A service's outbox relay is woken by commits (NOTIFY), not by its poll, even after its listening connection died."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text

from leadline.platform.db import create_engine, session_factory
from leadline.platform.messaging_tables import OUTBOX_NOTIFY_CHANNEL
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.outbox import insert_outbox_rows, stage_events
from leadline.platform.runtime import ServiceRuntime
from leadline.platform.settings import ServiceSettings
from tests.kafka_helpers import new_topic, read_topic, test_envelope, wait_until

POLL_S = 60.0  # far longer than the test: only a wake-up can publish in time


async def commit_one(sessions, topic: str, sequence: int) -> None:
    async with sessions() as session, session.begin():
        await stage_events(session, [test_envelope("chat-1", sequence)], topic=topic)


async def test_a_commit_is_published_at_once_even_after_the_listening_connection_was_dropped(infra, messaging_db):
    url, engine, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "wakeup", partitions=1)
    runtime = ServiceRuntime(
        ServiceSettings(
            service_name="wakeup-test",
            database_url=url,
            kafka_bootstrap_servers=infra.bootstrap_servers,
            outbox_poll_interval_s=POLL_S,
        )
    )
    await runtime.start()
    try:

        async def listening() -> bool:
            async with engine.connect() as connection:
                return bool(await connection.scalar(LISTENERS))

        await wait_until(listening, timeout_s=10)
        await wait_until(runtime.kafka_ready, timeout_s=10)
        started = time.monotonic()
        await commit_one(sessions, topic, 1)
        assert len(await read_topic(infra.bootstrap_servers, topic, expected=1, timeout_s=10)) == 1

        async with engine.connect() as connection:
            assert await connection.scalar(TERMINATE_LISTENERS) == 1
        await wait_until(listening, timeout_s=10)  # it listens again
        await commit_one(sessions, topic, 2)
        assert len(await read_topic(infra.bootstrap_servers, topic, expected=2, timeout_s=10)) == 2
        assert time.monotonic() - started < POLL_S / 2
    finally:
        await runtime.stop()


LISTENERS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' "
    "AND state = 'idle'"
)
TERMINATE_LISTENERS = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
)


async def test_only_a_transaction_that_wrote_outbox_rows_wakes_the_relays_once(messaging_db):
    """Most of what leads and history consume publishes nothing: such a lane commits without a NOTIFY, so no relay
    runs a transaction to look for nothing. The outbox's trigger sends it, once per transaction however many inserts,
    and the writer sends no statement of its own."""
    _, engine, sessions = messaging_db
    woken: asyncio.Queue[str] = asyncio.Queue()
    async with engine.connect() as connection:
        listener = await connection.get_raw_connection()
        await listener.driver_connection.add_listener(OUTBOX_NOTIFY_CHANNEL, lambda *args: woken.put_nowait(args[3]))

        async with sessions() as session, session.begin():
            await insert_outbox_rows(session, [])
            await session.execute(text("SELECT 1"))
        async with sessions() as session, session.begin():
            await stage_events(session, [test_envelope("chat-1", 1)], topic="wakeup")
            await stage_events(session, [test_envelope("chat-1", 2), test_envelope("chat-1", 3)], topic="wakeup")
        async with sessions() as session, session.begin():
            await stage_events(session, [test_envelope("chat-1", 4)], topic="wakeup")
            await session.rollback()  # nothing committed: nobody is woken
        async with sessions() as session, session.begin():
            await session.execute(
                text(f"NOTIFY {OUTBOX_NOTIFY_CHANNEL}, 'end'")
            )  # notifications arrive in commit order

        payloads = []
        while not payloads or payloads[-1] != "end":
            payloads.append(await asyncio.wait_for(woken.get(), timeout=5))
        assert payloads == ["", "end"]


async def test_every_service_database_wakes_its_relays_from_the_outbox(infra):
    """The trigger is part of each service's migrations, not only of the test metadata above."""
    for service in ("ingest", "router", "leads", "history"):
        url = await infra.new_database(service)
        await asyncio.to_thread(upgrade_to_head, f"leadline.{service}:adapters/migrations", url)
        engine = create_engine(url, pool_size=1)
        try:
            async with engine.connect() as connection:
                listener = await connection.get_raw_connection()
                woken: asyncio.Queue[str] = asyncio.Queue()
                await listener.driver_connection.add_listener(
                    OUTBOX_NOTIFY_CHANNEL, lambda *a, q=woken: q.put_nowait(a[3])
                )
                async with session_factory(engine)() as session, session.begin():
                    await stage_events(session, [test_envelope("chat-1", 1)], topic="wakeup")
                assert await asyncio.wait_for(woken.get(), timeout=5) == "", service
        finally:
            await engine.dispose()
