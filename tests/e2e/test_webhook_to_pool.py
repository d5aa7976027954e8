"""Webhook to pool through the real broker: ingest stores and relays, the router opens the conversation in the pool."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY as METRICS

from leadline.fakegraph import webhooks as wh
from leadline.ingest.bootstrap import MIGRATIONS as INGEST_MIGRATIONS
from leadline.ingest.bootstrap import build as build_ingest
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.tokens import mint_token
from leadline.router.adapters.account_directory import SqlConfigurationUnitOfWork
from leadline.router.bootstrap import MIGRATIONS as ROUTER_MIGRATIONS
from leadline.router.bootstrap import build as build_router
from leadline.router.domain.agents import AccountSettings, Agent, BusinessNumber, Role
from leadline.router.entrypoints.settings import RouterSettings
from leadline.router.service.configuration import AccountConfiguration, AgentRecord, Team, apply_configuration
from tests.tracing import recorded_spans

SECRET, JWT = "e2e-app-secret", "e2e-jwt-secret-e2e-jwt-secret-e2e-jwt"
META_TRACE = (
    "d4cda95b652f4a1592b449d5929fda1b"  # a traceparent on Meta's delivery, as a tracing proxy in front would add
)
BUSINESS = wh.BusinessNumber(phone_number_id="300000000000001", display_phone_number="551130000001")


@pytest.fixture(scope="module")
async def stack(infra):
    ingest_url, router_url = await infra.new_database("e2e_ingest"), await infra.new_database("e2e_router")
    # one at a time: Alembic's migration context is process-global
    await asyncio.to_thread(upgrade_to_head, INGEST_MIGRATIONS, ingest_url)
    await asyncio.to_thread(upgrade_to_head, ROUTER_MIGRATIONS, router_url)
    ingest = build_ingest(
        IngestSettings(
            database_url=ingest_url,
            kafka_bootstrap_servers=infra.bootstrap_servers,
            whatsapp_app_secret=SECRET,
            kafka_group_prefix="e2e-",
        )
    )
    router = build_router(
        RouterSettings(
            database_url=router_url,
            kafka_bootstrap_servers=infra.bootstrap_servers,
            jwt_secret=JWT,
            kafka_group_prefix="e2e-",
        )
    )  # other routers of this test session use the plain groups
    async with ingest.router.lifespan_context(ingest), router.router.lifespan_context(router):
        await apply_configuration(
            AccountConfiguration(
                account_id="e2e-motors",
                settings=AccountSettings(),
                teams=(Team("vendas", "Vendas"),),
                numbers=(
                    BusinessNumber(
                        BUSINESS.phone_number_id, BUSINESS.display_phone_number, "E2E Motors", frozenset({"vendas"})
                    ),
                ),
                agents=(AgentRecord(Agent("ana", "Ana Souza", Role.SELLER, frozenset({"vendas"}))),),
            ),
            uow=lambda: SqlConfigurationUnitOfWork(router.state.runtime.sessions),
            clock=lambda: datetime.now(UTC),
        )
        token = mint_token(
            secret=JWT, agent_id="ana", name="Ana Souza", role="seller", account_id="e2e-motors", teams=["vendas"]
        )
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=ingest), base_url="http://ingest") as ingest_client,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=router),
                base_url="http://router",
                headers={"Authorization": f"Bearer {token}"},
            ) as router_client,
        ):
            yield ingest_client, router_client


async def test_a_customer_webhook_becomes_a_new_conversation_in_the_linked_teams_pool(stack):
    ingest, router = stack
    observed_before = webhook_to_pool()
    posted = time.monotonic()
    body, headers = wh.signed_request(
        wh.WebhookBuilder(BUSINESS).inbound(
            wh.text_message("5511912345678", "Bom dia, vi o anúncio do Onix"), profile_name="Marcos Silva"
        ),
        SECRET,
    )
    headers["traceparent"] = f"00-{META_TRACE}-6e0c63257de34c92-01"
    with recorded_spans() as spans:
        assert (await ingest.post("/webhooks/whatsapp", content=body, headers=headers)).status_code == 200
        deadline = time.monotonic() + 30  # consumer groups join (~5 s) on first use
        while time.monotonic() < deadline:
            items = (await router.get("/conversations", params={"status": "new"})).json()["items"]
            if items:
                break
            await asyncio.sleep(0.1)
        traced = [s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == META_TRACE]
    assert {("POST /webhooks/whatsapp", SpanKind.SERVER), ("leadline.whatsapp.inbound process", SpanKind.CONSUMER)} <= {
        (s.name, s.kind) for s in traced
    }, "the router handled the message in the trace of the webhook that brought it"
    assert [(c["customer_name"], c["customer_phone"], c["status"]) for c in items] == [
        ("Marcos Silva", "+5511912345678", "new")
    ]
    messages = (await router.get(f"/conversations/{items[0]['conversation_id']}/messages")).json()["items"]
    assert [m["content"]["body"] for m in messages] == ["Bom dia, vi o anúncio do Onix"]
    while webhook_to_pool()[0] == observed_before[0] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # observed just after the router's commit, which the inbox may show first
    count, total = (now - before for now, before in zip(webhook_to_pool(), observed_before, strict=True))
    assert count >= 1, "the router measured how long the message took from the webhook to the pool"
    assert 0 < total / count <= time.monotonic() - posted


def webhook_to_pool() -> tuple[float, float]:
    """(observations, seconds in all) of the router's webhook → pool histogram (every router in this process)."""
    return (
        METRICS.get_sample_value("leadline_router_webhook_to_pool_seconds_count") or 0.0,
        METRICS.get_sample_value("leadline_router_webhook_to_pool_seconds_sum") or 0.0,
    )
