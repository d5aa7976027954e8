"""Leads of customers WhatsApp names by BSUID: no mobile until they share it, one lead across phone and BSUID."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from leadline.events import LEAD_CREATED, LEAD_MOBILE_SHARED
from leadline.events.content import ContactsContent, SharedContact, SharedPhone
from leadline.leads.adapters.tables import conversation_activity
from tests.integration.leads.conftest import new_customer
from tests.kafka_helpers import wait_until


def bsuid() -> str:
    return f"BR.{uuid.uuid4().int % 10**16:016d}"


def shared_card(phone: str = "+55 11 98765-1234", wa_id: str | None = "5511987651234") -> ContactsContent:
    return ContactsContent(
        contacts=(
            SharedContact(
                formatted_name="Joana Ribeiro",
                origin="contact_request",
                phones=(SharedPhone(phone=phone, wa_id=wa_id, type="CELL"),),
            ),
        )
    )


async def test_the_form_of_a_customer_known_only_by_bsuid_leaves_the_mobile_empty_and_offers_to_request_it(dealer):
    user_id = bsuid()
    named = await dealer.customer_writes(None, name="Joana Ribeiro", user_id=user_id, username="joana.carros")
    anonymous = await dealer.customer_writes(None, name=None, user_id=bsuid(), username="pedro.auto")
    async with dealer.leads("ana") as ana:
        form = (await ana.get(f"/conversations/{named}/lead-form")).json()
        unnamed = (await ana.get(f"/conversations/{anonymous}/lead-form")).json()

    assert (form["name"], form["mobile"], form["mobile_display"]) == ("Joana Ribeiro", None, None)
    assert (form["whatsapp_user_id"], form["whatsapp_username"], form["request_contact_info"]) == (
        user_id,
        "joana.carros",
        True,
    )
    assert unnamed["name"] == "@pedro.auto"


async def test_a_lead_without_a_mobile_is_saved_reached_on_whatsapp_and_published_with_its_bsuid(dealer):
    user_id = bsuid()
    conversation_id = await dealer.customer_writes(None, name="Joana Ribeiro", user_id=user_id, username="joana.carros")

    saved = await dealer.add_lead("ana", conversation_id, name="Joana Ribeiro", mobile="")

    assert saved.status_code == 201, saved.text
    lead = await dealer.lead(saved.json()["lead_id"], "ana")
    assert (lead["mobile"], lead["whatsapp_user_id"], lead["whatsapp_username"]) == (None, user_id, "joana.carros")
    (created,) = await dealer.published(saved.json()["lead_id"], LEAD_CREATED)
    assert created["schema_version"] == 2 and created["payload"]["whatsapp_user_id"] == user_id


async def test_a_customer_who_neither_has_a_number_nor_a_bsuid_cannot_be_a_lead_without_a_number_typed(dealer):
    conversation_id = await dealer.customer_writes(new_customer())

    refused = await dealer.add_lead("ana", conversation_id, mobile="   ")

    assert refused.status_code == 422 and "mobile" in refused.json()["error"]["message"]


async def test_the_number_the_customer_shares_on_request_fills_the_leads_mobile_and_finds_the_lead_from_then_on(dealer):
    user_id = bsuid()
    conversation_id = await dealer.customer_writes(None, name="Joana Ribeiro", user_id=user_id)
    lead_id = (await dealer.add_lead("ana", conversation_id, name="Joana Ribeiro", mobile="")).json()["lead_id"]

    await dealer.customer_writes(None, name="Joana Ribeiro", user_id=user_id, content=shared_card())

    async def filled() -> bool:
        return (await dealer.lead(lead_id, "ana"))["mobile"] == "+5511987651234"

    await wait_until(filled, timeout_s=30)
    (shared,) = await dealer.published(lead_id, LEAD_MOBILE_SHARED)
    assert shared["payload"]["whatsapp_user_id"] == user_id
    # a conversation of the same number, on the other business number, is this customer's: attached to this lead
    by_phone = await dealer.customer_writes("551187651234", number=dealer.used_cars, name="Joana")
    joined = await dealer.add_lead("carla", by_phone, name="Joana", mobile="+55 11 98765-1234")
    assert joined.status_code == 200 and joined.json()["lead_id"] == lead_id


async def test_a_number_an_agent_typed_is_never_overwritten_by_a_shared_one(dealer):
    user_id = bsuid()
    conversation_id = await dealer.customer_writes(None, name="Joana", user_id=user_id)
    lead_id = (await dealer.add_lead("ana", conversation_id, name="Joana", mobile="+55 21 99876-5432")).json()[
        "lead_id"
    ]

    await dealer.customer_writes(None, name="Joana", user_id=user_id, content=shared_card())
    await dealer.customer_writes(None, name="Joana", user_id=user_id, text="E então?")

    async def followed() -> bool:  # all three customer messages (the shared card among them) reached the leads service
        async with dealer.services.leads_app.state.runtime.sessions() as session:
            return (
                await session.scalar(
                    select(conversation_activity.c.customer_messages).where(
                        conversation_activity.c.conversation_id == uuid.UUID(conversation_id)
                    )
                )
                == 3
            )

    await wait_until(followed, timeout_s=30)
    assert (await dealer.lead(lead_id, "ana"))["mobile"] == "+5521998765432"
    assert await dealer.published(lead_id, LEAD_MOBILE_SHARED) == []


async def test_a_customer_known_only_by_bsuid_on_two_numbers_is_one_lead_with_unification(dealer):
    user_id = bsuid()
    on_shared = await dealer.customer_writes(None, name="Joana", user_id=user_id)
    on_used_cars = await dealer.customer_writes(None, name="Joana", user_id=user_id, number=dealer.used_cars)
    first = await dealer.add_lead("ana", on_shared, name="Joana", mobile="")

    second = await dealer.add_lead("carla", on_used_cars, name="Joana", mobile="")

    assert second.status_code == 200 and second.json()["attached"] is True
    assert second.json()["lead_id"] == first.json()["lead_id"]


async def test_a_customer_first_seen_by_phone_and_later_by_bsuid_alone_stays_one_conversation_and_one_lead(dealer):
    phone, user_id = new_customer(), bsuid()
    first = await dealer.customer_writes(phone, name="Joana")
    lead_id = (await dealer.add_lead("ana", first, name="Joana", mobile=f"+{phone}")).json()["lead_id"]
    linked = await dealer.customer_writes(phone, name="Joana", user_id=user_id, username="joana.carros")
    async with dealer.router("ana") as ana:
        await ana.post(f"/conversations/{first}/finish")

    later = await dealer.customer_writes(None, name="Joana", user_id=user_id)  # the phone hidden now

    assert linked == first and later != first
    async with dealer.router("ana") as ana:
        reopened = (await ana.get(f"/conversations/{later}")).json()
    assert (reopened["owner_id"], reopened["lead_id"]) == ("ana", lead_id), "straight to the lead's owner"

    async def attached() -> bool:
        return later in [c["conversation_id"] for c in (await dealer.lead(lead_id, "ana"))["conversations"]]

    await wait_until(attached, timeout_s=30)
    assert len(await dealer.published(event_type=LEAD_CREATED)) == 1
