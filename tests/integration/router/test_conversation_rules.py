"""The inbox rules, through the agent API and the WhatsApp handlers, on the real database."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from leadline.router.adapters.tables import conversation_view
from tests.integration.router.conftest import new_customer


def text(body: str) -> dict:
    return {"kind": "text", "body": body}


async def status_of(dealer, agent_id: str, conversation_id: str) -> str:
    async with dealer.client(agent_id) as client:
        return (await client.get(f"/conversations/{conversation_id}")).json()["status"]


async def test_a_first_message_opens_a_new_conversation_in_the_pool_of_the_teams_linked_to_the_number(dealer):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("ana") as ana, dealer.client("carla") as carla, dealer.client("elisa") as elisa:
        listed = (await ana.get("/conversations", params={"status": "new"})).json()
        assert [c["conversation_id"] for c in listed["items"]] == [conversation_id]
        assert listed["counts"]["new"] == 1
        assert (await carla.get(f"/conversations/{conversation_id}")).status_code == 200, "seminovos is linked too"
        assert (await elisa.get(f"/conversations/{conversation_id}")).status_code == 404, "oficina is not linked"
    row = await status_of(dealer, "diego", conversation_id)
    assert row == "new", "admins see every pool"


async def test_a_burst_of_messages_delivered_concurrently_opens_exactly_one_conversation(dealer):
    customer = new_customer()
    results = await asyncio.gather(*(dealer.customer_writes(customer, f"foto {n}") for n in range(10)))
    opened = {e.stream_id for published in results for e in published if e.type == "router.conversation.opened"}
    assert len(opened) == 1
    async with dealer.router.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(conversation_view)
            .where(conversation_view.c.account_id == dealer.account_id, conversation_view.c.customer_wa_id == customer)
        )
    assert count == 1
    messages = await dealer.outbox(opened.pop(), "router.conversation.message_appended")
    assert len(messages) == 10


async def test_brazilian_number_variants_are_one_contact(dealer):
    conversation_id = await dealer.open_conversation("551187654321")  # WhatsApp id without the ninth digit
    async with dealer.client("ana") as ana:
        conversation = (await ana.get(f"/conversations/{conversation_id}")).json()
    assert conversation["customer_phone"] == "+5511987654321"


async def test_the_first_claim_wins_and_a_later_one_is_told_who_owns_it(dealer):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("ana") as ana, dealer.client("bruno") as bruno:
        first = await ana.post(f"/conversations/{conversation_id}/claim", json={})
        second = await bruno.post(f"/conversations/{conversation_id}/claim", json={})
        assert first.status_code == 200
        assert second.status_code == 409
        assert second.json()["error"]["details"]["owner"] == {"id": "ana", "name": "Ana Souza"}
        assert (await bruno.get(f"/conversations/{conversation_id}")).status_code == 404, "now only the owner sees it"
    assert await status_of(dealer, "ana", conversation_id) == "unanswered"
    assert await status_of(dealer, "diego", conversation_id) == "unanswered", "and admins"


async def test_statuses_follow_who_wrote_last_until_finished(dealer):
    customer = new_customer()
    conversation_id = await dealer.open_conversation(customer)
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
        assert await status_of(dealer, "ana", conversation_id) == "unanswered"
        sent = await ana.post(
            f"/conversations/{conversation_id}/messages", json={"idempotency_key": "k1", "content": text("Tem sim!")}
        )
        assert sent.status_code == 202, sent.text
        assert await status_of(dealer, "ana", conversation_id) == "no_reply"
        await dealer.customer_writes(customer, "Qual o preço?")
        assert await status_of(dealer, "ana", conversation_id) == "unanswered"
        assert (await ana.post(f"/conversations/{conversation_id}/finish")).status_code == 200
        assert await status_of(dealer, "ana", conversation_id) == "finished"
        refused = await ana.post(
            f"/conversations/{conversation_id}/messages", json={"idempotency_key": "k2", "content": text("oi")}
        )
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "conversation_finished"


async def test_outgoing_text_carries_the_agents_name_and_images_do_not(dealer):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
        await ana.post(
            f"/conversations/{conversation_id}/messages", json={"idempotency_key": "t", "content": text("Bom dia!")}
        )
        image = {
            "kind": "image",
            "media": {"provider_media_id": "998877", "mime_type": "image/jpeg"},
            "caption": "Onix 2024",
        }
        await ana.post(f"/conversations/{conversation_id}/messages", json={"idempotency_key": "i", "content": image})
    requests = await dealer.outbox(conversation_id, "router.message.send_requested")
    assert requests[0]["payload"]["body"] == "*Ana Souza:*\nBom dia!"
    assert requests[1]["payload"]["body"] is None and requests[1]["payload"]["content"]["caption"] == "Onix 2024"


async def test_a_double_submitted_reply_sends_one_whatsapp_message(dealer):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
        body = {"idempotency_key": "double-click-1", "content": text("Posso ajudar?")}
        answers = await asyncio.gather(
            *(ana.post(f"/conversations/{conversation_id}/messages", json=body) for _ in range(5))
        )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["message_id"] for a in answers}) == 1
    assert len(await dealer.outbox(conversation_id, "router.message.send_requested")) == 1


async def test_only_the_owner_answers_a_claimed_conversation(dealer):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("ana") as ana, dealer.client("diego") as diego:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
        admin_reply = await diego.post(
            f"/conversations/{conversation_id}/messages",
            json={"idempotency_key": "a", "content": text("Sou o gerente.")},
        )
    assert admin_reply.status_code == 202, "admins may answer"


async def test_answering_before_claiming_is_refused_with_the_reason(dealer):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("ana") as ana:
        refused = await ana.post(
            f"/conversations/{conversation_id}/messages", json={"idempotency_key": "x", "content": text("oi")}
        )
    assert refused.status_code == 403 and "claim" in refused.json()["error"]["message"]


async def test_a_customer_writing_after_finish_goes_straight_to_the_leads_owner(dealer):
    customer = new_customer()
    first = await dealer.open_conversation(customer)
    lead_id = str(uuid.uuid4())
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{first}/claim", json={"lead_id": lead_id})
        await ana.post(f"/conversations/{first}/finish")
        second = await dealer.open_conversation(customer, text="Voltei! Ainda tem?")
        assert second != first
        again = (await ana.get(f"/conversations/{second}")).json()
        assert again["owner_id"] == "ana" and again["lead_id"] == lead_id and again["status"] == "unanswered"
    async with dealer.client("bruno") as bruno:
        assert (await bruno.get(f"/conversations/{second}")).status_code == 404, "not back in the pool"


async def test_a_customer_writing_after_finish_goes_to_the_pool_when_the_owners_team_is_not_linked(dealer):
    customer = new_customer()
    first = await dealer.open_conversation(customer, number=dealer.used_cars)  # seminovos only
    async with dealer.client("carla") as carla:
        await carla.post(f"/conversations/{first}/claim", json={"lead_id": str(uuid.uuid4())})
        await carla.post(f"/conversations/{first}/finish")
    # the lead now belongs to ana (vendas), whose team is not linked to the seminovos number
    from leadline.router.service.ports import LeadOwner

    async with dealer.router.sessions() as session:
        customer_id = await session.scalar(
            select(conversation_view.c.customer_id).where(conversation_view.c.conversation_id == first)
        )
    async with dealer.router.uow() as work:
        chat = await work.chats.get_for_update(dealer.account_id, dealer.used_cars, str(customer_id))
        await work.lead_owners.set(dealer.account_id, LeadOwner(chat.lead_id, "ana", "Ana Souza", "vendas"))
        await work.commit()
    second = await dealer.open_conversation(customer, number=dealer.used_cars)
    async with dealer.client("carla") as carla:
        pooled = (await carla.get(f"/conversations/{second}")).json()
    assert pooled["owner_id"] is None and pooled["status"] == "new"


async def test_invisible_and_unknown_conversations_are_the_same_404(dealer):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("elisa") as elisa:
        for method, path, body in (
            ("GET", f"/conversations/{conversation_id}", None),
            ("GET", f"/conversations/{conversation_id}/messages", None),
            ("POST", f"/conversations/{conversation_id}/claim", {}),
            ("POST", f"/conversations/{conversation_id}/messages", {"idempotency_key": "z", "content": text("oi")}),
            ("POST", f"/conversations/{conversation_id}/finish", None),
        ):
            hidden = await elisa.request(method, path, json=body)
            missing = await elisa.request(method, path.replace(conversation_id, str(uuid.uuid4())), json=body)
            assert hidden.status_code == missing.status_code == 404, (method, path)
            assert hidden.json() == missing.json()


async def test_every_endpoint_needs_a_token(router):
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=router.app), base_url="http://router") as anonymous:
        for method, path in (
            ("GET", "/conversations"),
            ("GET", f"/conversations/{uuid.uuid4()}"),
            ("POST", f"/conversations/{uuid.uuid4()}/claim"),
            ("POST", "/conversations"),
        ):
            assert (await anonymous.request(method, path, json={})).status_code == 401, path


async def test_a_whatsapp_id_no_numbering_plan_knows_still_opens_a_conversation(dealer):
    conversation_id = await dealer.open_conversation("5511800000001")  # not a valid Brazilian mobile, but WhatsApp's id
    async with dealer.client("ana") as ana:
        conversation = (await ana.get(f"/conversations/{conversation_id}")).json()
    assert conversation["customer_phone"] == "+5511800000001"


async def test_the_owner_can_add_a_lead_to_a_conversation_claimed_before(dealer):
    conversation_id = await dealer.open_conversation()
    lead_id = str(uuid.uuid4())
    async with dealer.client("ana") as ana:
        assert (await ana.post(f"/conversations/{conversation_id}/claim", json={})).status_code == 200
        with_lead = await ana.post(f"/conversations/{conversation_id}/claim", json={"lead_id": lead_id})
        assert with_lead.status_code == 200
        assert (await ana.get(f"/conversations/{conversation_id}")).json()["lead_id"] == lead_id
    async with dealer.client("bruno") as bruno:
        late = await bruno.post(f"/conversations/{conversation_id}/claim", json={"lead_id": str(uuid.uuid4())})
    assert late.status_code == 409
