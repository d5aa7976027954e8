"""Fixtures for the account configuration tests: a migrated router database, its outbox, an admin API app."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.platform.access import Access
from leadline.platform.auth import TokenVerifier
from leadline.platform.db import create_engine, session_factory
from leadline.platform.http import install_error_handlers
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.tokens import mint_token
from leadline.router.adapters.account_directory import SqlAccountDirectory, SqlConfigurationUnitOfWork
from leadline.router.adapters.agent_rights import DirectoryRights
from leadline.router.bootstrap import MIGRATIONS
from leadline.router.entrypoints.admin import admin_router
from tests.conftest import REPO

DEV_ACCOUNTS = REPO / "deploy" / "dev" / "accounts.yaml"
ADMIN_SECRET = "account-configuration-test-secret"
OCCURRED_AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@dataclass
class ConfigurationDatabase:
    sessions: async_sessionmaker[AsyncSession]

    def uow(self) -> SqlConfigurationUnitOfWork:
        return SqlConfigurationUnitOfWork(self.sessions)

    @staticmethod
    def clock() -> datetime:
        return OCCURRED_AT

    async def read(self, method: str, *args: object) -> object:
        """Call one ``SqlAccountDirectory`` read in its own session."""
        async with self.sessions() as session:
            return await getattr(SqlAccountDirectory(session), method)(*args)

    async def events(self, account_id: str = "acme-motors") -> list[dict]:
        """Envelopes staged in the outbox on the account's stream, oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OUTBOX.c.envelope).where(OUTBOX.c.key == f"account:{account_id}").order_by(OUTBOX.c.id)
            )
            return [json.loads(row) for row in rows]


@pytest.fixture(scope="module")
async def configuration_database(infra):
    url = await infra.new_database("router_accounts")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url, pool_size=5)
    yield ConfigurationDatabase(session_factory(engine))
    await engine.dispose()


@pytest.fixture
async def db(configuration_database):
    """The module's database, emptied of accounts and events before each test."""
    async with configuration_database.sessions() as session, session.begin():
        await session.execute(text("TRUNCATE accounts, business_numbers, teams, agents, outbox"))
    return configuration_database


def admin_app(db: ConfigurationDatabase) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    access = Access(TokenVerifier(secret=ADMIN_SECRET), DirectoryRights(db.sessions))
    app.include_router(admin_router(db.sessions, access, clock=db.clock))
    return app


def client_as(
    app: FastAPI,
    *,
    agent_id: str = "diego",
    role: str = "admin",
    account_id: str = "acme-motors",
    token: str | None = None,
) -> httpx.AsyncClient:
    """An HTTP client for the admin app carrying a token for this agent (``token=""``: no header at all)."""
    if token is None:
        token = mint_token(
            secret=ADMIN_SECRET,
            agent_id=agent_id,
            name=agent_id.title(),
            role=role,
            account_id=account_id,
            teams=["vendas"],
        )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router", headers=headers)


@pytest.fixture
async def admin_api(db):
    """The admin API over an account loaded from the dev file; ``admin_api(role=..., account_id=...)`` gives a client."""
    from leadline.router.entrypoints.config_file import apply_configuration_file

    await apply_configuration_file(DEV_ACCOUNTS, uow=db.uow, clock=db.clock)
    app = admin_app(db)
    clients: list[httpx.AsyncClient] = []

    def make(**identity: str) -> httpx.AsyncClient:
        clients.append(client_as(app, **identity))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


def dev_file_text() -> str:
    return Path(DEV_ACCOUNTS).read_text(encoding="utf-8")
