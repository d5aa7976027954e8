"""Add lead: the form prefilled from the conversation, the lead saved with its conversion point and its claim."""

from __future__ import annotations

import uuid

from leadline.events import CONVERSION_POINT_RECORDED, LEAD_CREATED, LEAD_TEMPERATURE_CHANGED, LEADS_LEADS, Envelope
from tests.integration.leads.conftest import new_customer
from tests.kafka_helpers import keyed, read_topic


async def test_the_form_is_prefilled_with_the_profile_name_and_the_customers_mobile(dealer):
    conversation_id = await dealer.customer_writes("5511987650001", name="Marina Lopes")
    async with dealer.leads("ana") as ana:
        form = (await ana.get(f"/conversations/{conversation_id}/lead-form")).json()
    assert form["name"] == "Marina Lopes"
    assert form["mobile"] == "+5511987650001" and form["mobile_display"] == "+55 11 98765-0001"
    assert form["business_phone_number_id"] == dealer.shared and form["lead_id"] is None
    assert form["conversation"].endswith(f"/conversations/{conversation_id}")


async def test_a_contact_without_a_profile_name_is_prefilled_with_the_formatted_number(dealer):
    conversation_id = await dealer.customer_writes("5511987650002", name=None)
    async with dealer.leads("ana") as ana:
        form = (await ana.get(f"/conversations/{conversation_id}/lead-form")).json()
    assert form["name"] == "+55 11 98765-0002"


async def test_the_form_of_a_conversation_the_agent_cannot_see_is_a_404_like_one_that_does_not_exist(dealer):
    conversation_id = await dealer.customer_writes(new_customer(), number=dealer.used_cars)  # Seminovos only
    async with dealer.leads("ana") as ana:
        hidden = await ana.get(f"/conversations/{conversation_id}/lead-form")
        missing = await ana.get(f"/conversations/{uuid.uuid4()}/lead-form")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


async def test_saving_creates_the_lead_for_the_agent_and_their_team_and_claims_the_conversation(dealer):
    conversation_id = await dealer.customer_writes("5511987650003", "Quero simular o financiamento do Compass")
    saved = await dealer.add_lead(
        "ana",
        conversation_id,
        name="Carlos Mendes",
        mobile="(11) 98765-0003",
        email="carlos@example.com",
        vehicle_of_interest="Jeep Compass 2024",
        notes="Tem troca",
    )
    assert saved.status_code == 201, saved.text
    lead_id = saved.json()["lead_id"]
    assert saved.json()["attached"] is False
    async with dealer.router("ana") as ana:
        conversation = (await ana.get(f"/conversations/{conversation_id}")).json()
    assert conversation["owner_id"] == "ana" and conversation["lead_id"] == lead_id

    lead = await dealer.lead(lead_id, "ana")
    assert lead["responsible_agent"] == {"id": "ana", "name": "Ana Souza"} and lead["team_id"] == "vendas"
    assert lead["mobile"] == "+5511987650003" and lead["vehicle_of_interest"] == "Jeep Compass 2024"
    [point] = lead["conversion_points"]
    assert point["source"] == "whatsapp" and point["phone_number_id"] == dealer.shared
    assert (
        point["first_message_kind"] == "text"
        and point["first_message_text"] == "Quero simular o financiamento do Compass"
    )
    assert [c["conversation_id"] for c in lead["conversations"]] == [conversation_id]
    assert lead["conversations"][0]["link"].endswith(f"/conversations/{conversation_id}")
    assert lead["temperature"]["value"] == "warm"

    records = await read_topic(
        dealer.services.leads_app.state.runtime.settings.kafka_bootstrap_servers,
        LEADS_LEADS,
        expected=3,
        where=keyed(lead_id),
    )
    events = [Envelope.from_bytes(r.value) for r in records]
    assert [e.type for e in events] == [LEAD_CREATED, CONVERSION_POINT_RECORDED, LEAD_TEMPERATURE_CHANGED]
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].payload["responsible_agent"]["id"] == "ana" and events[0].payload["team_id"] == "vendas"


async def test_retrying_the_same_save_creates_nothing_twice_and_answers_the_same(dealer):
    conversation_id = await dealer.customer_writes(new_customer())
    first = await dealer.add_lead("ana", conversation_id, key="click-1")
    again = await dealer.add_lead("ana", conversation_id, key="click-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(await dealer.published(first.json()["lead_id"], LEAD_CREATED)) == 1


async def test_the_same_idempotency_key_for_another_conversation_is_refused(dealer):
    first = await dealer.add_lead("ana", await dealer.customer_writes(new_customer()), key="reused")
    other = await dealer.add_lead(
        "ana", await dealer.customer_writes(new_customer()), key="reused", mobile="11912340000"
    )
    assert first.status_code == 201
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


async def test_a_late_agent_is_told_who_was_first_and_no_lead_is_made_for_them(dealer):
    conversation_id = await dealer.customer_writes(new_customer())
    assert (await dealer.add_lead("ana", conversation_id)).status_code == 201
    late = await dealer.add_lead("bruno", conversation_id, key="bruno-click")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "already_claimed"
    assert late.json()["error"]["details"]["owner"] == {"id": "ana", "name": "Ana Souza"}
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 1


async def test_a_text_with_the_nul_character_is_refused_as_invalid_not_a_server_error(dealer):
    """PostgreSQL stores no NUL (\\u0000), which JSON allows; the fuzzer sent one in an idempotency key and got a 500."""
    conversation_id = await dealer.customer_writes(new_customer())
    for fields in ({"key": "chave\x00nula"}, {"name": "João\x00"}):
        refused = await dealer.add_lead("ana", conversation_id, **fields)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_text", refused.text
    assert (await dealer.add_lead("ana", conversation_id)).status_code == 201, "nothing was left half-done"


async def test_a_mobile_that_is_no_phone_number_is_refused(dealer):
    refused = await dealer.add_lead("ana", await dealer.customer_writes(new_customer()), mobile="12")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_phone"
