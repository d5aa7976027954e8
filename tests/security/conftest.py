"""The whole of leadline as real processes (ingest, router, leads, history) on the session's broker and database.

Each service runs as ``python -m leadline.<service>`` on a free port with its own database, its own consumer
groups (``KAFKA_GROUP_PREFIX``) and its JSON log in a file, so the probes go through real HTTP servers and the
log test reads what a real process wrote. Three accounts are in the router's configuration file (the account
directory's seed, as ``make run``'s; an administrator must be in the directory before the admin API answers them):
``a`` (owns the seeded conversation, lead and timeline), ``b`` (the other account whose tokens must learn nothing
about ``a``) and ``fuzz`` (whose configuration the OpenAPI fuzzer may change at will).
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from leadline.fakegraph import webhooks as wh
from leadline.platform.db import create_engine
from leadline.platform.embedded import EmbeddedKafka, free_port
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.serve import CLIENT_KEEP_ALIVE_S
from leadline.platform.settings import KafkaSettings
from leadline.platform.tokens import mint_token
from leadline.platform.topic_admin import ensure_topics
from tests.conftest import REPO
from tests.service_processes import spawn_service, wait_healthy

APP_SECRET = "security-probes-app-secret"
JWT_SECRET = "security-probes-jwt-secret-0123456789abcdef"
SERVICES = ("ingest", "router", "leads", "history")
MIGRATIONS = {service: f"leadline.{service}:adapters/migrations" for service in SERVICES}


def new_customer() -> str:
    return f"55119{random.randint(10_000_000, 99_999_999)}"


@dataclass(frozen=True)
class Account:
    id: str
    number: wh.BusinessNumber

    def token(self, agent: str = "diego", *, secret: str = JWT_SECRET, **claims: Any) -> str:
        role = {"ana": "seller", "carla": "attendant"}.get(agent, "admin")
        return mint_token(
            secret=secret,
            agent_id=agent,
            name=agent.title(),
            role=role,
            account_id=self.id,
            teams=["vendas"] if agent == "ana" else ["vendas", "seminovos"],
            **claims,
        )

    def headers(self, agent: str = "diego") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(agent)}"}

    def document(self) -> dict[str, Any]:
        return {
            "settings": {"process_type": 1, "lead_unification": True, "pool_wait_alert_seconds": 600},
            "teams": {"vendas": {"name": "Vendas"}, "seminovos": {"name": "Seminovos"}},
            "numbers": {
                self.number.phone_number_id: {
                    "display_number": self.number.display_phone_number,
                    "name": "Acme Motors",
                    "teams": ["vendas", "seminovos"],
                }
            },
            "agents": {
                "ana": {"name": "Ana Souza", "role": "seller", "teams": ["vendas"]},
                "carla": {"name": "Carla Dias", "role": "attendant", "teams": ["seminovos"]},
                "diego": {"name": "Diego Alves", "role": "admin", "teams": ["vendas", "seminovos"]},
            },
        }


def _account(name: str) -> Account:
    phone_number_id = str(random.randint(10**14, 10**15 - 1))
    return Account(
        f"sec-{name}-{uuid.uuid4().hex[:6]}",
        wh.BusinessNumber(
            phone_number_id=phone_number_id, display_phone_number=f"55114{random.randint(10**7, 10**8 - 1)}"
        ),
    )


@dataclass
class Stack:
    urls: dict[str, str]
    databases: dict[str, str]
    logs: dict[str, Path]
    processes: dict[str, subprocess.Popen[bytes]]
    accounts: dict[str, Account]
    bootstrap_servers: str
    engines: dict[str, AsyncEngine] = field(default_factory=dict)

    def client(self, service: str, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.urls[service],
            timeout=httpx.Timeout(15.0),
            limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S),
            **kwargs,
        )

    async def post_webhook(self, payload: dict, *, secret: str = APP_SECRET) -> httpx.Response:
        body, headers = wh.signed_request(payload, secret)
        async with self.client("ingest") as ingest:
            return await ingest.post("/webhooks/whatsapp", content=body, headers=headers)

    async def count(self, service: str, table: str) -> int:
        if service not in self.engines:
            self.engines[service] = create_engine(self.databases[service], pool_size=1)
        async with self.engines[service].connect() as connection:
            from sqlalchemy import table as table_clause

            return await connection.scalar(select(func.count()).select_from(table_clause(table)))

    async def customer_writes(self, account: Account, wa_id: str, text: str) -> str:
        """A customer's WhatsApp message, signed, into ingest; returns the conversation the router opens for it."""
        payload = wh.WebhookBuilder(account.number).inbound(wh.text_message(wa_id, text))
        answer = await self.post_webhook(payload)
        assert answer.status_code == 200, answer.text
        async with self.client("router", headers=account.headers()) as router:

            async def opened() -> str | None:
                items = (await router.get("/conversations", params={"q": wa_id[-8:]})).json()["items"]
                return items[0]["conversation_id"] if items else None

            return await eventually(opened, f"the router opens a conversation for {wa_id}")


