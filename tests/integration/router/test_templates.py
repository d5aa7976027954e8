"""Reaching a customer outside WhatsApp's 24-hour window: the conversation says whether the window is open, offers the
approved templates of its number (read by ingest from the fake Graph API), and a template goes out rendered as the
customer reads it, or is refused before sending as WhatsApp would refuse it."""

from __future__ import annotations

from tests.integration.router.conftest import new_customer

RENDERED = (
    "Acme Motors\n\nOlá, Maria! Aqui é Ana, da Acme Motors. Ainda tem interesse no Onix 2024? Responda esta "
    "mensagem para continuarmos o seu atendimento.\n\nResponda SAIR para não receber mais mensagens."
)


def template(name: str, *parameters: str, language: str = "pt_BR", **extra) -> dict:
    return {"kind": "template", "name": name, "language": language, "parameters": list(parameters), **extra}


async def test_outside_the_window_only_an_approved_template_goes_and_it_reads_as_the_customer_reads_it(router):
    dealer = await router.dealer()
    await router.ingest.knows_number(dealer.shared, dealer.account_id)
    conversation = await dealer.open_conversation(new_customer())
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation}/claim", json={})
        window = (await ana.get(f"/conversations/{conversation}")).json()["service_window"]
        assert window["open"] is True and window["closes_at"]

        router.clock.advance(hours=48)
        offered = (await ana.get(f"/conversations/{conversation}/templates")).json()
        assert offered["service_window"] == {"applies": True, "open": False, "closes_at": window["closes_at"]}
        assert offered["available"] is True
        assert {"retomar_atendimento", "pedir_contato", "follow_up"} <= {t["name"] for t in offered["items"]}

        async def send(content: dict, key: str):
            return await ana.post(
                f"/conversations/{conversation}/messages", json={"idempotency_key": key, "content": content}
            )

        text = await send({"kind": "text", "body": "Oi, tudo bem?"}, "text")
        assert text.status_code == 422 and text.json()["error"]["code"] == "outside_service_window"
        unknown = await send(template("nao_existe"), "unknown")
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "template_not_found"
        short = await send(template("retomar_atendimento", "Maria"), "short")
        assert short.status_code == 422 and short.json()["error"] == {
            **short.json()["error"],
            "code": "template_parameters",
            "details": {"expected": 3},
        }
        sent = await send(
            template("retomar_atendimento", "Maria", "Ana", "Onix 2024", text="not what the customer reads"), "ok"
        )
        assert sent.status_code == 202, sent.text
        last = (await ana.get(f"/conversations/{conversation}/messages")).json()["items"][-1]
    assert (last["kind"], last["content"]["text"], last["text"]) == ("template", RENDERED, RENDERED)
    [requested] = await dealer.outbox(conversation, "router.message.send_requested")
    assert requested["payload"]["content"]["parameters"] == ["Maria", "Ana", "Onix 2024"]


async def test_a_number_whose_business_account_is_not_configured_sends_templates_as_asked(router):
    dealer = await router.dealer()
    await router.ingest.knows_number(dealer.shared, dealer.account_id, waba_id=None)
    conversation = await dealer.open_conversation(new_customer())
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation}/claim", json={})
        offered = (await ana.get(f"/conversations/{conversation}/templates")).json()
        sent = await ana.post(
            f"/conversations/{conversation}/messages",
            json={"idempotency_key": "k", "content": template("pedir_contato", text="spoofed")},
        )
        last = (await ana.get(f"/conversations/{conversation}/messages")).json()["items"][-1]
    assert offered["available"] is False and offered["items"] == []
    assert sent.status_code == 202 and last["content"].get("text") is None, "unchecked, and never the caller's text"


async def test_starting_from_a_lead_tells_the_window_with_that_lead_on_each_number(router):
    dealer = await router.dealer()
    await router.ingest.knows_number(dealer.used_cars, dealer.account_id)
    customer = new_customer()
    conversation = await dealer.open_conversation(customer, number=dealer.used_cars)
    async with dealer.client("carla") as carla:
        lead_id = "7d3f0a52-41d6-4b8e-9d0c-2b6f6f0d1a11"
        await carla.post(f"/conversations/{conversation}/claim", json={"lead_id": lead_id})
        fresh = (await carla.get(f"/business-numbers/{dealer.used_cars}/templates", params={"lead_id": lead_id})).json()
        router.clock.advance(days=2)
        later = (await carla.get(f"/business-numbers/{dealer.used_cars}/templates", params={"lead_id": lead_id})).json()
        never = (await carla.get(f"/business-numbers/{dealer.used_cars}/templates")).json()
    async with dealer.client("ana") as ana:
        other_team = await ana.get(f"/business-numbers/{dealer.used_cars}/templates")
    assert fresh["service_window"]["open"] is True and later["service_window"]["open"] is False
    assert never["service_window"] == {"applies": True, "open": False, "closes_at": None}
    assert other_team.status_code == 404, "a number of no team of hers is nobody's business of hers"
