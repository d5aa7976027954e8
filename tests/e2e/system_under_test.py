"""The whole system as `make run` starts it, with the faults the whole-system suite injects.

Faults: ``kill9`` + ``respawn`` a service; ``freeze_broker`` (SIGSTOP/SIGCONT: the broker answers nothing, and
keeps its log — the embedded broker's memory storage would lose it on a real stop, which says nothing about
leadline); ``stop_broker``/``start_broker`` (a real stop, for what must hold without any broker);
``drop_database_connections`` of one service.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from leadline.cli.stack import DEFAULT_PORTS, Stack, StackConfig
from leadline.platform.db import asyncpg_url, connect_raw
from leadline.platform.embedded import free_port
from leadline.platform.settings import KafkaSettings, ServiceSettings
from leadline.platform.tokens import mint_token
from leadline.platform.topic_admin import ensure_topics
from tests.infrastructure import SUITE_ONLY_ENVIRONMENT

ACCOUNT = "acme-motors"  # deploy/dev/accounts.yaml, applied by the router at start-up
HARNESS = "leadline-fault-harness"  # the test's own connections, which a dropped-connections fault leaves alone
AGENTS = {"ana": ("Ana Souza", "seller", ["vendas"]), "bruno": ("Bruno Lima", "seller", ["vendas"])}


@dataclass
class SystemUnderTest:
    var_dir: Path
    stack: Stack = field(init=False)
    engines: dict[str, AsyncEngine] = field(default_factory=dict)
    databases: dict[str, str] = field(default_factory=dict)
    suite_environment: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ports = {name: free_port() for name in DEFAULT_PORTS}
        self.stack = Stack(StackConfig(var_dir=self.var_dir, kafka_port=free_port(), ports=ports), say=lambda *_: None)

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        # the children (and those respawned) get the embedded broker, database and defaults, as with `make run`
        self.suite_environment = {name: os.environ.pop(name) for name in SUITE_ONLY_ENVIRONMENT if name in os.environ}
        await asyncio.to_thread(self.stack.start)
        self.databases = json.loads((self.var_dir / "stack.json").read_text())["databases"]
        self.engines = {
            service: create_async_engine(
                asyncpg_url(url),
                pool_size=2,
                pool_pre_ping=True,
                connect_args={"server_settings": {"application_name": HARNESS}},
            )
            for service, url in self.databases.items()
        }
        await self.until_leads_knows_the_agents()

    async def until_leads_knows_the_agents(self, within_s: float = 60.0) -> None:
        """The router publishes the account's directory at start-up; leads learns it from the integration topic, a
        consumer group join or two later. A transfer to an agent leads does not know yet is refused (422
        ``unknown_agent``), so the workload starts once the directory has reached leads, as a dealer's first day does."""
        deadline = asyncio.get_running_loop().time() + within_s
        while len(
            await self.rows(
                "leads",
                "SELECT agent_id FROM agents WHERE account_id = :account AND active AND agent_id = ANY(:agents)",
                account=ACCOUNT,
                agents=list(AGENTS),
            )
        ) < len(AGENTS):
            assert asyncio.get_running_loop().time() < deadline, f"leads never learnt the agents {sorted(AGENTS)}"
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()
        await asyncio.to_thread(self.stack.stop)
        os.environ.update(self.suite_environment)

    def url(self, name: str) -> str:
        return self.stack.config.url(name)

    @property
    def bootstrap_servers(self) -> str:
        return self.stack.bootstrap_servers

    def token(self, agent_id: str) -> str:
        name, role, teams = AGENTS[agent_id]
        return mint_token(
            secret=ServiceSettings().jwt_secret.get_secret_value(),
            agent_id=agent_id,
            name=name,
            role=role,
            account_id=ACCOUNT,
            teams=teams,
        )

    # --- faults ------------------------------------------------------------------------------------------
    async def kill9(self, service: str) -> None:
        child = self.stack.children[service]
        child.send_signal(signal.SIGKILL)
        await asyncio.to_thread(child.wait)

    async def respawn(self, service: str) -> None:
        await asyncio.to_thread(self.stack.respawn, service)

    async def freeze_broker(self, seconds: float) -> None:
        broker = self.stack.kafka.process
        broker.send_signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            broker.send_signal(signal.SIGCONT)

    async def stop_broker(self) -> None:
        await asyncio.to_thread(self.stack.kafka.stop)

    async def start_broker(self) -> None:
        """A fresh embedded broker on the same port, its topics created before any service can publish: the embedded
        broker creates an unknown topic on first produce with its own partition count (Apache Kafka keeps its topics)."""
        children = [child for child in self.stack.children.values() if child.poll() is None]
        for child in children:
            child.send_signal(signal.SIGSTOP)
        try:
            await asyncio.to_thread(self.stack.kafka.start)
            await ensure_topics(KafkaSettings(kafka_bootstrap_servers=self.bootstrap_servers))
        finally:
            for child in children:
                child.send_signal(signal.SIGCONT)

    async def drop_database_connections(self, service: str) -> int:
        """Terminate every connection the service holds to its database (not the test's own); returns how many."""
        admin = await connect_raw(self.databases[service])
        try:
            return len(
                await admin.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND application_name NOT LIKE 'pg_%' AND application_name <> $1",
                    HARNESS,
                )
            )
        finally:
            await admin.close()

    # --- reading the projections -------------------------------------------------------------------------
    async def rows(self, service: str, sql: str, **params) -> list:
        async with self.engines[service].connect() as connection:
            return list((await connection.execute(text(sql), params)).all())
