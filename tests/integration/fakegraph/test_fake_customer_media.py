"""A simulated customer's media is real: a file the fake serves under the id its webhook names."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

pytestmark = pytest.mark.asyncio

NUMBER = "106540352242922"
# The first bytes of each format, as a browser sniffs them.
MAGIC = {
    "image": (b"\xff\xd8\xff", "image/jpeg"),
    "gif": (b"ftyp", "video/mp4"),
    "video": (b"ftyp", "video/mp4"),
    "voice": (b"OggS", "audio/ogg; codecs=opus"),
    "audio": (b"ID3", "audio/mpeg"),
    "document": (b"%PDF-", "application/pdf"),
    "sticker": (b"RIFF", "image/webp"),
}
WEBHOOK_TYPE = {"gif": "video", "voice": "audio"}


def sent_message(receiver) -> dict:
    return json.loads(receiver.received[-1].body)["entry"][0]["changes"][0]["value"]["messages"][0]


@pytest.mark.parametrize("kind", sorted(MAGIC))
async def test_media_a_customer_sends_without_naming_a_file_is_a_real_file_the_fake_serves(
    fake_to_receiver, receiver, auth, kind
):
    answer = await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say", json={"phone_number_id": NUMBER, "kind": kind}
    )

    assert answer.status_code == 200, answer.text
    message = sent_message(receiver)
    media = message[message["type"]]
    assert message["type"] == WEBHOOK_TYPE.get(kind, kind)
    magic, mime_type = MAGIC[kind]
    assert media["mime_type"] == mime_type
    described = await fake_to_receiver.get(f"/v21.0/{media['id']}", headers=auth)
    assert described.status_code == 200, described.text
    data = (await fake_to_receiver.get(described.json()["url"], headers=auth)).content
    assert magic in data[:12]
    assert 500 < len(data) < 20_000  # a few KB: small enough to ship, big enough to be real
    assert media["sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert described.json()["sha256"] == hashlib.sha256(data).hexdigest()


async def test_a_simulated_gif_is_an_mp4_video_flagged_gif_and_a_document_has_its_name(fake_to_receiver, receiver):
    await fake_to_receiver.post("/_fake/customers/5511987654321/say", json={"phone_number_id": NUMBER, "kind": "gif"})
    gif = sent_message(receiver)["video"]
    await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say",
        json={"phone_number_id": NUMBER, "kind": "document", "fields": {"caption": "Proposta"}},
    )
    document = sent_message(receiver)["document"]

    assert gif["gif"] is True
    assert document["filename"] == "proposta-onix-2024.pdf"
    assert document["caption"] == "Proposta"


async def test_two_customers_sending_a_photo_get_two_media_ids(fake_to_receiver, receiver):
    for customer in ("5511987654321", "5511912345678"):
        await fake_to_receiver.post(
            f"/_fake/customers/{customer}/say", json={"phone_number_id": NUMBER, "kind": "image"}
        )

    first, second = (
        json.loads(r.body)["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["id"] for r in receiver.received
    )
    assert first != second


async def test_a_location_and_contacts_need_no_fields(fake_to_receiver, receiver):
    for kind in ("location", "contacts"):
        answer = await fake_to_receiver.post(
            "/_fake/customers/5511987654321/say", json={"phone_number_id": NUMBER, "kind": kind}
        )
        assert answer.status_code == 200, answer.text

    location = json.loads(receiver.received[0].body)["entry"][0]["changes"][0]["value"]["messages"][0]["location"]
    contacts = json.loads(receiver.received[1].body)["entry"][0]["changes"][0]["value"]["messages"][0]["contacts"]
    assert (location["latitude"], location["longitude"]) == (-23.5614, -46.6559)
    assert location["name"] == "Acme Motors"
    assert contacts[0]["name"]["formatted_name"] == "Carlos Souza"
    assert contacts[0]["phones"][0]["phone"] == "+55 11 91234-5678"


async def test_given_fields_still_win_over_the_defaults(fake_to_receiver, receiver):
    await fake_to_receiver.post(
        "/_fake/customers/5511987654321/say",
        json={"phone_number_id": NUMBER, "kind": "location", "fields": {"latitude": -22.9, "longitude": -43.2}},
    )

    location = sent_message(receiver)["location"]
    assert (location["latitude"], location["longitude"]) == (-22.9, -43.2)


async def test_leadline_simulate_say_sends_a_real_photo_and_a_bare_location(served_fake, receiver):
    from tests.leadline_cli import leadline

    photo = await leadline(
        "simulate",
        "say",
        "--from",
        "5511987654321",
        "--kind",
        "image",
        "--text",
        "Meu carro",
        "--fake-url",
        served_fake,
    )
    location = await leadline(
        "simulate", "say", "--from", "5511987654321", "--kind", "location", "--fake-url", served_fake
    )

    assert photo.code == 0, photo.output
    assert location.code == 0, location.output
    image = json.loads(receiver.received[0].body)["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
    assert image["caption"] == "Meu carro"
    assert json.loads(receiver.received[1].body)["entry"][0]["changes"][0]["value"]["messages"][0]["type"] == "location"
