"""The channel's rules on a WhatsApp Web (Evolution) number: no 24-hour window (the router never refuses a reply for
it, and the page is told there is none to show) and no templates."""

from __future__ import annotations

import itertools

from leadline.router.domain.agents import BusinessNumber, EvolutionInstance, Provider
from leadline.router.service.configuration import register_business_number
from tests.integration.router.conftest import new_customer

_numbers = itertools.count(5511934000000)


async def with_evolution_number(router, dealer) -> str:
    number = str(next(_numbers))
    await register_business_number(
        dealer.account_id,
        BusinessNumber(
            number,
            number,
            "Acme Usados",
            frozenset({"vendas"}),
            provider=Provider.EVOLUTION,
            evolution=EvolutionInstance("http://evolution.test", f"usados-{number}", "acme-usados"),
        ),
        uow=router.config_uow,
        clock=router.clock,
    )
    return number


async def test_two_days_after_the_customer_wrote_an_evolution_number_still_answers_in_free_text(router):
    dealer = await router.dealer()
    number = await with_evolution_number(router, dealer)
    conversation = await dealer.open_conversation(new_customer(), number=number)
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation}/claim", json={})
        router.clock.advance(hours=48)
        shown = (await ana.get(f"/conversations/{conversation}")).json()
        offered = (await ana.get(f"/conversations/{conversation}/templates")).json()
        reply = await ana.post(
            f"/conversations/{conversation}/messages",
            json={"idempotency_key": "late", "content": {"kind": "text", "body": "Ainda tenho o Onix, quer ver?"}},
        )
        template = await ana.post(
            f"/conversations/{conversation}/messages",
            json={
                "idempotency_key": "template",
                "content": {"kind": "template", "name": "follow_up", "language": "pt_BR", "parameters": []},
            },
        )

    assert shown["service_window"] == {"applies": False, "open": True, "closes_at": None}
    assert offered == {"service_window": shown["service_window"], "items": [], "synced_at": None, "available": False}
    assert reply.status_code == 202, reply.text
    assert (template.status_code, template.json()["error"]["code"]) == (422, "no_templates_on_number")


async def test_the_cloud_api_number_of_the_same_account_keeps_its_window(router):
    dealer = await router.dealer()
    await with_evolution_number(router, dealer)
    conversation = await dealer.open_conversation(new_customer())
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation}/claim", json={})
        router.clock.advance(hours=25)
        reply = await ana.post(
            f"/conversations/{conversation}/messages",
            json={"idempotency_key": "late", "content": {"kind": "text", "body": "Oi?"}},
        )

    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "outside_service_window")
