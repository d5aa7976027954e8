"""Webhook to pool through the real broker: ingest stores and relays, the router opens the conversation in the pool."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest

from leadline.fakegraph import webhooks as wh
from leadline.ingest.bootstrap import MIGRATIONS as INGEST_MIGRATIONS, build as build_ingest
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.platform.tokens import mint_token
from leadline.platform.migrations import upgrade_to_head
from leadline.router.adapters.account_directory import SqlConfigurationUnitOfWork
from leadline.router.bootstrap import MIGRATIONS as ROUTER_MIGRATIONS, build as build_router
from leadline.router.domain.agents import AccountSettings, Agent, BusinessNumber, Role
from leadline.router.entrypoints.settings import RouterSettings
from leadline.router.service.configuration import AccountConfiguration, AgentRecord, Team, apply_configuration

SECRET, JWT = "e2e-app-secret", "e2e-jwt-secret-e2e-jwt-secret-e2e-jwt"
BUSINESS = wh.BusinessNumber(phone_number_id="300000000000001", display_phone_number="551130000001")


@pytest.fixture(scope="module")
async def stack(infra):
    ingest_url, router_url = await infra.new_database("e2e_ingest"), await infra.new_database("e2e_router")
    # one at a time: Alembic's migration context is process-global
    await asyncio.to_thread(upgrade_to_head, INGEST_MIGRATIONS, ingest_url)
    await asyncio.to_thread(upgrade_to_head, ROUTER_MIGRATIONS, router_url)
    ingest = build_ingest(IngestSettings(database_url=ingest_url, kafka_bootstrap_servers=infra.bootstrap_servers,
                                         whatsapp_app_secret=SECRET, kafka_group_prefix="e2e-"))
    router = build_router(RouterSettings(database_url=router_url, kafka_bootstrap_servers=infra.bootstrap_servers, jwt_secret=JWT,
                                         kafka_group_prefix="e2e-"))  # other routers of this test session use the plain groups
    async with ingest.router.lifespan_context(ingest), router.router.lifespan_context(router):
        await apply_configuration(AccountConfiguration(
            account_id="e2e-motors", settings=AccountSettings(), teams=(Team("vendas", "Vendas"),),
            numbers=(BusinessNumber(BUSINESS.phone_number_id, BUSINESS.display_phone_number, "E2E Motors", frozenset({"vendas"})),),
            agents=(AgentRecord(Agent("ana", "Ana Souza", Role.SELLER, frozenset({"vendas"}))),),
        ), uow=lambda: SqlConfigurationUnitOfWork(router.state.runtime.sessions), clock=lambda: datetime.now(UTC))
        token = mint_token(secret=JWT, agent_id="ana", name="Ana Souza", role="seller", account_id="e2e-motors", teams=["vendas"])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ingest), base_url="http://ingest") as ingest_client, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=router), base_url="http://router",
                                  headers={"Authorization": f"Bearer {token}"}) as router_client:
            yield ingest_client, router_client


async def test_a_customer_webhook_becomes_a_new_conversation_in_the_linked_teams_pool(stack):
    ingest, router = stack
    body, headers = wh.signed_request(wh.WebhookBuilder(BUSINESS).inbound(
        wh.text_message("5511912345678", "Bom dia, vi o anúncio do Onix"), profile_name="Marcos Silva"), SECRET)
    assert (await ingest.post("/webhooks/whatsapp", content=body, headers=headers)).status_code == 200
    deadline = time.monotonic() + 30  # consumer groups join (~5 s) on first use
    while time.monotonic() < deadline:
        items = (await router.get("/conversations", params={"status": "new"})).json()["items"]
        if items:
            break
        await asyncio.sleep(0.1)
    assert [(c["customer_name"], c["customer_phone"], c["status"]) for c in items] == [
        ("Marcos Silva", "+5511912345678", "new")]
    messages = (await router.get(f"/conversations/{items[0]['conversation_id']}/messages")).json()["items"]
    assert [m["content"]["body"] for m in messages] == ["Bom dia, vi o anúncio do Onix"]
