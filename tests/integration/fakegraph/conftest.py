"""Fixtures running the fake in-process and a tiny webhook receiver on a real uvicorn server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Request, Response

from leadline.fakegraph.app import create_app
from leadline.fakegraph.settings import FakeGraphSettings
from leadline.fakegraph.state import FakeGraphState

TOKEN = "test-access-token"
SECRET = "test-app-secret"
PHONE_NUMBER_ID = "106540352242922"


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free local port for the duration of the block; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Stands in for leadline ingest: records every webhook and answers ``status_code``."""

    url: str = ""
    received: list[ReceivedWebhook] = field(default_factory=list)
    status_code: int = 200


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    record = Receiver()
    app = FastAPI()

    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request) -> Response:
        record.received.append(ReceivedWebhook(dict(request.headers), await request.body()))
        return Response(status_code=record.status_code)

    async with serving(app) as url:
        record.url = f"{url}/webhooks/whatsapp"
        yield record


def make_settings(**overrides) -> FakeGraphSettings:
    values = dict(
        access_token=TOKEN,
        app_secret=SECRET,
        auto_statuses=False,
        status_delay_seconds=0.0,
        webhook_url="http://127.0.0.1:9/nobody-listens",
    )
    values.update(overrides)
    return FakeGraphSettings(**values)


@pytest.fixture
def state() -> FakeGraphState:
    return FakeGraphState()


@pytest_asyncio.fixture
async def fake(state: FakeGraphState) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to a fake (in-process) whose webhooks go nowhere."""
    app = create_app(make_settings(), state=state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://fake.test") as client:
        yield client


@pytest_asyncio.fixture
async def fake_to_receiver(receiver: Receiver, state: FakeGraphState) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to a fake (in-process) whose webhooks go to ``receiver`` over real HTTP."""
    app = create_app(make_settings(webhook_url=receiver.url), state=state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://fake.test") as client:
        yield client


@pytest.fixture
def auth() -> dict[str, str]:
    """Headers carrying the fake's access token."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def messages_path() -> str:
    return f"/v21.0/{PHONE_NUMBER_ID}/messages"


@pytest.fixture
def fake_settings():
    """Build settings like the other fixtures do, with overrides (e.g. ``auto_statuses=True``)."""
    return make_settings


@pytest_asyncio.fixture
async def served_fake(receiver: Receiver) -> AsyncIterator[str]:
    """A fake on a real uvicorn port (webhooks to ``receiver``, statuses on); yields its base URL."""
    app = create_app(make_settings(webhook_url=receiver.url, auto_statuses=True))
    async with serving(app) as url:
        yield url
