"""The pool hands out only open connections, without a round trip per checkout: one the server closed is replaced."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text

from leadline.platform.db import connect_raw


async def test_a_connection_the_server_closed_is_replaced_at_checkout(messaging_db):
    url, engine, _ = messaging_db
    async with engine.connect() as connection:
        closed_by_server = (await connection.get_raw_connection()).driver_connection
        backend = await connection.scalar(text("SELECT pg_backend_pid()"))
    admin = await connect_raw(url)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
    finally:
        await admin.close()
    deadline = time.monotonic() + 5
    while not closed_by_server.is_closed():  # the event loop reads the server's goodbye
        assert time.monotonic() < deadline, "the pooled connection never saw the server close it"
        await asyncio.sleep(0.01)

    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT pg_backend_pid()")) != backend
