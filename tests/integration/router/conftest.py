"""The router running in-process on the session's real broker and database, and a fresh account per test."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import select

from leadline.events import (
    WHATSAPP_INBOUND,
    WHATSAPP_OUTBOUND,
    MessageEchoedV2,
    MessageReceivedV2,
    MessageSentV1,
    MessageStatusChangedV2,
    new_envelope,
)
from leadline.events.common import WhatsAppUser
from leadline.events.content import TextContent
from leadline.ingest.adapters.graph_api import GraphApiClient
from leadline.ingest.adapters.media_store import S3MediaStore
from leadline.ingest.entrypoints.media_api import media_api
from leadline.ingest.entrypoints.templates_api import templates_api
from leadline.phones import normalize_phone
from leadline.platform.auth import TokenVerifier
from leadline.platform.http import install_error_handlers
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.tokens import mint_token
from leadline.router.bootstrap import MIGRATIONS, build
from leadline.router.domain.agents import AccountSettings, Agent, BusinessNumber, Role
from leadline.router.entrypoints.settings import RouterSettings
from leadline.router.entrypoints.subscribers import router_consumer
from leadline.router.service.configuration import AccountConfiguration, AgentRecord, Team, apply_configuration
from tests.clock import Clock
from tests.integration.router.account_fixtures import (  # noqa: F401 - fixtures of test_account_configuration
    admin_api,
    configuration_database,
    db,
)
from tests.s3 import moto_s3

JWT_SECRET = "router-test-secret-router-test-secret"
_numbers = itertools.count(100_000_000_000_000)


@dataclass
class Dealer:
    """One account: two teams, a number linked to both (``shared``) and one linked to ``seminovos`` only."""

    router: RunningRouter
    account_id: str
    shared: str
    used_cars: str
    agents: dict[str, Agent]

    def client(self, agent_id: str) -> httpx.AsyncClient:
        agent = self.agents[agent_id]
        token = mint_token(
            secret=JWT_SECRET,
            agent_id=agent.id,
            name=agent.name,
            role=str(agent.role),
            account_id=self.account_id,
            teams=sorted(agent.team_ids),
        )
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.router.app),
            base_url="http://router",
            headers={"Authorization": f"Bearer {token}"},
        )

    async def customer_writes(
        self,
        wa_id: str | None,
        text: str = "Olá, tem o Onix 2024?",
        *,
        number: str | None = None,
        wamid: str | None = None,
        name: str = "João Pereira",
        user_id: str | None = None,
        username: str | None = None,
        content=None,
    ):
        """The customer writes, named as WhatsApp would: by phone (``wa_id``), BSUID (``user_id``) or both."""
        payload = MessageReceivedV2(
            phone_number_id=number or self.shared,
            customer=WhatsAppUser(wa_id=wa_id, user_id=user_id, username=username),
            wamid=wamid or f"wamid.{uuid.uuid4().hex}",
            display_phone_number="5511400000000",
            customer_profile_name=name,
            customer_display_name=name,
            sent_at=self.router.clock(),
            content=content or TextContent(body=text),
        )
        return await self.from_whatsapp(payload)

    async def business_app_sends(self, wa_id: str, text: str, *, number: str | None = None):
        """Someone at the dealership types to the customer in the WhatsApp Business app: an echo."""
        payload = MessageEchoedV2(
            phone_number_id=number or self.shared,
            customer=WhatsAppUser(wa_id=wa_id),
            wamid=f"wamid.{uuid.uuid4().hex}",
            sent_at=self.router.clock(),
            content=TextContent(body=text),
        )
        return await self.from_whatsapp(payload)

    async def whatsapp_reports(self, wamid: str, recipient: WhatsAppUser, state: str = "delivered"):
        """WhatsApp's status of a message it took, naming its ``recipient`` as it does."""
        status = MessageStatusChangedV2(
            phone_number_id=self.shared, customer=recipient, wamid=wamid, status=state, at=self.router.clock()
        )
        return await self.from_whatsapp(status)

    async def from_whatsapp(self, payload):
        """A fact of WhatsApp's on ``whatsapp.inbound``, keyed by the chat it is about, decided by the router."""
        envelope = new_envelope(
            payload,
            account_id=self.account_id,
            stream_id=payload.stream_id(self.account_id),
            sequence=1,
            occurred_at=self.router.clock(),
        )
        return await self.router.deliver(WHATSAPP_INBOUND, envelope)

    async def ingest_sent(self, conversation_id: str, message_id: str, wamid: str):
        """Ingest's send result on ``whatsapp.outbound``: WhatsApp took the agent's message as ``wamid``."""
        clock = self.router.clock
        sent = MessageSentV1(
            request_id=uuid.UUID(message_id), conversation_id=uuid.UUID(conversation_id), wamid=wamid, sent_at=clock()
        )
        envelope = new_envelope(
            sent, account_id=self.account_id, stream_id=conversation_id, sequence=1, occurred_at=clock()
        )
        return await self.router.deliver(WHATSAPP_OUTBOUND, envelope)

    async def open_conversation(self, wa_id: str | None = None, **kwargs) -> str:
        published = await self.customer_writes(wa_id or new_customer(), **kwargs)
        return published[0].stream_id

    async def outbox(self, conversation_id: str, event_type: str | None = None) -> list[dict]:
        async with self.router.sessions() as session:
            rows = (
                (
                    await session.execute(
                        select(OUTBOX.c.envelope).where(OUTBOX.c.key == conversation_id).order_by(OUTBOX.c.id)
                    )
                )
                .scalars()
                .all()
            )
        import json

        events = [json.loads(row) for row in rows]
        return [e for e in events if event_type is None or e["type"] == event_type]


