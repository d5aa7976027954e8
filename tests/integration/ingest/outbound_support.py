"""Fixtures and helpers for ingest's outbound tests: a migrated database, the fake Graph API, fake time.

Kept out of ``conftest.py`` so the webhook tests in this folder stay independent; test
modules import the fixtures they use.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadline.events import REGISTRY, AgentRef, SendRequestedV2, TextContent
from leadline.events.common import WhatsAppUser
from leadline.events.envelope import Envelope, Payload
from leadline.fakegraph.app import create_app
from leadline.fakegraph.client import FakeGraphClient
from leadline.fakegraph.settings import FakeGraphSettings
from leadline.fakegraph.state import FakeGraphState
from leadline.ingest.adapters.graph_api import GraphApiClient
from leadline.ingest.adapters.unit_of_work import SqlUnitOfWork
from leadline.platform.db import create_engine, session_factory
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head

MIGRATIONS = "leadline.ingest:adapters/migrations"
TOKEN = "test-access-token"
VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
CUSTOMER = "5511987654321"
ACCOUNT = "acme"


@dataclass
class IngestDb:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)

    async def staged(self) -> list[Envelope]:
        """Every event in the outbox, oldest first."""
        async with self.sessions() as session:
            rows = (await session.scalars(select(OUTBOX.c.envelope).order_by(OUTBOX.c.id))).all()
        return [Envelope.from_bytes(row) for row in rows]

    async def staged_payloads(self) -> list[Payload]:
        return [REGISTRY.decode(envelope) for envelope in await self.staged()]

    async def rows(self, table: Any) -> list[Any]:
        async with self.sessions() as session:
            return list((await session.execute(select(table))).all())


@pytest.fixture
async def ingest_db(infra) -> AsyncIterator[IngestDb]:
    url = await infra.new_database("ingest_out")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url, pool_size=4)
    yield IngestDb(url, engine, session_factory(engine))
    await engine.dispose()


def fake_settings(**overrides: Any) -> FakeGraphSettings:
    values: dict[str, Any] = dict(access_token=TOKEN, auto_statuses=False, webhook_url="http://127.0.0.1:9/nobody")
    values.update(overrides)
    return FakeGraphSettings(**values)


@dataclass
class FakeMeta:
    """The fake Graph API in-process: ``graph`` is ingest's real client, ``control`` drives the fake."""

    app: FastAPI
    state: FakeGraphState
    graph: GraphApiClient
    control: FakeGraphClient


@pytest.fixture
async def meta() -> AsyncIterator[FakeMeta]:
    state = FakeGraphState()
    app = create_app(fake_settings(), state=state)
    transport = httpx.ASGITransport(app)
    graph = GraphApiClient(base_url="http://graph.test", version=VERSION, access_token=TOKEN, transport=transport)
    control = FakeGraphClient("http://graph.test", phone_number_id=PHONE_NUMBER_ID, transport=transport)
    yield FakeMeta(app, state, graph, control)
    await graph.aclose()
    await control.aclose()


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free local port for the block; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class FakeTime:
    """A wall clock that only moves when someone sleeps (or a test moves it).

    It starts a minute ahead of the real clock, so jobs the database stamps with ``now()`` are due.
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(minutes=1))
    slept: list[float] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def half() -> float:
    """Jitter for tests: always the middle of the range."""
    return 0.5


def send_request(
    content: Any = None,
    *,
    body: str | None = "*Ana Souza:* Olá! O carro ainda está disponível.",
    to: str = CUSTOMER,
    **fields: Any,
) -> tuple[SendRequestedV2, Envelope]:
    """A router send request and the envelope it travelled in."""
    request = SendRequestedV2(
        conversation_id=fields.pop("conversation_id", uuid.uuid4()),
        request_id=fields.pop("request_id", uuid.uuid4()),
        phone_number_id=fields.pop("phone_number_id", PHONE_NUMBER_ID),
        to=WhatsAppUser.of_chat_key(to),
        content=content or TextContent(body="Olá! O carro ainda está disponível."),
        agent=AgentRef(id="ana", name="Ana Souza"),
        body=body,
        **fields,
    )
    envelope = REGISTRY.encode(request, account_id=ACCOUNT, sequence=1, occurred_at=datetime.now(UTC))
    return request, envelope
