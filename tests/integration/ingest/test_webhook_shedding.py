"""Load shedding on the real broker and database: past INGEST_MAX_WEBHOOKS_IN_FLIGHT a webhook is answered 503 with
Retry-After at once and nothing of it is stored; the probes still answer; the sender's retry is stored exactly once.

A webhook is held in flight deterministically: its unit of work's commit waits for a gate the test opens. Only the
commits of requests whose ``X-Request-Id`` starts with ``hold-`` wait (the request id rides in the request's context,
also into the group commit's writer task it starts), so the service's own background rounds never do.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import structlog
from prometheus_client import REGISTRY as METRICS
from sqlalchemy import func, select

from leadline.fakegraph import webhooks as wh
from leadline.fakegraph.evolution import payloads as evo
from leadline.ingest.adapters.tables import quarantined_deliveries, webhook_deliveries
from leadline.ingest.adapters.unit_of_work import SqlUnitOfWork
from leadline.ingest.bootstrap import MIGRATIONS, build
from leadline.platform.db import create_engine, session_factory
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head
from tests.integration.ingest.conftest import APP_SECRET, ingest_settings
from tests.integration.ingest.test_webhooks import BUSINESS, new_customer, stream_of

HELD = "hold-"


class CommitGate:
    """Commits of held requests wait while the gate is closed; ``waiting`` says one does."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.opened.set()
        self.waiting = asyncio.Event()

    async def pass_(self) -> None:
        if structlog.contextvars.get_contextvars().get("request_id", "").startswith(HELD):
            self.waiting.set()
            await self.opened.wait()


class GatedUnitOfWork(SqlUnitOfWork):
    def __init__(self, sessions, gate: CommitGate) -> None:
        super().__init__(sessions)
        self._gate = gate

    async def commit(self) -> None:
        await self._gate.pass_()
        await super().commit()


@dataclass
class Shedding:
    client: httpx.AsyncClient
    engine: object
    gate: CommitGate

    async def post(self, customer: str, *, request_id: str | None = None) -> httpx.Response:
        message = wh.text_message(customer, "Oi, ainda tem o Onix?", wamid=f"wamid.shed{customer}")
        body, headers = wh.signed_request(wh.WebhookBuilder(BUSINESS).inbound(message), APP_SECRET)
        if request_id is not None:
            headers["X-Request-Id"] = request_id
        return await self.client.post("/webhooks/whatsapp", content=body, headers=headers)

    async def count(self, table, *where) -> int:
        async with self.engine.connect() as connection:
            return await connection.scalar(select(func.count()).select_from(table).where(*where))

    async def stored_of(self, customer: str) -> int:
        return await self.count(OUTBOX, OUTBOX.c.key == stream_of(customer))

    @asynccontextmanager
    async def one_held(self) -> AsyncIterator[None]:
        """A webhook in flight, its commit waiting, for the block; then let through and answered 200."""
        self.gate.opened.clear()
        self.gate.waiting.clear()
        held = asyncio.create_task(self.post(new_customer(), request_id=f"{HELD}{uuid.uuid4().hex}"))
        try:
            await asyncio.wait_for(self.gate.waiting.wait(), timeout=10)
            yield
        finally:
            self.gate.opened.set()
            assert (await held).status_code == 200


@pytest.fixture(scope="module")
async def shedding(infra, tmp_path_factory) -> AsyncIterator[Shedding]:
    url = await infra.new_database("ingest_shed")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url, pool_size=4)
    gate = CommitGate()
    sessions = session_factory(engine)
    settings = ingest_settings(
        infra,
        url,
        ingest_max_webhooks_in_flight=1,
        evolution_api_keys_dir=str(tmp_path_factory.mktemp("evolution-api-keys")),
    )
    app = build(settings, unit_of_work=lambda: GatedUnitOfWork(sessions, gate))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:
            yield Shedding(client, engine, gate)
    await engine.dispose()


def shed_so_far() -> float:
    return METRICS.get_sample_value("leadline_ingest_webhooks_shed_total") or 0.0


async def test_a_webhook_under_the_bound_is_stored_as_before(shedding):
    customer = new_customer()
    response = await shedding.post(customer)
    assert (response.status_code, response.json()["events"]) == (200, 1)
    assert await shedding.stored_of(customer) == 1


async def test_past_the_bound_a_webhook_is_refused_at_once_with_503_and_retry_after_and_nothing_is_stored(shedding):
    customer, shed_before = new_customer(), shed_so_far()
    async with shedding.one_held():
        archived = await shedding.count(webhook_deliveries)
        quarantined = await shedding.count(quarantined_deliveries)
        refused = await shedding.post(customer)
        evolution = await shedding.client.post(
            "/webhooks/evolution/5511934567890",
            json=evo.envelope("messages.upsert", "acme-usados", {}, apikey="any"),
        )
        assert (refused.status_code, refused.headers["retry-after"]) == (503, "1")
        assert refused.json()["error"]["code"] == "overloaded"
        assert (evolution.status_code, evolution.headers["retry-after"]) == (503, "1"), "one bound for both doors"
        assert await shedding.count(webhook_deliveries) == archived
        assert await shedding.count(quarantined_deliveries) == quarantined
    assert shed_so_far() - shed_before == 2
    assert await shedding.stored_of(customer) == 0


async def test_the_probes_and_metrics_still_answer_while_webhooks_are_shed(shedding):
    async with shedding.one_held():
        assert (await shedding.post(new_customer())).status_code == 503
        assert (await shedding.client.get("/healthz")).status_code == 200
        assert (await shedding.client.get("/readyz")).status_code == 200
        metrics = await shedding.client.get("/metrics")
        assert metrics.status_code == 200
        assert "leadline_ingest_webhooks_in_flight 1.0" in metrics.text


async def test_a_shed_webhook_retried_later_is_stored_exactly_once(shedding):
    customer = new_customer()
    async with shedding.one_held():
        assert (await shedding.post(customer)).status_code == 503
    retried = await shedding.post(customer)  # as Meta does, after Retry-After
    assert (retried.status_code, retried.json()["events"]) == (200, 1)
    again = await shedding.post(customer)  # and Meta's own duplicate delivery of it changes nothing
    assert (again.status_code, again.json()["duplicates"]) == (200, 1)
    assert await shedding.stored_of(customer) == 1