@dataclass
class RunningRouter:
    app: object
    uow: object
    sessions: object
    clock: Clock

    async def deliver(self, topic: str, envelope) -> list:
        """An event as the router's consumer decides it (inbox, rule, commit), alone: the events it published."""
        consumer = router_consumer(self.sessions, unit_of_work=self.uow, clock=self.clock, normalize=normalize_phone)
        return await consumer.decide_alone(topic, envelope)

    async def dealer(
        self, *, process_type: int = 1, pool_wait_alert_seconds: int = 300, extra_agents: int = 0
    ) -> Dealer:
        account_id = f"dealer-{uuid.uuid4().hex[:8]}"
        shared, used_cars = str(next(_numbers)), str(next(_numbers))
        agents = {
            "ana": Agent("ana", "Ana Souza", Role.SELLER, frozenset({"vendas"})),
            "bruno": Agent("bruno", "Bruno Lima", Role.SELLER, frozenset({"vendas"})),
            "carla": Agent("carla", "Carla Dias", Role.ATTENDANT, frozenset({"seminovos"})),
            "diego": Agent("diego", "Diego Alves", Role.ADMIN, frozenset({"vendas", "seminovos"})),
            "elisa": Agent("elisa", "Elisa Rocha", Role.SELLER, frozenset({"oficina"})),
        }
        for n in range(extra_agents):
            agents[f"seller{n}"] = Agent(f"seller{n}", f"Vendedor {n}", Role.SELLER, frozenset({"vendas"}))
        await apply_configuration(
            AccountConfiguration(
                account_id=account_id,
                settings=AccountSettings(
                    process_type=process_type, lead_unification=True, pool_wait_alert_seconds=pool_wait_alert_seconds
                ),
                teams=(Team("vendas", "Vendas"), Team("seminovos", "Seminovos"), Team("oficina", "Oficina")),
                numbers=(
                    BusinessNumber(shared, "551140000001", "Acme Motors", frozenset({"vendas", "seminovos"})),
                    BusinessNumber(used_cars, "551140000002", "Acme Seminovos", frozenset({"seminovos"})),
                ),
                agents=tuple(AgentRecord(agent) for agent in agents.values()),
            ),
            uow=self.config_uow,
            clock=self.clock,
        )
        return Dealer(self, account_id, shared, used_cars, agents)


