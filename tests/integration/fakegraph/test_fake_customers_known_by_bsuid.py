"""The fake plays Meta's business-scoped user ids: users without a phone, sends to a BSUID, request contact info."""

from __future__ import annotations

import httpx
import pytest

from leadline.fakegraph.app import create_app
from tests.integration.fakegraph.test_fake_customer_webhooks import NUMBER, verify

pytestmark = pytest.mark.asyncio

BSUID, PHONE = "BR.1502576394655843", "5511987651234"
REQUEST_CONTACT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "recipient": BSUID,
    "type": "template",
    "template": {"name": "pedir_contato", "language": {"code": "pt_BR"}},
}


def value_of(received) -> dict:
    return verify(received)["entry"][0]["changes"][0]["value"]


async def joana_writes(fake, **order):
    body = {"phone_number_id": NUMBER, "text": "Oi!", "username": "joana.carros", "profile_name": "Joana", **order}
    response = await fake.post(f"/_fake/users/{BSUID}/say", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_user_with_a_username_writes_without_a_phone_named_by_bsuid_and_username(fake_to_receiver, receiver):
    await joana_writes(fake_to_receiver, wa_id=PHONE)

    value = value_of(receiver.received[0])
    assert value["contacts"] == [{"profile": {"name": "Joana", "username": "joana.carros"}, "user_id": BSUID}]
    (message,) = value["messages"]
    assert message["from_user_id"] == BSUID and "from" not in message


async def test_a_user_whose_phone_meta_shows_is_named_by_both(fake_to_receiver, receiver):
    await joana_writes(fake_to_receiver, wa_id=PHONE, shows_phone=True)

    value = value_of(receiver.received[0])
    assert value["contacts"][0]["wa_id"] == PHONE and value["messages"][0]["from"] == PHONE


async def test_something_that_is_not_a_bsuid_cannot_write_as_one(fake):
    response = await fake.post("/_fake/users/1502576394655843/say", json={"phone_number_id": NUMBER})

    assert response.status_code == 400


async def test_a_send_to_a_bsuid_is_accepted_answered_with_the_user_id_and_recorded(fake, auth, messages_path):
    text = {"messaging_product": "whatsapp", "recipient": BSUID, "type": "text", "text": {"body": "Olá, Joana!"}}

    answer = (await fake.post(messages_path, json=text, headers=auth)).json()

    assert answer["contacts"] == [{"input": BSUID, "user_id": BSUID}]
    (sent,) = (await fake.get("/_fake/sent", params={"to": BSUID})).json()["data"]
    assert (sent["user_id"], sent["wa_id"], sent["body"]["recipient"]) == (BSUID, None, BSUID)


async def test_a_recipient_that_is_not_a_bsuid_is_refused_like_meta_refuses_a_bad_parameter(fake, auth, messages_path):
    bad = {"messaging_product": "whatsapp", "recipient": "joana", "type": "text", "text": {"body": "Oi"}}

    refused = await fake.post(messages_path, json=bad, headers=auth)

    assert refused.status_code == 400 and refused.json()["error"]["code"] == 131009


async def test_when_to_and_recipient_are_both_given_to_wins_as_at_meta(fake, auth, messages_path):
    both = {"messaging_product": "whatsapp", "to": PHONE, "recipient": BSUID, "type": "text", "text": {"body": "Oi"}}

    answer = (await fake.post(messages_path, json=both, headers=auth)).json()

    assert answer["contacts"] == [{"input": PHONE, "wa_id": PHONE}]


async def test_statuses_of_a_send_to_a_bsuid_name_the_recipient_by_bsuid_and_the_contact_beside_it(
    fake_settings, receiver, state
):
    app = create_app(fake_settings(webhook_url=receiver.url, auto_statuses=True), state=state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://fake.test") as fake:
        await joana_writes(fake, wa_id=PHONE)
        text = {"messaging_product": "whatsapp", "recipient": BSUID, "type": "text", "text": {"body": "Olá!"}}
        await fake.post(f"/v21.0/{NUMBER}/messages", json=text, headers={"Authorization": "Bearer test-access-token"})

    sent, delivered = [value_of(r) for r in receiver.received[1:]]
    assert sent["statuses"][0]["recipient_user_id"] == BSUID and "recipient_id" not in sent["statuses"][0]
    assert sent["contacts"] == [{"profile": {"name": "Joana"}, "user_id": BSUID}], "no username in a sent status"
    assert delivered["contacts"][0]["profile"]["username"] == "joana.carros"


async def test_sharing_contact_info_needs_the_request_contact_info_template_first(
    fake_to_receiver, receiver, auth, messages_path
):
    await joana_writes(fake_to_receiver, wa_id=PHONE)
    share = {"phone_number_id": NUMBER}

    refused = await fake_to_receiver.post(f"/_fake/users/{BSUID}/share_contact", json=share)
    assert refused.status_code == 409

    assert (await fake_to_receiver.post(messages_path, json=REQUEST_CONTACT, headers=auth)).status_code == 200
    shared = await fake_to_receiver.post(f"/_fake/users/{BSUID}/share_contact", json=share)

    assert shared.status_code == 200, shared.text
    value = value_of(receiver.received[-1])
    (message,) = value["messages"]
    assert message["type"] == "contacts" and message["from_user_id"] == BSUID and "from" not in message
    (card,) = message["contacts"]
    assert card["origin"] == "contact_request" and card["phones"] == [
        {"phone": f"+{PHONE}", "wa_id": PHONE, "type": "CELL"}
    ]


async def test_a_user_the_fake_never_saw_cannot_share_contact_info(fake):
    assert (await fake.post(f"/_fake/users/{BSUID}/share_contact", json={"phone_number_id": NUMBER})).status_code == 404
