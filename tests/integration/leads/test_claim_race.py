"""Add lead under contention: twenty agents press it on one conversation at once; the router's claim decides."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from leadline.events import LEAD_CREATED, LEADS_LEADS
from leadline.leads.adapters.tables import add_lead_sagas
from tests.integration.leads.conftest import new_customer
from tests.kafka_helpers import keyed, read_topic


async def test_twenty_agents_adding_one_conversation_make_exactly_one_lead_and_nineteen_409s_naming_the_owner(services):
    dealer = await services.dealer(extra_sellers=20)
    conversation_id = await dealer.customer_writes(new_customer())
    answers = await asyncio.gather(*(dealer.add_lead(f"seller{n}", conversation_id) for n in range(20)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(201) == 1 and statuses.count(409) == 19, [a.text for a in answers if a.status_code != 409]
    [won] = [answer.json() for answer in answers if answer.status_code == 201]
    async with dealer.router("diego") as admin:
        conversation = (await admin.get(f"/conversations/{conversation_id}")).json()
    assert conversation["lead_id"] == won["lead_id"]
    owner = {"id": conversation["owner_id"], "name": conversation["owner_name"]}
    refusals = [answer.json()["error"] for answer in answers if answer.status_code == 409]
    assert {r["code"] for r in refusals} == {"already_claimed"}
    assert all(r["details"]["owner"] == owner for r in refusals)

    created = await dealer.published(event_type=LEAD_CREATED)
    assert [e["stream_id"] for e in created] == [won["lead_id"]]
    async with services.leads_app.state.runtime.sessions() as session:
        sagas = (
            await session.execute(
                select(add_lead_sagas.c.lead_id, add_lead_sagas.c.state).where(
                    add_lead_sagas.c.account_id == dealer.account_id
                )
            )
        ).all()
    assert sorted(state for _, state in sagas) == ["abandoned"] * 19 + ["created"]
    losers = [str(lead_id) for lead_id, state in sagas if state == "abandoned"]
    published = await read_topic(
        services.leads_app.state.runtime.settings.kafka_bootstrap_servers,
        LEADS_LEADS,
        expected=1,
        timeout_s=3,
        where=keyed(won["lead_id"], *losers),
    )
    assert {record.key.decode() for record in published} == {won["lead_id"]}, "no abandoned lead ever left"
