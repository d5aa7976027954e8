"""Webhooks the fake posts to ingest: customers writing, status ticks, business-app echoes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json

import httpx
import pytest

from leadline.fakegraph.app import create_app

pytestmark = pytest.mark.asyncio

SECRET = "test-app-secret"
NUMBER = "106540352242922"


def verify(received) -> dict:
    """Check the signature the receiver got, the way ingest must, and return the parsed body."""
    expected = "sha256=" + hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-hub-signature-256"] == expected
    return json.loads(received.body)


async def test_a_customer_saying_something_posts_a_signed_text_webhook(fake_to_receiver, receiver):
    response = await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say", json={"phone_number_id": NUMBER, "text": "Still for sale?"}
    )

    answer = response.json()
    assert response.status_code == 200
    assert answer["webhook_status"] == 200
    assert answer["error"] is None
    (received,) = receiver.received
    assert received.headers["content-type"] == "application/json"
    payload = verify(received)
    value = payload["entry"][0]["changes"][0]["value"]
    assert value["metadata"]["phone_number_id"] == NUMBER
    assert value["contacts"] == [{"profile": {"name": "Test Customer"}, "wa_id": "5511987654321"}]
    (message,) = value["messages"]
    assert message["id"] == answer["wamid"]
    assert message["text"] == {"body": "Still for sale?"}


async def test_a_customer_without_a_profile_name_has_no_profile_in_contacts(fake_to_receiver, receiver):
    await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say",
        json={"phone_number_id": NUMBER, "text": "hi", "profile_name": None},
    )

    payload = verify(receiver.received[0])

    assert payload["entry"][0]["changes"][0]["value"]["contacts"] == [{"wa_id": "5511987654321"}]


async def test_a_customer_image_points_at_registered_media_ingest_can_download(fake_to_receiver, receiver, auth):
    data = b"\x89PNG-car-photo"
    media = (
        await fake_to_receiver.post(
            "/_fake/media", json={"data_base64": base64.b64encode(data).decode(), "mime_type": "image/png"}
        )
    ).json()

    await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say",
        json={
            "phone_number_id": NUMBER,
            "kind": "image",
            "fields": {"media_id": media["id"], "caption": "this one"},
        },
    )

    image = verify(receiver.received[0])["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
    assert image["id"] == media["id"]
    assert image["mime_type"] == "image/png"
    assert image["sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert image["caption"] == "this one"
    meta = (await fake_to_receiver.get(f"/v21.0/{image['id']}", headers=auth)).json()
    assert (await fake_to_receiver.get(meta["url"], headers=auth)).content == data


@pytest.mark.parametrize(
    ("kind", "fields", "expected_type"),
    [
        ("voice", {}, "audio"),
        ("gif", {}, "video"),
        ("sticker", {"animated": True}, "sticker"),
        ("location", {"latitude": -23.5, "longitude": -46.6}, "location"),
        ("reaction", {"reacted_wamid": "wamid.X", "emoji": "👍"}, "reaction"),
        ("button_reply", {"button_id": "yes", "title": "Yes"}, "interactive"),
        ("list_reply", {"row_id": "suv", "title": "SUV"}, "interactive"),
        ("button", {"text": "Call me"}, "button"),
        ("unsupported", {"unsupported_type": "poll_creation"}, "unsupported"),
    ],
)
async def test_customers_can_send_every_kind(fake_to_receiver, receiver, kind, fields, expected_type):
    response = await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say", json={"phone_number_id": NUMBER, "kind": kind, "fields": fields}
    )

    assert response.status_code == 200
    message = verify(receiver.received[0])["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["type"] == expected_type


async def test_a_reply_quotes_the_business_message(fake_to_receiver, receiver):
    await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say",
        json={"phone_number_id": NUMBER, "text": "yes", "reply_to": "wamid.OURS"},
    )

    message = verify(receiver.received[0])["entry"][0]["changes"][0]["value"]["messages"][0]

    assert message["context"]["id"] == "wamid.OURS"


async def test_an_unknown_kind_or_misfit_fields_are_refused(fake_to_receiver, receiver):
    unknown = await fake_to_receiver.post("/_fake/customers/1/say", json={"phone_number_id": NUMBER, "kind": "x"})
    misfit = await fake_to_receiver.post(
        "/_fake/customers/1/say", json={"phone_number_id": NUMBER, "kind": "location", "fields": {"altitude": 760}}
    )

    assert unknown.status_code == 400
    assert misfit.status_code == 400
    assert receiver.received == []


async def test_the_targets_answer_is_reported_back(fake_to_receiver, receiver):
    receiver.status_code = 403

    answer = (await fake_to_receiver.post("/_fake/customers/1/say", json={"phone_number_id": NUMBER})).json()

    assert answer["webhook_status"] == 403


async def test_an_unreachable_target_is_reported_not_raised(fake):
    answer = (await fake.post("/_fake/customers/1/say", json={"phone_number_id": NUMBER})).json()

    assert answer["webhook_status"] is None
    assert "ConnectError" in answer["error"]
    (delivery,) = (await fake.get("/_fake/webhooks")).json()["data"]
    assert delivery["error"] == answer["error"]


async def test_an_accepted_send_is_followed_by_sent_then_delivered_status_webhooks(receiver, auth, fake_settings):
    app = create_app(fake_settings(webhook_url=receiver.url, auto_statuses=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://fake.test") as fake:
        answer = (
            await fake.post(
                f"/v21.0/{NUMBER}/messages",
                headers=auth,
                json={"messaging_product": "whatsapp", "to": "5511987654321", "text": {"body": "hi"}},
            )
        ).json()

    wamid = answer["messages"][0]["id"]
    statuses = [verify(r)["entry"][0]["changes"][0]["value"]["statuses"][0] for r in receiver.received]
    assert [(s["id"], s["status"], s["recipient_id"]) for s in statuses] == [
        (wamid, "sent", "5511987654321"),
        (wamid, "delivered", "5511987654321"),
    ]


async def test_no_status_webhooks_when_auto_statuses_is_off(fake_to_receiver, receiver, auth, messages_path):
    await fake_to_receiver.post(
        messages_path,
        headers=auth,
        json={"messaging_product": "whatsapp", "to": "5511987654321", "text": {"body": "hi"}},
    )
    await asyncio.sleep(0.05)

    assert receiver.received == []


async def test_a_read_or_failed_status_can_be_posted_for_a_recorded_send(
    fake_to_receiver, receiver, auth, messages_path
):
    answer = (
        await fake_to_receiver.post(
            messages_path,
            headers=auth,
            json={"messaging_product": "whatsapp", "to": "5511987654321", "text": {"body": "hi"}},
        )
    ).json()
    wamid = answer["messages"][0]["id"]

    await fake_to_receiver.post("/_fake/statuses", json={"phone_number_id": NUMBER, "wamid": wamid, "status": "read"})
    await fake_to_receiver.post(
        "/_fake/statuses",
        json={"phone_number_id": NUMBER, "wamid": wamid, "status": "failed", "code": 131047},
    )

    read, failed = [verify(r)["entry"][0]["changes"][0]["value"]["statuses"][0] for r in receiver.received]
    assert (read["status"], read["recipient_id"]) == ("read", "5511987654321")
    assert failed["status"] == "failed"
    assert failed["errors"][0]["code"] == 131047
    assert failed["errors"][0]["title"] == "Re-engagement message"


async def test_a_status_for_an_unknown_wamid_needs_an_explicit_recipient(fake_to_receiver, receiver):
    unknown = await fake_to_receiver.post(
        "/_fake/statuses", json={"phone_number_id": NUMBER, "wamid": "wamid.NOPE", "status": "read"}
    )
    explicit = await fake_to_receiver.post(
        "/_fake/statuses",
        json={
            "phone_number_id": NUMBER,
            "wamid": "wamid.NOPE",
            "status": "read",
            "recipient_id": "5511900000000",
        },
    )

    assert unknown.status_code == 404
    assert explicit.json()["webhook_status"] == 200


async def test_a_business_app_message_arrives_as_a_signed_smb_message_echo(fake_to_receiver, receiver):
    answer = (
        await fake_to_receiver.post(
            "/_fake/echoes",
            json={"phone_number_id": NUMBER, "to": "+55 11 98765-4321", "text": "Sent from the phone"},
        )
    ).json()

    change = verify(receiver.received[0])["entry"][0]["changes"][0]
    assert change["field"] == "smb_message_echoes"
    (echo,) = change["value"]["message_echoes"]
    assert echo["id"] == answer["wamid"]
    assert echo["from"] == change["value"]["metadata"]["display_phone_number"]
    assert echo["to"] == "5511987654321"
    assert echo["text"] == {"body": "Sent from the phone"}
