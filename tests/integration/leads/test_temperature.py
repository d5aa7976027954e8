"""The thermometer follows a scripted conversation: warm on arrival, hot in a lively talk, cooling while ignored and after the end."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from leadline.events import LEAD_TEMPERATURE_CHANGED
from leadline.leads.adapters.tables import conversation_activity
from leadline.leads.service.cooling import reassess_due_leads
from tests.integration.leads.conftest import new_customer
from tests.kafka_helpers import wait_until


async def seen_by_leads(dealer, conversation_id: str, **expected) -> None:
    """Wait until the leads service has folded the router's events up to this point."""

    async def caught_up() -> bool:
        async with dealer.services.leads_app.state.runtime.sessions() as session:
            row = (
                await session.execute(
                    select(conversation_activity).where(
                        conversation_activity.c.conversation_id == UUID(conversation_id)
                    )
                )
            ).first()
        return row is not None and all(getattr(row, name) == value for name, value in expected.items())

    await wait_until(caught_up, timeout_s=20)


async def temperatures(dealer, lead_id: str) -> list[tuple[str | None, str]]:
    return [
        (e["payload"]["from_temperature"], e["payload"]["to_temperature"])
        for e in await dealer.published(lead_id, LEAD_TEMPERATURE_CHANGED)
    ]


async def cool_down(dealer, **delta: float) -> None:
    dealer.services.clock.advance(**delta)
    await reassess_due_leads(
        uow=dealer.services.leads_uow, clock=dealer.services.clock, rules=dealer.services.leads_app.state.rules
    )


async def test_a_scripted_conversation_warms_heats_and_cools_the_lead_with_its_reasons(dealer):
    clock = dealer.services.clock
    wa_id = new_customer()
    conversation_id = await dealer.customer_writes(wa_id, "Oi, vi o anúncio do Pulse")
    lead_id = (await dealer.add_lead("ana", conversation_id, mobile=wa_id)).json()["lead_id"]
    assert await temperatures(dealer, lead_id) == [(None, "warm")], "a customer who just wrote is warm"

    script = [
        ("dealership", "Olá! Sou a Ana, posso ajudar?"),
        ("customer", "Qual o valor à vista?"),
        ("dealership", "R$ 119.990, com IPVA pago."),
        ("customer", "Dá para simular em 48x?"),
    ]
    for n, (who, text) in enumerate(script, start=1):
        clock.advance(minutes=2)
        if who == "customer":
            await dealer.customer_writes(wa_id, text)
        else:
            await dealer.dealership_answers(wa_id, text)
        await seen_by_leads(dealer, conversation_id, exchanges=n)
    assert await temperatures(dealer, lead_id) == [(None, "warm"), ("warm", "hot")], "four turns in a few minutes: hot"
    hot = (await dealer.lead(lead_id))["temperature"]
    assert hot["value"] == "hot" and "4 trocas de mensagens" in hot["reasons"][0]

    await cool_down(dealer, minutes=40)  # nobody answers the customer
    assert (await temperatures(dealer, lead_id))[-1] == ("hot", "warm")
    assert "Cliente aguarda resposta há 40 min" in (await dealer.lead(lead_id))["temperature"]["reasons"]

    await dealer.dealership_answers(wa_id, "Simulação enviada por e-mail!")
    async with dealer.router("ana") as ana:
        assert (await ana.post(f"/conversations/{conversation_id}/finish")).status_code == 200
    await seen_by_leads(dealer, conversation_id, open=False)
    assert len(await temperatures(dealer, lead_id)) == 3, "answered and finished: still warm, no news"

    await cool_down(dealer, hours=25)
    assert (await temperatures(dealer, lead_id))[-1] == ("warm", "cold")
    cold = (await dealer.lead(lead_id))["temperature"]
    assert cold["value"] == "cold" and cold["reasons"][0].startswith("Cliente escreveu há")
    assert any(reason.startswith("Conversa encerrada há") for reason in cold["reasons"])


async def test_a_customer_who_goes_quiet_for_days_turns_the_lead_cold(dealer):
    wa_id = new_customer()
    conversation_id = await dealer.customer_writes(wa_id)
    lead_id = (await dealer.add_lead("ana", conversation_id, mobile=wa_id)).json()["lead_id"]
    await dealer.dealership_answers(wa_id, "Olá! Posso ajudar?")
    await seen_by_leads(dealer, conversation_id, exchanges=1)
    await cool_down(dealer, days=3, minutes=1)
    assert (await temperatures(dealer, lead_id))[-1] == ("warm", "cold")
    assert (await dealer.lead(lead_id))["temperature"]["reasons"][0] == "Cliente sem escrever há 3 dias"
