"""A fresh database with the messaging tables plus a test ``effects`` table."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, Identity, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from leadline.platform.db import create_engine, session_factory
from leadline.platform.messaging_tables import MESSAGING_METADATA

TEST_METADATA = MetaData()
EFFECTS = Table(
    "effects",
    TEST_METADATA,
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("note", Text),
    Column("position", BigInteger, Identity()),  # the order effects were written in
)
DELIVERIES = Table("deliveries", TEST_METADATA, Column("event_id", UUID(as_uuid=True), nullable=False))


@pytest.fixture
async def messaging_db(infra):
    url = await infra.new_database("platform")
    engine = create_engine(url, pool_size=4)
    async with engine.begin() as connection:
        await connection.run_sync(MESSAGING_METADATA.create_all)
        await connection.run_sync(TEST_METADATA.create_all)
    yield url, engine, session_factory(engine)
    await engine.dispose()
