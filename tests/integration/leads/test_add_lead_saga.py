"""The Add lead saga's guarantees when things fail half-way: router unreachable, a claim without its commit, late claims."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from sqlalchemy import select

from leadline.events import CONVERSATION_ATTACHED_TO_LEAD, LEAD_CREATED
from leadline.leads.adapters.tables import add_lead_sagas
from leadline.leads.bootstrap import build as build_leads
from leadline.leads.service.recovery import recover_stale_sagas
from leadline.platform.embedded import free_port
from tests.integration.leads.conftest import leads_settings, new_customer
from tests.kafka_helpers import wait_until


@contextlib.asynccontextmanager
async def leads_cut_off_from_the_router(services, infra) -> AsyncIterator[httpx.AsyncClient]:
    """The same leads database behind a replica whose router address answers nothing (a dead port); only its account
    directory runs (it authorizes the callers), the rest of its runtime is never started."""
    app = build_leads(
        leads_settings(infra, services.database_url, f"http://127.0.0.1:{free_port()}"), clock=services.clock
    )
    directory = asyncio.create_task(app.state.access.directory.run())
    try:
        await asyncio.wait_for(app.state.access.directory.caught_up.wait(), 30)
        yield app
    finally:
        directory.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await directory
        await app.state.ctx.router.aclose()
        await app.state.runtime.engine.dispose()


async def save_through(app, dealer, agent_id: str, conversation_id: str, key: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://leads",
        headers={"Authorization": f"Bearer {dealer.token(agent_id)}"},
    ) as client:
        return await client.post(
            "/leads",
            json={
                "conversation_id": conversation_id,
                "idempotency_key": key,
                "name": "João Pereira",
                "mobile": "+5511987654321",
            },
        )


async def saga(dealer, key: str) -> dict:
    async with dealer.services.leads_app.state.runtime.sessions() as session:
        row = (
            await session.execute(
                select(add_lead_sagas).where(
                    add_lead_sagas.c.account_id == dealer.account_id, add_lead_sagas.c.idempotency_key == key
                )
            )
        ).first()
    return dict(row._mapping)


async def claim_directly(dealer, agent_id: str, conversation_id: str, lead_id: str) -> httpx.Response:
    """The router's claim as it lands when the leads process that asked for it died before committing."""
    async with dealer.router(agent_id) as client:
        return await client.post(f"/conversations/{conversation_id}/claim", json={"lead_id": lead_id})


async def recover_after_the_timeout(services) -> None:
    services.clock.advance(seconds=11)
    await recover_stale_sagas(services.leads_app.state.recovery)


async def test_with_the_router_unreachable_the_save_is_a_503_and_the_lead_waits_pending_for_the_retry(dealer, infra):
    conversation_id = await dealer.customer_writes(new_customer())
    async with leads_cut_off_from_the_router(dealer.services, infra) as cut_off:
        # the form was read while the router still answered; the save finds it gone
        refused = await save_through(cut_off, dealer, "ana", conversation_id, "k1")
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "router_unavailable"
    assert (await saga(dealer, "k1"))["state"] == "pending"
    assert await dealer.published(event_type=LEAD_CREATED) == []

    retried = await dealer.add_lead("ana", conversation_id, key="k1")
    assert retried.status_code == 201
    assert str((await saga(dealer, "k1"))["lead_id"]) == retried.json()["lead_id"]
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 1


async def test_a_retry_after_a_crash_between_claim_and_commit_finds_its_own_claim_and_makes_the_lead_once(
    dealer, infra
):
    conversation_id = await dealer.customer_writes(new_customer())
    async with leads_cut_off_from_the_router(dealer.services, infra) as cut_off:
        await save_through(cut_off, dealer, "ana", conversation_id, "k2")
    lead_id = str((await saga(dealer, "k2"))["lead_id"])
    assert (await claim_directly(dealer, "ana", conversation_id, lead_id)).status_code == 200

    retried = await dealer.add_lead("ana", conversation_id, key="k2")  # the router answers 409 naming ana herself
    assert retried.status_code == 201 and retried.json()["lead_id"] == lead_id
    assert [e["stream_id"] for e in await dealer.published(event_type=LEAD_CREATED)] == [lead_id]


async def test_recovery_publishes_a_pending_lead_whose_claim_the_router_granted(dealer, infra):
    conversation_id = await dealer.customer_writes(new_customer(), "Tem Tracker 2025 à pronta entrega?")
    async with leads_cut_off_from_the_router(dealer.services, infra) as cut_off:
        await save_through(cut_off, dealer, "ana", conversation_id, "k3")
    lead_id = str((await saga(dealer, "k3"))["lead_id"])
    assert (await claim_directly(dealer, "ana", conversation_id, lead_id)).status_code == 200

    await recover_after_the_timeout(dealer.services)
    assert (await saga(dealer, "k3"))["state"] == "created"
    lead = await dealer.lead(lead_id, "ana")
    assert lead["responsible_agent"]["id"] == "ana"
    assert lead["conversion_points"][0]["first_message_text"] == "Tem Tracker 2025 à pronta entrega?"
    assert len(await dealer.published(lead_id, LEAD_CREATED)) == 1


async def test_recovery_abandons_a_pending_lead_someone_else_claimed_and_the_retry_is_told_who(dealer, infra):
    conversation_id = await dealer.customer_writes(new_customer())
    async with leads_cut_off_from_the_router(dealer.services, infra) as cut_off:
        await save_through(cut_off, dealer, "ana", conversation_id, "k4")
    assert (await claim_directly(dealer, "bruno", conversation_id, None)).status_code == 200

    await recover_after_the_timeout(dealer.services)
    assert (await saga(dealer, "k4"))["state"] == "abandoned"
    retried = await dealer.add_lead("ana", conversation_id, key="k4")
    assert retried.status_code == 409
    assert retried.json()["error"]["details"]["owner"] == {"id": "bruno", "name": "Bruno Lima"}
    assert await dealer.published(event_type=LEAD_CREATED) == []


async def test_an_unclaimed_pending_lead_is_abandoned_and_the_same_save_may_start_over(dealer, infra):
    conversation_id = await dealer.customer_writes(new_customer())
    async with leads_cut_off_from_the_router(dealer.services, infra) as cut_off:
        await save_through(cut_off, dealer, "ana", conversation_id, "k5")
    await recover_after_the_timeout(dealer.services)
    assert (await saga(dealer, "k5"))["abandon_reason"] == "unclaimed"

    retried = await dealer.add_lead("ana", conversation_id, key="k5")
    assert retried.status_code == 201
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 1


async def test_a_claim_that_lands_after_recovery_gave_up_still_makes_its_lead(dealer, infra):
    conversation_id = await dealer.customer_writes(new_customer())
    async with leads_cut_off_from_the_router(dealer.services, infra) as cut_off:
        await save_through(cut_off, dealer, "ana", conversation_id, "k6")
    await recover_after_the_timeout(dealer.services)
    lead_id = str((await saga(dealer, "k6"))["lead_id"])
    assert (await claim_directly(dealer, "ana", conversation_id, lead_id)).status_code == 200  # a slow request, late

    async def made() -> bool:
        return (await saga(dealer, "k6"))["state"] == "created"

    await wait_until(made)
    assert [e["stream_id"] for e in await dealer.published(event_type=LEAD_CREATED)] == [lead_id]
    assert await dealer.published(event_type=CONVERSATION_ATTACHED_TO_LEAD) == []