def new_customer() -> str:
    return f"55119{uuid.uuid4().int % 90_000_000 + 10_000_000}"


@pytest.fixture(scope="session")
def media_store():
    """Ingest's media store on S3: a real S3 endpoint on localhost (moto's server mode) with a bucket."""
    with moto_s3() as (client, bucket):
        yield S3MediaStore(bucket, prefix="router-tests", client=client)


def ingest_media_app(store, templates: APIRouter | None = None) -> FastAPI:
    """Ingest's media API (and templates API), as ingest serves them, over ``store``."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(media_api(store, TokenVerifier(secret=JWT_SECRET)))
    if templates is not None:
        app.include_router(templates)
    return app


FAKE_WABA = "102290129340398"  # the fake Graph API's templates are served for any business account id


@dataclass
class IngestForRouter:
    """Ingest's own database and templates API over the fake Graph API (the outside world): what the router reads."""

    uow: Any
    graph: GraphApiClient

    async def knows_number(self, phone_number_id: str, account_id: str, waba_id: str | None = FAKE_WABA) -> None:
        """What ingest learns from the router's integration events: the number's account and business account."""
        async with self.uow() as work:
            await work.numbers.register(phone_number_id, account_id, waba_id)
            await work.commit()


@pytest.fixture(scope="session")
async def ingest_for_router(infra):
    from leadline.fakegraph.app import create_app as fake_graph
    from leadline.fakegraph.settings import FakeGraphSettings
    from leadline.ingest.adapters.unit_of_work import SqlUnitOfWork
    from leadline.platform.db import create_engine, session_factory

    url = await infra.new_database("router_ingest")
    await asyncio.to_thread(upgrade_to_head, "leadline.ingest:adapters/migrations", url)
    engine = create_engine(url, pool_size=2)
    fake = fake_graph(
        FakeGraphSettings(
            access_token="router-test-token", auto_statuses=False, webhook_url="http://127.0.0.1:9/nobody"
        )
    )
    graph = GraphApiClient(
        base_url="http://graph.test",
        version="v21.0",
        access_token="router-test-token",
        transport=httpx.ASGITransport(fake),
    )
    sessions = session_factory(engine)
    yield IngestForRouter(lambda: SqlUnitOfWork(sessions), graph)
    await graph.aclose()
    await engine.dispose()


@pytest.fixture(scope="session")
async def router(infra, media_store, ingest_for_router):
    from leadline.router.adapters.account_directory import SqlConfigurationUnitOfWork

    url = await infra.new_database("router")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    clock = Clock()
    app = build(
        RouterSettings(
            database_url=url,
            kafka_bootstrap_servers=infra.bootstrap_servers,
            jwt_secret=JWT_SECRET,
            pool_wait_check_interval_s=3600,
            kafka_group_prefix=f"t{uuid.uuid4().hex[:6]}-",
        ),
        clock=clock,
        ingest_transport=httpx.ASGITransport(
            ingest_media_app(
                media_store,
                templates_api(
                    graph=ingest_for_router.graph, uow=ingest_for_router.uow, verifier=TokenVerifier(secret=JWT_SECRET)
                ),
            )
        ),
    )
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        running = RunningRouter(app, app.state.uow, runtime.sessions, clock)
        running.config_uow = lambda: SqlConfigurationUnitOfWork(runtime.sessions)
        running.media_store = media_store
        running.ingest = ingest_for_router
        yield running


@pytest.fixture(scope="module")
async def router_url(router):
    """The running router app behind a real HTTP server (uvicorn on a free port; the app's lifespan is the fixture's)."""
    from leadline.platform.embedded import free_port
    from tests.integration.leads.conftest import serve_in_background

    port = free_port()
    server, task = await serve_in_background(router.app, port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def dealer(router):
    return await router.dealer()


@pytest.fixture(autouse=True)
def _real_time_again(request):
    """Tests that move the clock leave it moved: each test starts from real time."""
    if "router" in request.fixturenames or "dealer" in request.fixturenames:
        router = request.getfixturevalue("router")
        router.clock.now = datetime.now(UTC)
