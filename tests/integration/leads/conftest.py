"""The real router and the real leads service, on the session's broker and database, talking over HTTP.

The router runs in-process behind uvicorn on a free port (the leads service calls it exactly as in
production); the leads app runs in-process too. Both live for this package only and consume in consumer
groups of their own (``kafka_group_prefix``), so they never compete with another package's services.
Each test gets a fresh dealer (account).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from leadline.events import WHATSAPP_INBOUND, MessageEchoedV2, MessageReceivedV2, new_envelope
from leadline.events.common import WhatsAppUser
from leadline.events.content import TextContent
from leadline.leads.adapters.tables import account_settings
from leadline.leads.adapters.tables import agents as leads_agents
from leadline.leads.bootstrap import MIGRATIONS as LEADS_MIGRATIONS
from leadline.leads.bootstrap import build as build_leads
from leadline.leads.entrypoints.settings import LeadsSettings
from leadline.platform.embedded import free_port
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.tokens import mint_token
from leadline.router.adapters.account_directory import SqlConfigurationUnitOfWork
from leadline.router.bootstrap import MIGRATIONS as ROUTER_MIGRATIONS
from leadline.router.bootstrap import build as build_router
from leadline.router.domain.agents import AccountSettings, Agent, BusinessNumber, Role
from leadline.router.entrypoints.settings import RouterSettings
from leadline.router.service.configuration import AccountConfiguration, AgentRecord, Team, apply_configuration
from tests.clock import Clock
from tests.kafka_helpers import wait_until

JWT_SECRET = "leads-test-secret-leads-test-secret-0123"
_numbers = itertools.count(300_000_000_000_000)


@dataclass
class Services:
    router_app: Any
    router_url: str
    router_uow: Any
    router_config_uow: Any
    leads_app: Any
    leads_url: str
    clock: Clock
    database_url: str

    @property
    def leads_uow(self):
        return self.leads_app.state.uow

    async def dealer(self, *, unification: bool = True, extra_sellers: int = 0) -> Dealer:
        account_id = f"dealer-{uuid.uuid4().hex[:8]}"
        shared, used_cars, workshop = (str(next(_numbers)) for _ in range(3))
        agents = {
            "ana": Agent("ana", "Ana Souza", Role.SELLER, frozenset({"vendas"})),
            "bruno": Agent("bruno", "Bruno Lima", Role.SELLER, frozenset({"vendas"})),
            "carla": Agent("carla", "Carla Dias", Role.ATTENDANT, frozenset({"seminovos"})),
            "diego": Agent("diego", "Diego Alves", Role.ADMIN, frozenset({"vendas", "seminovos"})),
            "elisa": Agent("elisa", "Elisa Rocha", Role.SELLER, frozenset({"oficina"})),
        }
        for n in range(extra_sellers):
            agents[f"seller{n}"] = Agent(f"seller{n}", f"Vendedor {n}", Role.SELLER, frozenset({"vendas"}))
        dealer = Dealer(self, account_id, shared, used_cars, workshop, agents)
        await dealer.configure(unification=unification)
        return dealer


@dataclass
class Dealer:
    """One account: ``shared`` is linked to Vendas and Seminovos, ``used_cars`` to Seminovos, ``workshop`` to Oficina."""

    services: Services
    account_id: str
    shared: str
    used_cars: str
    workshop: str
    agents: dict[str, Agent]

    async def configure(self, *, unification: bool) -> None:
        await apply_configuration(
            AccountConfiguration(
                account_id=self.account_id,
                settings=AccountSettings(process_type=1, lead_unification=unification, pool_wait_alert_seconds=600),
                teams=(Team("vendas", "Vendas"), Team("seminovos", "Seminovos"), Team("oficina", "Oficina")),
                numbers=(
                    BusinessNumber(self.shared, "+55 11 4000-0001", "Acme Motors", frozenset({"vendas", "seminovos"})),
                    BusinessNumber(self.used_cars, "+55 11 4000-0002", "Acme Seminovos", frozenset({"seminovos"})),
                    BusinessNumber(self.workshop, "+55 11 4000-0003", "Acme Oficina", frozenset({"oficina"})),
                ),
                agents=tuple(AgentRecord(agent) for agent in self.agents.values()),
            ),
            uow=self.services.router_config_uow,
            clock=self.services.clock,
        )
        await wait_until(lambda: self._leads_knows(unification), timeout_s=30)

    async def _leads_knows(self, unification: bool) -> bool:
        async with self.services.leads_app.state.runtime.sessions() as session:
            setting = await session.scalar(
                select(account_settings.c.lead_unification).where(account_settings.c.account_id == self.account_id)
            )
            known = await session.scalar(
                select(func.count()).select_from(leads_agents).where(leads_agents.c.account_id == self.account_id)
            )
        directory = self.services.leads_app.state.access.directory  # what authorizes the leads API's callers
        in_force = all(directory.fold.rights(self.account_id, agent_id) for agent_id in self.agents)
        return setting is unification and known == len(self.agents) and in_force

    def token(self, agent_id: str) -> str:
        agent = self.agents[agent_id]
        return mint_token(
            secret=JWT_SECRET,
            agent_id=agent.id,
            name=agent.name,
            role=str(agent.role),
            account_id=self.account_id,
            teams=sorted(agent.team_ids),
        )

    def leads(self, agent_id: str | None = None, *, token: str | None = None) -> httpx.AsyncClient:
        """A client of the leads API as this agent (``agent_id`` None: no token at all)."""
        token = token or (self.token(agent_id) if agent_id else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.services.leads_app), base_url="http://leads", headers=headers
        )

    def router(self, agent_id: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.services.router_app),
            base_url="http://router",
            headers={"Authorization": f"Bearer {self.token(agent_id)}"},
        )

    async def customer_writes(
        self,
        wa_id: str | None,
        text: str = "Olá, o Onix 2024 ainda está disponível?",
        *,
        number: str | None = None,
        name: str | None = "João Pereira",
        user_id: str | None = None,
        username: str | None = None,
        content=None,
    ) -> str:
        """A WhatsApp message reaches the router (as ingest would hand it over); returns its conversation id.

        The customer is named as WhatsApp would: by phone (``wa_id``), by BSUID (``user_id``) or both.
        """
        clock = self.services.clock
        payload = MessageReceivedV2(
            phone_number_id=number or self.shared,
            customer=WhatsAppUser(wa_id=wa_id, user_id=user_id, username=username),
            wamid=f"wamid.{uuid.uuid4().hex}",
            display_phone_number="551140000001",
            customer_profile_name=name,
            customer_display_name=name or (f"+{wa_id}" if wa_id else f"@{username or user_id}"),
            sent_at=clock(),
            content=content or TextContent(body=text),
        )
        envelope = new_envelope(
            payload,
            account_id=self.account_id,
            stream_id=payload.stream_id(self.account_id),
            sequence=1,
            occurred_at=clock(),
        )
        published = await self.services.router_app.state.consumer.decide_alone(WHATSAPP_INBOUND, envelope)
        return published[0].stream_id

    async def dealership_answers(self, wa_id: str, text: str, *, number: str | None = None) -> None:
        """Someone at the dealership answers from the WhatsApp Business app (an echo reaches the router).

        An answer through the inbox would do the same for the leads service, but it asks ingest to send
        it to WhatsApp, and the session's ingest (from its own tests) would spend its retries on it.
        """
        clock = self.services.clock
        payload = MessageEchoedV2(
            phone_number_id=number or self.shared,
            customer=WhatsAppUser(wa_id=wa_id),
            wamid=f"wamid.{uuid.uuid4().hex}",
            sent_at=clock(),
            content=TextContent(body=text),
        )
        envelope = new_envelope(
            payload,
            account_id=self.account_id,
            stream_id=payload.stream_id(self.account_id),
            sequence=1,
            occurred_at=clock(),
        )
        assert await self.services.router_app.state.consumer.decide_alone(WHATSAPP_INBOUND, envelope)

    async def add_lead(
        self, agent_id: str, conversation_id: str, *, key: str | None = None, **fields: Any
    ) -> httpx.Response:
        body = {
            "conversation_id": conversation_id,
            "idempotency_key": key or uuid.uuid4().hex,
            "name": "João Pereira",
            "mobile": "+5511987654321",
            **fields,
        }
        async with self.leads(agent_id) as client:
            return await client.post("/leads", json=body)

    async def lead(self, lead_id: str, agent_id: str = "diego") -> dict:
        async with self.leads(agent_id) as client:
            answer = await client.get(f"/leads/{lead_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def published(self, lead_id: str | None = None, event_type: str | None = None) -> list[dict]:
        """Events the leads service committed for this dealer (its outbox), oldest first."""
        async with self.services.leads_app.state.runtime.sessions() as session:
            rows = (await session.execute(select(OUTBOX.c.envelope).order_by(OUTBOX.c.id))).scalars().all()
        events = [json.loads(row) for row in rows]
        return [
            e
            for e in events
            if e["account_id"] == self.account_id
            and (lead_id is None or e["stream_id"] == lead_id)
            and (event_type is None or e["type"] == event_type)
        ]


def new_customer() -> str:
    return f"55119{uuid.uuid4().int % 90_000_000 + 10_000_000}"


async def serve_in_background(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return server, task


def leads_settings(infra, database_url: str, router_url: str, **overrides: Any) -> LeadsSettings:
    values = dict(
        database_url=database_url,
        kafka_bootstrap_servers=infra.bootstrap_servers,
        jwt_secret=JWT_SECRET,
        router_url=router_url,
        kafka_group_prefix=f"t{uuid.uuid4().hex[:6]}-",
        saga_recovery_interval_s=0.5,
        temperature_check_interval_s=3600,
    )
    return LeadsSettings(**(values | overrides))


@pytest.fixture(scope="package")
async def services(infra):
    clock = Clock()
    router_db, leads_db = await infra.new_database("leads_router"), await infra.new_database("leads")
    await asyncio.to_thread(upgrade_to_head, ROUTER_MIGRATIONS, router_db)
    await asyncio.to_thread(upgrade_to_head, LEADS_MIGRATIONS, leads_db)
    router_app = build_router(
        RouterSettings(
            database_url=router_db,
            kafka_bootstrap_servers=infra.bootstrap_servers,
            jwt_secret=JWT_SECRET,
            pool_wait_check_interval_s=3600,
            kafka_group_prefix=f"t{uuid.uuid4().hex[:6]}-",
        ),
        clock=clock,
    )
    port = free_port()
    router_url = f"http://127.0.0.1:{port}"
    leads_app = build_leads(leads_settings(infra, leads_db, router_url), clock=clock)
    async with router_app.router.lifespan_context(router_app):
        server, task = await serve_in_background(router_app, port)
        try:
            async with leads_app.router.lifespan_context(leads_app):
                runtime = router_app.state.runtime
                yield Services(
                    router_app,
                    router_url,
                    router_app.state.uow,
                    lambda: SqlConfigurationUnitOfWork(runtime.sessions),
                    leads_app,
                    "http://leads",
                    clock,
                    leads_db,
                )
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def dealer(services):
    return await services.dealer()


@pytest.fixture(autouse=True)
def _real_time_again(request):
    """Tests that move the clock leave it moved: each test starts from real time."""
    if "services" in request.fixturenames or "dealer" in request.fixturenames:
        request.getfixturevalue("services").clock.now = datetime.now(UTC)
