"""The lead as agents reach it: who sees it, transfers the router applies, business numbers, the conversations list."""

from __future__ import annotations

import uuid

from leadline.events import CONVERSATION_ATTACHED_TO_LEAD, LEAD_TRANSFERRED
from tests.integration.leads.conftest import new_customer
from tests.kafka_helpers import wait_until


async def new_lead(dealer, agent: str = "ana") -> tuple[str, str, str]:
    wa_id = new_customer()
    conversation_id = await dealer.customer_writes(wa_id)
    answer = await dealer.add_lead(agent, conversation_id, mobile=wa_id)
    assert answer.status_code == 201, answer.text
    return answer.json()["lead_id"], conversation_id, wa_id


async def test_every_endpoint_needs_a_bearer_token(dealer):
    async with dealer.leads() as anonymous:
        spec = (await anonymous.get("/openapi.json")).json()
        answers = []
        for path, methods in spec["paths"].items():
            url = (
                path.replace("{conversation_id}", str(uuid.uuid4()))
                .replace("{lead_id}", str(uuid.uuid4()))
                .replace("{conflict_id}", str(uuid.uuid4()))
            )
            for method in methods:
                answers.append((method, path, (await anonymous.request(method, url, json={})).status_code))
    assert {
        "/leads",
        "/leads/{lead_id}",
        "/conversations/{conversation_id}/lead-form",
        "/admin/conflicts/{conflict_id}/resolve",
    } <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert [a for a in answers if a[2] != 401] == []


async def test_a_lead_is_seen_by_its_owner_its_team_and_admins_and_is_a_404_for_everyone_else(services, dealer):
    lead_id, _, _ = await new_lead(dealer)
    another_dealer = await services.dealer()
    async with (
        dealer.leads("bruno") as team_mate,
        dealer.leads("diego") as admin,
        dealer.leads("elisa") as other_team,
        another_dealer.leads("diego") as other_account,
    ):
        assert (await team_mate.get(f"/leads/{lead_id}")).status_code == 200
        assert (await admin.get(f"/leads/{lead_id}")).status_code == 200
        for client in (other_team, other_account):
            for path in (f"/leads/{lead_id}", f"/leads/{lead_id}/business-numbers"):
                assert (await client.get(path)).status_code == 404
            assert (
                await client.post(f"/leads/{lead_id}/transfer", json={"to_agent_id": "bruno", "to_team_id": "vendas"})
            ).status_code == 404
        assert (await admin.get(f"/leads/{uuid.uuid4()}")).status_code == 404
        assert (await admin.get("/leads/not-a-uuid")).status_code == 404


async def test_the_owner_transfers_the_lead_and_the_router_hands_over_its_conversation(dealer):
    lead_id, conversation_id, _ = await new_lead(dealer)
    async with dealer.leads("bruno") as not_owner, dealer.leads("ana") as owner:
        refused = await not_owner.post(
            f"/leads/{lead_id}/transfer", json={"to_agent_id": "bruno", "to_team_id": "vendas"}
        )
        wrong_team = await owner.post(
            f"/leads/{lead_id}/transfer", json={"to_agent_id": "carla", "to_team_id": "vendas"}
        )
        moved = await owner.post(f"/leads/{lead_id}/transfer", json={"to_agent_id": "carla", "to_team_id": "seminovos"})
    assert refused.status_code == 403
    assert wrong_team.status_code == 422 and wrong_team.json()["error"]["code"] == "unknown_agent"
    assert moved.status_code == 200, moved.text
    assert (
        moved.json()["responsible_agent"] == {"id": "carla", "name": "Carla Dias"}
        and moved.json()["team_id"] == "seminovos"
    )
    [event] = await dealer.published(lead_id, LEAD_TRANSFERRED)
    assert event["payload"]["from_team_id"] == "vendas" and event["payload"]["to_agent"]["id"] == "carla"

    async def router_applied() -> bool:
        async with dealer.router("diego") as admin:
            return (await admin.get(f"/conversations/{conversation_id}")).json()["owner_id"] == "carla"

    await wait_until(router_applied)


async def test_a_transfer_retried_after_its_answer_was_lost_is_answered_as_done_and_changes_nothing(dealer):
    lead_id, _, _ = await new_lead(dealer)
    async with dealer.leads("ana") as former_owner:
        first = await former_owner.post(
            f"/leads/{lead_id}/transfer", json={"to_agent_id": "bruno", "to_team_id": "vendas"}
        )
        retried = await former_owner.post(
            f"/leads/{lead_id}/transfer", json={"to_agent_id": "bruno", "to_team_id": "vendas"}
        )
        elsewhere = await former_owner.post(
            f"/leads/{lead_id}/transfer", json={"to_agent_id": "carla", "to_team_id": "seminovos"}
        )
    assert first.status_code == 200 and retried.status_code == 200, retried.text
    assert retried.json()["responsible_agent"]["id"] == "bruno"
    assert elsewhere.status_code == 403, "no longer hers to send anywhere else"
    assert len(await dealer.published(lead_id, LEAD_TRANSFERRED)) == 1


async def test_business_numbers_are_those_of_the_leads_team(dealer):
    lead_id, _, _ = await new_lead(dealer)
    async with dealer.leads("ana") as ana:
        numbers = (await ana.get(f"/leads/{lead_id}/business-numbers")).json()
        await ana.post(f"/leads/{lead_id}/transfer", json={"to_agent_id": "carla", "to_team_id": "seminovos"})
    async with dealer.leads("carla") as carla:
        after = (await carla.get(f"/leads/{lead_id}/business-numbers")).json()
    assert numbers["team_id"] == "vendas" and [n["phone_number_id"] for n in numbers["items"]] == [dealer.shared]
    assert numbers["items"][0] == {
        "phone_number_id": dealer.shared,
        "display_phone_number": "+55 11 4000-0001",
        "name": "Acme Motors",
    }
    assert sorted(n["phone_number_id"] for n in after["items"]) == sorted([dealer.shared, dealer.used_cars])


async def test_a_returning_customer_routed_to_the_owner_joins_the_lead_and_the_open_conversation_comes_first(dealer):
    lead_id, first, wa_id = await new_lead(dealer)
    async with dealer.router("ana") as ana:
        assert (await ana.post(f"/conversations/{first}/finish")).status_code == 200
    second = await dealer.customer_writes(wa_id, "Voltei! Ainda tem aquele carro?")  # straight to Ana: no Add lead

    async def listed() -> list[str]:
        # the first conversation's finish and the second's attach are separate events on separate keys:
        # wait until both have been applied, then check the order and the open flags
        lead = await dealer.lead(lead_id)
        settled = len(lead["conversion_points"]) == 2 and [c["open"] for c in lead["conversations"]] == [True, False]
        return [c["conversation_id"] for c in lead["conversations"]] if settled else []

    assert await wait_until(listed) == [second, first]
    lead = await dealer.lead(lead_id)
    assert [c["open"] for c in lead["conversations"]] == [True, False]
    assert lead["conversion_points"][1]["first_message_text"] == "Voltei! Ainda tem aquele carro?"
    assert [
        e["payload"]["conversation_id"] for e in await dealer.published(lead_id, CONVERSATION_ATTACHED_TO_LEAD)
    ] == [second]
