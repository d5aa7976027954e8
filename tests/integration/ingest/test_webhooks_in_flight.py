"""Ingest holds a bounded number of webhooks: beyond it, 503 at once (Meta sends again), never an unbounded queue."""

from __future__ import annotations

import asyncio
import random

import httpx
from prometheus_client import REGISTRY as METRICS
from sqlalchemy import text

from leadline.fakegraph import webhooks as wh
from leadline.ingest.adapters.tables import webhook_deliveries
from leadline.ingest.bootstrap import MIGRATIONS, build
from leadline.platform.db import create_engine
from leadline.platform.migrations import upgrade_to_head
from tests.integration.ingest.conftest import RunningIngest, ingest_settings
from tests.kafka_helpers import wait_until

BUSINESS = wh.BusinessNumber()


def delivery() -> dict:
    return wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(f"55119{random.randint(10**7, 10**8 - 1)}", "oi"))


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return METRICS.get_sample_value(name, labels or {}) or 0.0


async def test_beyond_the_limit_a_webhook_is_answered_503_with_retry_after_and_room_comes_back(infra):
    url = await infra.new_database("ingest_in_flight")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = ingest_settings(infra, url, webhooks_in_flight_limit=2)
    app = build(settings)
    engine = create_engine(url, pool_size=2)
    busy_before = sample("leadline_ingest_webhooks_rejected_total", {"reason": "busy"})
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
    ):
        ingest = RunningIngest(client, engine, url, settings)
        async with engine.connect() as holder:  # the store waits on this lock: two deliveries stay held
            await holder.execute(text("LOCK TABLE webhook_deliveries IN ACCESS EXCLUSIVE MODE"))
            held = [asyncio.create_task(ingest.post_signed(delivery())) for _ in range(2)]
            await wait_until(lambda: asyncio.sleep(0, sample("leadline_ingest_webhooks_in_flight") == 2), timeout_s=10)

            refused = await asyncio.wait_for(ingest.post_signed(delivery()), 5)  # answered now, not queued

            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["error"]["code"] == "busy"
            assert not any(task.done() for task in held)
            await holder.commit()  # the lock goes: the held deliveries are stored and answered
        assert [(await task).status_code for task in held] == [200, 200]
        assert sample("leadline_ingest_webhooks_in_flight") == 0
        again = await ingest.post_signed(delivery())
        assert again.status_code == 200
        assert await ingest.count(webhook_deliveries) == 3  # the refused one was never stored
    await engine.dispose()
    assert sample("leadline_ingest_webhooks_rejected_total", {"reason": "busy"}) == busy_before + 1
