"""Every service answers /healthz, and /readyz only when its broker and database answer."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from leadline.history.bootstrap import build as build_history
from leadline.history.entrypoints.settings import HistorySettings
from leadline.ingest.bootstrap import build as build_ingest
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.leads.bootstrap import build as build_leads
from leadline.leads.entrypoints.settings import LeadsSettings
from leadline.platform.migrations import upgrade_to_head
from leadline.router.bootstrap import build as build_router
from leadline.router.entrypoints.settings import RouterSettings

SERVICES = {
    "ingest": (build_ingest, IngestSettings),
    "router": (build_router, RouterSettings),
    "leads": (build_leads, LeadsSettings),
    "history": (build_history, HistorySettings),
}


async def ready_status(app) -> tuple[int, dict]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            assert (await client.get("/healthz")).status_code == 200
            for _ in range(100):
                response = await client.get("/readyz")
                if response.status_code == 200:
                    break
                await asyncio.sleep(0.05)
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200 and "leadline_http_request_seconds" in metrics.text
            return response.status_code, response.json()


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_a_migrated_service_with_broker_and_database_is_ready(infra, service):
    url = await infra.new_database(service)
    await asyncio.to_thread(upgrade_to_head, f"leadline.{service}:adapters/migrations", url)
    build, settings = SERVICES[service]
    app = build(settings(database_url=url, kafka_bootstrap_servers=infra.bootstrap_servers, kafka_group_prefix=f"health-{url[-10:]}-"))
    status, body = await ready_status(app)
    assert status == 200, body
    assert body == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}


async def test_a_service_whose_database_is_gone_is_not_ready(infra):
    url = (await infra.new_database("gone")).replace("/gone_", "/missing_")
    app = build_router(RouterSettings(database_url=url, kafka_bootstrap_servers=infra.bootstrap_servers, kafka_group_prefix="gone-"))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unavailable")
