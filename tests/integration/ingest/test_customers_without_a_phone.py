"""Ingest end to end with customers named by BSUID: webhooks without a phone are stored and published, and an
agent's answer to such a customer reaches the (fake) Graph API addressed to their BSUID."""

from __future__ import annotations

import random
import uuid

from sqlalchemy import insert

from leadline.events import REGISTRY, MessageReceivedV2, MessageSentV1, MessageStatusChangedV2, TemplateContent
from leadline.events.common import WhatsAppUser
from leadline.fakegraph import webhooks as wh
from leadline.fakegraph.users import WhatsAppUser as FakeUser
from leadline.fakegraph.users import status_contacts, status_for
from leadline.ingest.adapters.tables import business_numbers, quarantined_deliveries
from leadline.ingest.service.sending import SendOutcome
from tests.integration.ingest.outbound_support import FakeTime, send_request
from tests.integration.ingest.test_every_real_delivery_is_accepted import events_of
from tests.integration.ingest.test_sending import send


async def owned_number(ingest) -> wh.BusinessNumber:
    """A business number an account owns, as in production (a number nobody owns is another test's subject)."""
    number = wh.BusinessNumber(phone_number_id=str(random.randint(10**14, 10**15 - 1)))
    async with ingest.engine.begin() as connection:
        await connection.execute(
            insert(business_numbers).values(phone_number_id=number.phone_number_id, account_id="acme")
        )
    return number


def joana() -> FakeUser:
    return FakeUser(
        user_id=f"BR.{uuid.uuid4().int % 10**16:016d}",
        username="joana.carros",
        profile_name="Joana Ribeiro",
        shows_phone=False,
    )


async def test_a_message_from_a_customer_without_a_phone_is_accepted_stored_and_published_keyed_by_bsuid(ingest):
    user, business = joana(), await owned_number(ingest)
    quarantined_before = await ingest.count(quarantined_deliveries)

    answer = await ingest.post_signed(wh.WebhookBuilder(business).inbound_from(user, wh.text_message("", "Oi!")))

    assert answer.status_code == 200
    (event,) = await events_of(ingest, user.user_id, expected=1, business=business)
    received = REGISTRY.decode(event)
    assert isinstance(received, MessageReceivedV2) and event.schema_version == 2
    assert received.customer == WhatsAppUser(user_id=user.user_id, username="joana.carros")
    assert await ingest.count(quarantined_deliveries) == quarantined_before, "nothing set aside"


async def test_statuses_naming_the_recipient_only_by_bsuid_are_published(ingest):
    user, wamid, business = joana(), f"wamid.{uuid.uuid4().hex}", await owned_number(ingest)
    sent = wh.WebhookBuilder(business).statuses(
        status_for(user, wamid, "sent", sent_to_phone=False), contacts=status_contacts(user, "sent")
    )
    failed = wh.WebhookBuilder(business).statuses(status_for(user, wamid, "failed", sent_to_phone=False, code=131047))

    assert [(await ingest.post_signed(body)).status_code for body in (sent, failed)] == [200, 200]
    statuses = [REGISTRY.decode(e) for e in await events_of(ingest, user.user_id, expected=2, business=business)]
    assert all(isinstance(s, MessageStatusChangedV2) and s.customer.user_id == user.user_id for s in statuses)
    assert [s.status for s in statuses] == ["sent", "failed"]


async def test_an_answer_to_a_customer_known_only_by_bsuid_reaches_the_graph_api_as_a_recipient(ingest_db, meta):
    user_id = "BR.1502576394655843"
    request, envelope = send_request(to=user_id)

    assert await send(request, envelope, ingest_db, meta.graph, FakeTime()) is SendOutcome.SENT

    [sent] = await meta.control.sent(kind="message")
    assert sent["body"]["recipient"] == user_id and "to" not in sent["body"]
    assert sent["user_id"] == user_id
    [staged] = await ingest_db.staged()
    assert isinstance(REGISTRY.decode(staged), MessageSentV1)


async def test_the_request_contact_info_template_goes_to_the_bsuid_too(ingest_db, meta):
    user_id = "BR.1502576394655843"
    request, envelope = send_request(TemplateContent(name="pedir_contato", language="pt_BR"), body=None, to=user_id)

    assert await send(request, envelope, ingest_db, meta.graph, FakeTime()) is SendOutcome.SENT

    [sent] = await meta.control.sent(kind="message")
    assert sent["body"]["template"]["name"] == "pedir_contato" and sent["body"]["recipient"] == user_id
