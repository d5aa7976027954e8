"""Every service answers /healthz (alive), and /readyz while it can do its job: while its database answers.

The broker is reported by /readyz and ``leadline_dependency_up``, never gating: with it down, ingest stays in its
Service answering Meta's webhooks with 200 while the outbox holds them (docs/runbook.md "Broker unreachable").
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from prometheus_client.parser import text_string_to_metric_families

from leadline.fakegraph import webhooks as wh
from leadline.history.bootstrap import build as build_history
from leadline.history.entrypoints.settings import HistorySettings
from leadline.ingest.bootstrap import build as build_ingest
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.leads.bootstrap import build as build_leads
from leadline.leads.entrypoints.settings import LeadsSettings
from leadline.platform.embedded import free_port
from leadline.platform.http import serve_metrics_apart
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.outbox import measure_backlog
from leadline.router.bootstrap import build as build_router
from leadline.router.entrypoints.settings import RouterSettings
from tests.integration.ingest.conftest import APP_SECRET, ingest_settings

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
                if response.status_code == 200 and response.json()["reports"]["kafka"] == "ok":
                    break  # the producer connects in the background
                await asyncio.sleep(0.05)
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200 and "leadline_http_request_seconds" in metrics.text
            return response.status_code, response.json()


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_a_migrated_service_with_broker_and_database_is_ready(infra, service):
    url = await infra.new_database(service)
    await asyncio.to_thread(upgrade_to_head, f"leadline.{service}:adapters/migrations", url)
    build, settings = SERVICES[service]
    app = build(
        settings(
            database_url=url, kafka_bootstrap_servers=infra.bootstrap_servers, kafka_group_prefix=f"health-{url[-10:]}-"
        )
    )
    status, body = await ready_status(app)
    assert status == 200, body
    assert body == {"status": "ready", "checks": {"database": "ok"}, "reports": {"kafka": "ok"}}


def sample(metrics_text: str, name: str, **labels: str) -> float:
    """One sample's value from a /metrics answer."""
    return next(
        s.value
        for family in text_string_to_metric_families(metrics_text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def test_ingest_with_its_broker_down_stays_ready_and_answers_webhooks_which_wait_in_its_outbox(infra):
    url = await infra.new_database("broker_down")
    await asyncio.to_thread(upgrade_to_head, "leadline.ingest:adapters/migrations", url)
    app = build_ingest(ingest_settings(infra, url, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}"))  # no broker
    delivery = wh.WebhookBuilder(wh.BusinessNumber()).inbound(wh.text_message("5511912345678", "tem o Onix?"))
    body, headers = wh.signed_request(delivery, APP_SECRET)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:
            assert (await client.post("/webhooks/whatsapp", content=body, headers=headers)).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.json()
            assert ready.json()["checks"] == {"database": "ok"}
            assert ready.json()["reports"]["kafka"].startswith("unavailable")
            await measure_backlog(app.state.runtime.sessions)  # what the runtime does every 15 s
            metrics = (await client.get("/metrics")).text
    assert sample(metrics, "leadline_dependency_up", dependency="kafka") == 0
    assert sample(metrics, "leadline_dependency_up", dependency="database") == 1
    assert sample(metrics, "leadline_outbox_unpublished_events") >= 1, "the message waits in the outbox"


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_a_service_whose_database_does_not_answer_is_not_ready_but_alive(infra, service):
    url = f"postgresql+asyncpg://leadline@127.0.0.1:{free_port()}/{service}"  # nothing listens there
    build, settings = SERVICES[service]
    app = build(settings(database_url=url, kafka_bootstrap_servers=infra.bootstrap_servers, kafka_group_prefix="gone-"))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            response = await client.get("/readyz")
            alive = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"
    assert response.json()["checks"]["database"].startswith("unavailable")
    assert alive.status_code == 200, "a database outage is no reason to restart the pod"


async def test_a_service_whose_database_is_gone_is_not_ready(infra):
    url = (await infra.new_database("gone")).replace("/gone_", "/missing_")
    app = build_router(
        RouterSettings(database_url=url, kafka_bootstrap_servers=infra.bootstrap_servers, kafka_group_prefix="gone-")
    )
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unavailable")


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_with_a_metrics_port_metrics_are_served_there_and_not_beside_the_api(service):
    """Kubernetes sets METRICS_PORT: the Ingress reaches the API's port (the web gateway's, from the internet), so
    /metrics must not answer there; Prometheus scrapes the metrics port, which no Ingress route reaches."""
    build, settings_of = SERVICES[service]
    settings = settings_of(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", metrics_port=free_port())
    api_paths = {route.path for route in iter_route_contexts(build(settings).routes)}
    assert "/healthz" in api_paths and "/metrics" not in api_paths

    serve_metrics_apart(settings)
    scraped = httpx.get(f"http://{settings.http_host}:{settings.metrics_port}/metrics", timeout=5)
    assert scraped.status_code == 200 and "leadline_dependency_up" in scraped.text
