"""The ingest service running in-process on the real broker and database, for one test module.

Module-scoped, not session-scoped: a running ingest consumes every send request on the shared topic, and
its failing sends would otherwise change other services' projections while their tests compare them.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from leadline.fakegraph.webhooks import signed_request
from leadline.ingest.bootstrap import MIGRATIONS, build
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.platform.db import create_engine
from leadline.platform.migrations import upgrade_to_head
from tests.integration.ingest.outbound_support import ingest_db, meta  # noqa: F401 - fixtures of the outbound tests

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"


@dataclass
class RunningIngest:
    client: httpx.AsyncClient
    engine: AsyncEngine
    database_url: str
    settings: IngestSettings

    async def post_signed(self, payload: dict, *, secret: str = APP_SECRET) -> httpx.Response:
        body, headers = signed_request(payload, secret)
        return await self.client.post("/webhooks/whatsapp", content=body, headers=headers)

    async def count(self, table) -> int:
        async with self.engine.connect() as connection:
            return await connection.scalar(select(func.count()).select_from(table))


def ingest_settings(infra, database_url: str, **overrides) -> IngestSettings:
    values = dict(
        database_url=database_url,
        kafka_bootstrap_servers=infra.bootstrap_servers,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        kafka_group_prefix=f"t{uuid.uuid4().hex[:6]}-",
    )  # each test app its own consumer groups
    return IngestSettings(**(values | overrides))


@pytest.fixture(scope="module")
async def ingest(infra):
    url = await infra.new_database("ingest")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = ingest_settings(infra, url)
    app = build(settings)
    engine = create_engine(url, pool_size=2)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:
            yield RunningIngest(client, engine, url, settings)
    await engine.dispose()
