"""The leads API follows the account directory: a change the router commits is in force here within a second.

The leads service learns the directory from the router's integration topic (``leadline.platform.directory``), so
each check waits at most a second for the change to arrive: a team change moves which leads a seller sees, a role
change makes an administrator, a deactivation refuses every endpoint with 401 ``agent_inactive`` — and all of it
holds with the router unreachable, since nothing here asks the router who anyone is.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import httpx

from leadline.router.domain.agents import Role
from leadline.router.service.configuration import upsert_agent
from tests.integration.leads.conftest import new_customer
from tests.integration.leads.test_add_lead_saga import leads_cut_off_from_the_router
from tests.kafka_helpers import wait_until

WITHIN_S = 1.0


async def changed(dealer, agent_id: str, *, active: bool = True, **what) -> None:
    """An administrator changes the agent in the router's directory (committed; its event goes out)."""
    agent = replace(dealer.agents[agent_id], **what)
    services = dealer.services
    assert await upsert_agent(
        dealer.account_id, agent, active=active, uow=services.router_config_uow, clock=services.clock
    )
    dealer.agents[agent_id] = agent


async def answers(dealer, agent_id: str, method: str, path: str, **kwargs) -> tuple[int, str | None]:
    async with dealer.leads(agent_id) as client:
        answer = await client.request(method, path, **kwargs)
    return answer.status_code, (answer.json().get("error") or {}).get("code") if answer.status_code >= 400 else None


async def within_a_second(dealer, agent_id: str, method: str, path: str, expected: tuple[int, str | None], **kwargs):
    async def in_force() -> bool:
        return await answers(dealer, agent_id, method, path, **kwargs) == expected

    await wait_until(in_force, timeout_s=WITHIN_S, interval_s=0.02)


async def test_a_seller_moved_to_another_team_stops_seeing_the_old_teams_leads_within_a_second(dealer):
    conversation_id = await dealer.customer_writes(new_customer())
    added = await dealer.add_lead("ana", conversation_id)
    lead = f"/leads/{added.json()['lead_id']}"
    assert await answers(dealer, "bruno", "GET", lead) == (200, None), "Vendas sees Ana's Vendas lead"

    await changed(dealer, "bruno", team_ids=frozenset({"oficina"}))
    await within_a_second(dealer, "bruno", "GET", lead, (404, "not_found"))

    await changed(dealer, "bruno", team_ids=frozenset({"vendas"}))
    await within_a_second(dealer, "bruno", "GET", lead, (200, None))


async def test_a_seller_made_an_administrator_administers_within_a_second_whatever_the_token_says(dealer):
    conversation_id = await dealer.customer_writes(new_customer())
    lead = f"/leads/{(await dealer.add_lead('ana', conversation_id)).json()['lead_id']}"
    assert await answers(dealer, "elisa", "GET", "/admin/conflicts") == (403, "forbidden")
    assert (await answers(dealer, "elisa", "GET", lead))[0] == 404

    token_before = dealer.token("elisa")  # minted as a seller: its role claim is never read
    await changed(dealer, "elisa", role=Role.ADMIN)
    await within_a_second(
        dealer, "elisa", "GET", "/admin/conflicts", (200, None), headers={"Authorization": f"Bearer {token_before}"}
    )
    assert await answers(dealer, "elisa", "GET", lead) == (200, None)


async def test_a_deactivated_seller_is_refused_everywhere_within_a_second_even_with_the_router_unreachable(
    dealer, infra
):
    conversation_id = await dealer.customer_writes(new_customer())
    lead = f"/leads/{(await dealer.add_lead('ana', conversation_id)).json()['lead_id']}"
    other_conversation = await dealer.customer_writes(new_customer())

    async with leads_cut_off_from_the_router(dealer.services, infra) as cut_off:

        async def cut_off_answers() -> tuple[int, str | None]:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=cut_off),
                base_url="http://leads",
                headers={"Authorization": f"Bearer {dealer.token('ana')}"},
            ) as client:
                answer = await client.get(lead)
            return answer.status_code, (answer.json().get("error") or {}).get(
                "code"
            ) if answer.status_code >= 400 else None

        assert await cut_off_answers() == (200, None), "the router being down does not matter to who Ana is"
        await changed(dealer, "ana", active=False)
        await within_a_second(dealer, "ana", "GET", lead, (401, "agent_inactive"))

        async def refused_there_too() -> bool:
            return await cut_off_answers() == (401, "agent_inactive")

        await wait_until(refused_there_too, timeout_s=WITHIN_S, interval_s=0.02)

    refused = {
        "lead": await answers(dealer, "ana", "GET", lead),
        "business numbers": await answers(dealer, "ana", "GET", f"{lead}/business-numbers"),
        "transfer": await answers(
            dealer, "ana", "POST", f"{lead}/transfer", json={"to_agent_id": "bruno", "to_team_id": "vendas"}
        ),
        "lead form": await answers(dealer, "ana", "GET", f"/conversations/{other_conversation}/lead-form"),
        "add lead": await answers(
            dealer,
            "ana",
            "POST",
            "/leads",
            json={
                "conversation_id": other_conversation,
                "idempotency_key": uuid.uuid4().hex,
                "name": "João",
                "mobile": "+5511987654321",
            },
        ),
        "conflicts": await answers(dealer, "ana", "GET", "/admin/conflicts"),
    }
    assert refused == dict.fromkeys(refused, (401, "agent_inactive"))
    assert await answers(dealer, "bruno", "GET", lead) == (200, None), "her team mates keep her leads"
