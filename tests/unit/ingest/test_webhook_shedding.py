"""The shedding middleware on its own: which requests count, slots given back however a request ends, one log line
per ``LOG_EVERY_S`` while shedding."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from leadline.ingest.entrypoints.shedding import LOG_EVERY_S, WebhookShedding


class HeldApp:
    """An inner app whose requests stay inside until released (or fail, when told to)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self, scope, receive, send) -> None:
        await self.release.wait()
        if self.fail:
            raise RuntimeError("the store failed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def call(app, method: str = "POST", path: str = "/webhooks/whatsapp") -> int:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
    return sent[0]["status"]


async def started(app, *requests) -> list[asyncio.Task]:
    tasks = [asyncio.create_task(call(app, *request)) for request in requests]
    for _ in range(3):  # each task enters the middleware and waits inside the held app
        await asyncio.sleep(0)
    return tasks


async def test_only_posts_to_the_webhook_doors_count_against_the_bound():
    inner = HeldApp()
    shedding = WebhookShedding(inner, limit=1)
    tasks = await started(shedding, ("POST", "/webhooks/evolution/5511934567890"), ("GET", "/webhooks/whatsapp"))
    others = await started(shedding, ("GET", "/readyz"), ("POST", "/media/upload"), ("POST", "/templates/refresh"))
    assert shedding.in_flight == 1
    assert await call(shedding) == 503
    inner.release.set()
    assert await asyncio.gather(*tasks, *others) == [200] * 5
    assert shedding.in_flight == 0


async def test_a_bound_of_zero_lets_every_webhook_in():
    inner = HeldApp()
    shedding = WebhookShedding(inner, limit=0)
    tasks = await started(shedding, *[("POST", "/webhooks/whatsapp")] * 50)
    inner.release.set()
    assert await asyncio.gather(*tasks) == [200] * 50


async def test_a_webhook_that_fails_or_is_cancelled_gives_its_slot_back():
    inner = HeldApp()
    shedding = WebhookShedding(inner, limit=2)
    [failing, cancelled] = await started(shedding, ("POST", "/webhooks/whatsapp"), ("POST", "/webhooks/whatsapp"))
    cancelled.cancel()
    inner.fail = True
    inner.release.set()
    with pytest.raises(RuntimeError):
        await failing
    assert shedding.in_flight == 0


async def test_shedding_logs_one_line_per_interval_with_how_many_were_shed():
    now = [0.0]
    inner = HeldApp()
    shedding = WebhookShedding(inner, limit=1, clock=lambda: now[0])
    held = await started(shedding, ("POST", "/webhooks/whatsapp"))
    with capture_logs() as logs:
        for _ in range(5):
            assert await call(shedding) == 503
        now[0] += LOG_EVERY_S
        assert await call(shedding) == 503
    inner.release.set()
    await asyncio.gather(*held)
    assert [line["shed"] for line in logs] == [1, 5]
