"""Evolution API webhooks on the real ingest database: authentication per number, durable storage, every kind,
echoes, statuses, chats that are no customer, duplicates, media carried in the webhook, connection changes."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY as METRICS

from leadline.events import (
    MediaStoredV2,
    MessageEchoedV2,
    MessageReceivedV2,
    MessageStatusChangedV2,
    NumberConnection,
    NumberConnectionChangedV1,
)
from leadline.fakegraph.evolution import payloads as evo
from leadline.fakegraph.samples import sample_for
from leadline.ingest.adapters.evolution.api_keys import EvolutionApiKeys
from leadline.ingest.adapters.media_store import LocalMediaStore
from leadline.ingest.adapters.tables import media_jobs, quarantined_deliveries, webhook_deliveries
from leadline.ingest.domain.evolution_instances import EvolutionInstance, evolution_wamid
from leadline.ingest.entrypoints.evolution_webhooks import evolution_webhook_router
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.platform.http import install_error_handlers

NUMBER, ACCOUNT, INSTANCE, KEY = "5511934567890", "acme", "acme-usados", "s3cr3t-instance-key"
CLOUD_NUMBER = "106540352242922"
CUSTOMER = evo.jid("551187654321")
URL = f"/webhooks/evolution/{NUMBER}"


@pytest.fixture
async def evolution(ingest_db, tmp_path):
    keys = tmp_path / "evolution-api-keys"
    keys.mkdir()
    (keys / INSTANCE).write_text(KEY + "\n")
    async with ingest_db.uow() as uow:
        instance = EvolutionInstance("http://evolution.invalid", INSTANCE, INSTANCE)
        await uow.numbers.register(NUMBER, ACCOUNT, None, instance)
        await uow.numbers.register(CLOUD_NUMBER, ACCOUNT)
        await uow.commit()
    store = LocalMediaStore(tmp_path / "media")
    app = FastAPI()
    install_error_handlers(app)
    settings = IngestSettings(database_url=ingest_db.url, webhook_max_body_bytes=64 * 1024)
    app.include_router(evolution_webhook_router(settings, ingest_db.uow, store, EvolutionApiKeys(keys)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:
        yield client, store


def body(event: str, data: object, *, apikey: str | None = KEY, instance: str = INSTANCE) -> dict:
    return evo.envelope(event, instance, data, apikey=apikey)


def rejected(reason: str) -> float:
    return METRICS.get_sample_value("leadline_ingest_webhooks_rejected_total", {"reason": reason}) or 0.0


def ignored(reason: str) -> float:
    return METRICS.get_sample_value("leadline_ingest_evolution_ignored_total", {"reason": reason}) or 0.0


async def test_a_customer_text_is_stored_before_200_and_staged_as_the_same_received_event(evolution, ingest_db):
    client, _ = evolution
    data = evo.message_upsert(evo.text("Oi, quero ver o Onix"), remote_jid=CUSTOMER, id="3EB0A1")

    response = await client.post(URL, json=body("messages.upsert", data))

    assert response.status_code == 200 and response.json()["events"] == 1
    [envelope] = await ingest_db.staged()
    assert envelope.account_id == ACCOUNT and envelope.stream_id == f"wa:{NUMBER}:551187654321"
    [received] = await ingest_db.staged_payloads()
    assert isinstance(received, MessageReceivedV2) and received.wamid == evolution_wamid(NUMBER, "3EB0A1")
    assert received.content.body == "Oi, quero ver o Onix" and received.display_phone_number == f"+{NUMBER}"
    assert len(await ingest_db.rows(webhook_deliveries)) == 1


async def test_the_key_may_come_in_an_apikey_header_instead_of_the_body(evolution, ingest_db):
    client, _ = evolution
    data = evo.message_upsert(evo.text("oi"), remote_jid=CUSTOMER)

    response = await client.post(URL, json=body("messages.upsert", data, apikey=None), headers={"apikey": KEY})

    assert response.status_code == 200 and len(await ingest_db.staged()) == 1


@pytest.mark.parametrize(
    ("url", "apikey", "instance", "status", "reason"),
    [
        (URL, None, INSTANCE, 401, "evolution_api_key"),
        (URL, "guess", INSTANCE, 401, "evolution_api_key"),
        (URL, KEY, "another-instance", 404, "unknown_instance"),
        ("/webhooks/evolution/5511900000000", KEY, INSTANCE, 404, "unknown_instance"),
        (f"/webhooks/evolution/{CLOUD_NUMBER}", KEY, INSTANCE, 404, "unknown_instance"),
    ],
)
async def test_unauthenticated_or_unknown_instance_webhooks_are_refused_counted_and_never_stored(
    evolution, ingest_db, url, apikey, instance, status, reason
):
    client, _ = evolution
    before = rejected(reason)
    data = evo.message_upsert(evo.text("oi"), remote_jid=CUSTOMER)

    response = await client.post(url, json=body("messages.upsert", data, apikey=apikey, instance=instance))

    assert response.status_code == status
    assert rejected(reason) == before + 1
    assert await ingest_db.staged() == []
    assert await ingest_db.rows(webhook_deliveries) == [] and await ingest_db.rows(quarantined_deliveries) == []


async def test_a_body_that_is_not_json_is_refused_unless_authenticated_and_then_quarantined(evolution, ingest_db):
    client, _ = evolution

    anonymous = await client.post(URL, content=b"{not json")
    authenticated = await client.post(URL, content=b"{not json", headers={"apikey": KEY})

    assert (anonymous.status_code, authenticated.status_code) == (401, 400)
    assert len(await ingest_db.rows(quarantined_deliveries)) == 1 and await ingest_db.staged() == []


async def test_every_kind_becomes_the_same_event_as_on_the_cloud_api(evolution, ingest_db):
    client, _ = evolution
    messages = [
        evo.text("oi"),
        evo.extended_text("com link https://acme.com.br"),
        *(evo.media(kind, caption="veja") for kind in ("image", "video", "gif", "audio", "voice", "document")),
        evo.media("sticker"),
        evo.location(-23.56, -46.65, name="Acme"),
        evo.contact("Carlos", "5511912345678"),
        evo.reaction("3EB0X", "❤️", remote_jid=CUSTOMER),
        {"pollCreationMessageV3": {"name": "?"}},
    ]
    for message in messages:
        response = await client.post(
            URL, json=body("messages.upsert", evo.message_upsert(message, remote_jid=CUSTOMER))
        )
        assert response.status_code == 200, response.text

    kinds = [p.content.kind for p in await ingest_db.staged_payloads()]
    assert kinds == [
        "text",
        "text",
        "image",
        "video",
        "gif",
        "audio",
        "voice",
        "document",
        "sticker",
        "location",
        "contacts",
        "reaction",
        "unsupported",
    ]


async def test_a_redelivered_message_is_stored_once(evolution, ingest_db):
    client, _ = evolution
    data = body("messages.upsert", evo.message_upsert(evo.text("oi"), remote_jid=CUSTOMER, id="3EB0DUP"))

    first, again = await client.post(URL, json=data), await client.post(URL, json=data)

    assert (first.json()["events"], again.json()["events"], again.json()["duplicates"]) == (1, 0, 1)
    assert len(await ingest_db.staged()) == 1


async def test_the_phones_own_messages_are_echoes_and_statuses_move_only_forward(evolution, ingest_db):
    client, _ = evolution
    echo = evo.message_upsert(evo.text("Temos sim!"), remote_jid=CUSTOMER, from_me=True, id="3EB0ME")
    updates = ["DELIVERY_ACK", "SERVER_ACK", "READ", "DELIVERY_ACK", "PENDING"]

    await client.post(URL, json=body("messages.upsert", echo))
    for status in updates:
        await client.post(URL, json=body("messages.update", evo.message_update("3EB0ME", status, remote_jid=CUSTOMER)))

    payloads = await ingest_db.staged_payloads()
    assert isinstance(payloads[0], MessageEchoedV2) and payloads[0].wamid == evolution_wamid(NUMBER, "3EB0ME")
    assert [p.status.value for p in payloads[1:] if isinstance(p, MessageStatusChangedV2)] == ["delivered", "read"]
    assert len(payloads) == 3


async def test_groups_broadcasts_and_status_updates_are_accepted_ignored_and_counted(evolution, ingest_db):
    client, _ = evolution
    before = {reason: ignored(reason) for reason in ("group", "broadcast", "status")}

    for jid in ("120363025246125486@g.us", "1695135456@broadcast", "status@broadcast"):
        response = await client.post(
            URL, json=body("messages.upsert", evo.message_upsert(evo.text("x"), remote_jid=jid))
        )
        assert response.status_code == 200 and response.json()["ignored"] == 1

    assert await ingest_db.staged() == []
    assert {reason: ignored(reason) - before[reason] for reason in before} == {"group": 1, "broadcast": 1, "status": 1}
    assert len(await ingest_db.rows(webhook_deliveries)) == 3  # kept, like every accepted body


async def test_a_malformed_message_is_kept_as_unsupported_and_its_part_quarantined(evolution, ingest_db):
    client, _ = evolution
    data = evo.message_upsert({"imageMessage": {"caption": "sem mimetype"}}, remote_jid=CUSTOMER)

    response = await client.post(URL, json=body("messages.upsert", data))

    assert response.status_code == 200 and response.json()["quarantined"] == 1
    [kept] = await ingest_db.staged_payloads()
    assert kept.content.kind == "unsupported" and kept.content.original_type == "imageMessage"
    [part] = await ingest_db.rows(quarantined_deliveries)
    assert part.part_path == "data.message"


async def test_media_carried_in_the_webhook_is_stored_and_its_stored_event_follows_its_message(evolution, ingest_db):
    client, store = evolution
    data = evo.message_upsert(evo.media("voice", with_base64=True), remote_jid=CUSTOMER, id="3EB0B64")

    await client.post(URL, json=body("messages.upsert", data))
    await client.post(URL, json=body("messages.upsert", data))  # a redelivery stores and emits nothing new

    envelopes = await ingest_db.staged()
    message, stored = await ingest_db.staged_payloads()
    assert isinstance(message, MessageReceivedV2) and isinstance(stored, MediaStoredV2)
    assert [e.sequence for e in envelopes] == [1, 2] and stored.wamid == message.wamid
    assert await store.get(stored.stored.key) == sample_for("voice").read()
    assert "base64" not in json.dumps(message.content.model_dump(mode="json"))


async def test_media_without_its_bytes_is_scheduled_for_fetching_from_evolution(evolution, ingest_db):
    client, _ = evolution
    data = evo.message_upsert(evo.media("image"), remote_jid=CUSTOMER, id="3EB0IMG")

    await client.post(URL, json=body("messages.upsert", data))

    [job] = await ingest_db.rows(media_jobs)
    assert (job.wamid, job.provider_media_id, job.phone_number_id) == (
        evolution_wamid(NUMBER, "3EB0IMG"),
        "3EB0IMG",
        NUMBER,
    )


@pytest.mark.parametrize(
    ("state", "reason", "connection", "needs_qr_code"),
    [
        ("close", 401, NumberConnection.DISCONNECTED, True),
        ("close", 428, NumberConnection.DISCONNECTED, False),
        ("refused", 428, NumberConnection.REFUSED, True),
        ("open", 200, NumberConnection.CONNECTED, False),
    ],
)
async def test_a_connection_change_is_an_event_on_the_numbers_stream_and_a_metric(
    evolution, ingest_db, state, reason, connection, needs_qr_code
):
    client, _ = evolution

    response = await client.post(URL, json=body("connection.update", evo.connection_update(INSTANCE, state, reason)))

    assert response.status_code == 200
    [envelope] = await ingest_db.staged()
    [changed] = await ingest_db.staged_payloads()
    assert envelope.stream_id == f"number:{NUMBER}" and envelope.account_id == ACCOUNT
    assert isinstance(changed, NumberConnectionChangedV1)
    assert (changed.connection, changed.needs_qr_code, changed.reason_code) == (connection, needs_qr_code, reason)
    seen = METRICS.get_sample_value(
        "leadline_ingest_evolution_connection_last_seen_timestamp_seconds",
        {"phone_number_id": NUMBER, "connection": connection.value},
    )
    assert seen == pytest.approx(changed.at.timestamp())


async def test_contact_updates_are_stored_and_emit_nothing(evolution, ingest_db):
    client, _ = evolution

    response = await client.post(URL, json=body("contacts.update", evo.contacts_update(CUSTOMER, "Joana")))

    assert response.status_code == 200 and response.json()["events"] == 0
    assert await ingest_db.staged() == [] and len(await ingest_db.rows(webhook_deliveries)) == 1


async def test_webhook_by_events_urls_are_the_same_door(evolution, ingest_db):
    client, _ = evolution
    data = evo.message_upsert(evo.text("oi"), remote_jid=CUSTOMER)

    response = await client.post(f"{URL}/messages-upsert", json=body("messages.upsert", data))

    assert response.status_code == 200 and len(await ingest_db.staged()) == 1


def test_the_sample_bytes_survive_base64():
    assert base64.b64decode(evo.media("image", with_base64=True)["base64"]) == sample_for("image").read()