async def eventually(probe: Callable[[], Awaitable[Any]], what: str, *, within_s: float = 40.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        if value := await probe():
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {within_s}s: {what}")


def start_service(
    service: str, *, port: int, database_url: str, bootstrap_servers: str, log_path: Path, **env: str
) -> subprocess.Popen[bytes]:
    return spawn_service(
        service,
        port=port,
        log_path=log_path,
        env={
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            "JWT_SECRET": JWT_SECRET,
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "KAFKA_GROUP_PREFIX": f"sec{uuid.uuid4().hex[:6]}-",
            "LOG_FORMAT": "json",
            "LOG_UNMASKED": "false",
            "OUTBOX_POLL_INTERVAL_S": "0.2",
            "GRAPH_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
            "GRAPH_API_TIMEOUT_S": "1",
            "SEND_RETRY_ATTEMPTS": "1",
            "POOL_WAIT_CHECK_INTERVAL_S": "3600",
            "TEMPERATURE_CHECK_INTERVAL_S": "3600",
            **env,
        },
    )


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
async def security_broker(infra, tmp_path_factory) -> AsyncIterator[str]:
    """The stack's own embedded broker, its topics created. The services' new consumer groups start from the earliest
    offset: on the session's broker they would first work through every event the tests before them published (on a
    slow machine the seeded lead's timeline then took more than 40 s). An external broker (``KAFKA_BOOTSTRAP_SERVERS``,
    containers) is shared."""
    if infra.kafka is None:
        yield infra.bootstrap_servers
        return
    kafka = EmbeddedKafka(
        log_path=tmp_path_factory.mktemp("security-broker") / "kafka.log"
    ).start()  # this thread: it dies with us
    try:
        await ensure_topics(KafkaSettings(kafka_bootstrap_servers=kafka.bootstrap_servers))
        yield kafka.bootstrap_servers
    finally:
        kafka.stop()


@pytest.fixture(scope="package")
async def stack(infra, security_broker):
    log_dir = REPO / "var" / "test" / "security" / uuid.uuid4().hex[:8]
    log_dir.mkdir(parents=True, exist_ok=True)
    databases = {service: await infra.new_database(f"sec_{service}") for service in SERVICES}
    await asyncio.gather(*(asyncio.to_thread(upgrade_to_head, MIGRATIONS[s], url) for s, url in databases.items()))
    ports = {service: free_port() for service in SERVICES}
    urls = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    accounts = {name: _account(name) for name in ("a", "b", "fuzz")}
    logs = {service: log_dir / f"{service}.log" for service in SERVICES}
    directory = log_dir / "accounts.json"  # JSON is YAML
    directory.write_text(json.dumps({"accounts": {account.id: account.document() for account in accounts.values()}}))
    processes = {
        service: start_service(
            service,
            port=ports[service],
            database_url=databases[service],
            bootstrap_servers=security_broker,
            log_path=logs[service],
            DEFAULT_ACCOUNT_ID=accounts["a"].id,
            ROUTER_URL=urls["router"],
            INGEST_URL=urls["ingest"],
            ROUTER_CONFIG_FILE=str(directory),
        )
        for service in SERVICES
    }
    running = Stack(urls, databases, logs, processes, accounts, security_broker)
    try:
        await asyncio.gather(*(wait_healthy(port, timeout_s=60) for port in ports.values()))
        async with running.client("router") as router:
            for account in accounts.values():

                async def configured(account: Account = account) -> bool:
                    return (await router.get("/admin/configuration", headers=account.headers())).status_code == 200

                await eventually(configured, f"the router applied account {account.id} from its configuration file")
        yield running
    finally:
        stop(processes)
        for engine in running.engines.values():
            await engine.dispose()


@dataclass(frozen=True)
class Seeded:
    """Account ``a``'s conversation (claimed by Ana through Add lead), its lead, and the lead's timeline."""

    conversation_id: str
    lead_id: str
    customer: str


@pytest.fixture(scope="package")
async def seeded(stack) -> Seeded:
    a = stack.accounts["a"]
    customer = new_customer()
    conversation_id = await stack.customer_writes(a, customer, "Olá, o Onix 2024 ainda está disponível?")
    body = {
        "conversation_id": conversation_id,
        "idempotency_key": uuid.uuid4().hex,
        "name": "João Pereira",
        "mobile": f"+{customer}",
    }
    async with stack.client("leads", headers=a.headers("ana")) as leads:

        async def added() -> str | None:  # the leads service learns the account's agents from the router's events
            answer = await leads.post("/leads", json=body)
            return answer.json()["lead_id"] if answer.status_code in (200, 201) else None

        lead_id = await eventually(added, "Add lead succeeds")
    async with stack.client("history", headers=a.headers()) as history:

        async def recorded() -> bool:
            return (await history.get(f"/leads/{lead_id}/timeline")).status_code == 200

        await eventually(recorded, "history has the lead's timeline")
    return Seeded(conversation_id, lead_id, customer)


def expired_token(account: Account) -> str:
    from datetime import UTC, datetime

    return account.token(now=datetime.now(UTC) - timedelta(days=2), ttl=timedelta(hours=1))
