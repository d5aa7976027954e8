"""A real leads process killed between the router's claim and its own commit: after a restart, one lead, same owner."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from leadline.events import LEAD_CREATED
from leadline.leads.adapters.tables import add_lead_sagas, lead_events
from leadline.leads.bootstrap import MIGRATIONS
from leadline.platform.db import create_engine
from leadline.platform.embedded import free_port
from leadline.platform.migrations import upgrade_to_head
from tests.integration.leads.conftest import JWT_SECRET, new_customer
from tests.kafka_helpers import wait_until
from tests.service_processes import spawn_service, wait_healthy


def spawn_leads(
    infra, url: str, port: int, router_url: str, *, crash_at: str | None, pending_timeout_s: float = 2
) -> subprocess.Popen[bytes]:
    return spawn_service(
        "leads",
        port=port,
        crash_at=crash_at,
        env={
            "DATABASE_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "JWT_SECRET": JWT_SECRET,
            "ROUTER_URL": router_url,
            "KAFKA_GROUP_PREFIX": f"killed-{uuid.uuid4().hex[:6]}-",
            "SAGA_PENDING_TIMEOUT_S": str(pending_timeout_s),
            "SAGA_RECOVERY_INTERVAL_S": "0.5",
            "LOG_LEVEL": "WARNING",
        },
    )


async def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Restarted:
    dealer: Any
    engine: Any
    port: int
    body: dict
    lead_id: str

    @property
    def conversation_id(self) -> str:
        return self.body["conversation_id"]


@pytest.fixture
async def killed_after_claim(services, infra, request):
    """A leads process that died right after the router granted its claim, restarted (recovery after ``param`` s)."""
    url = await infra.new_database("leads_killed")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url, pool_size=2)
    dealer = await services.dealer()
    conversation_id = await dealer.customer_writes(new_customer())
    port = free_port()
    doomed = spawn_leads(infra, url, port, services.router_url, crash_at="leads.after_claim")
    body = {
        "conversation_id": conversation_id,
        "idempotency_key": "click-before-the-crash",
        "name": "João Pereira",
        "mobile": "+5511987654321",
    }
    try:
        await wait_healthy(port)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=30, headers={"Authorization": f"Bearer {dealer.token('ana')}"}
        ) as client:
            with pytest.raises(httpx.TransportError):
                await client.post("/leads", json=body)
        assert await asyncio.to_thread(doomed.wait, 30) == -signal.SIGKILL
    finally:
        await stop(doomed)

    async with engine.connect() as connection:
        pending = (await connection.execute(select(add_lead_sagas.c.lead_id, add_lead_sagas.c.state))).one()
        assert pending.state == "pending"
        assert await connection.scalar(select(func.count()).select_from(lead_events)) == 0, "killed before publishing"
    async with dealer.router("diego") as admin:
        conversation = (await admin.get(f"/conversations/{conversation_id}")).json()
    assert conversation["owner_id"] == "ana" and conversation["lead_id"] == str(pending.lead_id), "the claim was made"

    survivor = spawn_leads(
        infra, url, port, services.router_url, crash_at=None, pending_timeout_s=getattr(request, "param", 2)
    )
    try:
        await wait_healthy(port)
        yield Restarted(dealer, engine, port, body, str(pending.lead_id))
    finally:
        await stop(survivor)
        await engine.dispose()


async def leads_created(engine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.scalars(select(lead_events.c.lead_id).where(lead_events.c.type == LEAD_CREATED))
        return [str(lead_id) for lead_id in rows]


async def test_after_a_restart_recovery_makes_the_lead_exactly_once_for_the_agent_who_claimed(killed_after_claim):
    restarted = killed_after_claim

    async def created() -> list[str]:
        return await leads_created(restarted.engine)

    assert await wait_until(created, timeout_s=30) == [restarted.lead_id]
    await asyncio.sleep(1.5)  # a few more recovery rounds change nothing
    assert await leads_created(restarted.engine) == [restarted.lead_id]
    async with restarted.dealer.router("ana") as ana:
        conversation = (await ana.get(f"/conversations/{restarted.conversation_id}")).json()
    assert conversation["owner_id"] == "ana" and conversation["lead_id"] == restarted.lead_id


@pytest.mark.parametrize("killed_after_claim", [60], indirect=True)  # recovery stays out of the way: the retry does it
async def test_after_a_restart_the_retried_save_finds_its_own_claim_and_nothing_is_made_twice(killed_after_claim):
    restarted = killed_after_claim
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{restarted.port}",
        headers={"Authorization": f"Bearer {restarted.dealer.token('ana')}"},
    ) as client:
        retried = await client.post("/leads", json=restarted.body)
        again = await client.post("/leads", json=restarted.body)
    assert retried.status_code == again.status_code == 201, retried.text
    assert retried.json()["lead_id"] == again.json()["lead_id"] == restarted.lead_id
    assert await leads_created(restarted.engine) == [restarted.lead_id]
    async with restarted.engine.connect() as connection:
        assert await connection.scalar(select(add_lead_sagas.c.state)) == "created"
