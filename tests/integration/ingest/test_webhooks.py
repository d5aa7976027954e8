"""Webhooks in: handshake, signatures, limits, undecodable bodies, every kind, batches, duplicates, statuses."""

from __future__ import annotations

import asyncio
import random

from prometheus_client import REGISTRY as METRICS

from leadline.events import WHATSAPP_INBOUND, Envelope
from leadline.events.common import chat_stream_id
from leadline.fakegraph import webhooks as wh
from leadline.ingest.adapters.tables import quarantined_deliveries, webhook_deliveries
from tests.integration.ingest.conftest import VERIFY_TOKEN
from tests.kafka_helpers import keyed, read_topic

BUSINESS = wh.BusinessNumber()


def new_customer() -> str:
    return f"55119{random.randint(10_000_000, 99_999_999)}"


def stream_of(customer: str) -> str:
    return chat_stream_id(BUSINESS.phone_number_id, customer)


async def events_of(ingest, *customers: str, expected: int, timeout_s: float = 15.0) -> list[Envelope]:
    """The chat events of these customers: waits for ``expected``, then 1 s more so extras would show."""
    records = await read_topic(
        ingest.settings.kafka_bootstrap_servers,
        WHATSAPP_INBOUND,
        expected=expected,
        timeout_s=timeout_s,
        settle_s=1.0,
        where=keyed(*(stream_of(c) for c in customers)),
    )
    return [Envelope.from_bytes(record.value) for record in records]


def rejected(reason: str) -> float:
    return METRICS.get_sample_value("leadline_ingest_webhooks_rejected_total", {"reason": reason}) or 0.0


async def test_the_verification_handshake_echoes_the_challenge_for_the_right_token(ingest):
    response = await ingest.client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200 and response.text == "1158201444"


async def test_the_verification_handshake_is_refused_for_a_wrong_token(ingest):
    response = await ingest.client.get(
        "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "verification_failed"


async def test_unsigned_and_wrongly_signed_deliveries_are_refused_counted_and_never_stored(ingest):
    before_stored, before_quarantined, before_count = (
        await ingest.count(webhook_deliveries),
        await ingest.count(quarantined_deliveries),
        rejected("signature"),
    )
    body = wh.encode(wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(new_customer(), "oi")))
    unsigned = await ingest.client.post("/webhooks/whatsapp", content=body)
    forged = await ingest.post_signed(
        wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(new_customer(), "oi")), secret="wrong"
    )
    tampered_body = body.replace(b"oi", b"ok")
    tampered = await ingest.client.post(
        "/webhooks/whatsapp", content=tampered_body, headers={"X-Hub-Signature-256": wh.sign(body, "test-app-secret")}
    )
    assert [r.status_code for r in (unsigned, forged, tampered)] == [401, 401, 401]
    assert unsigned.json()["error"]["code"] == "invalid_signature"
    assert rejected("signature") == before_count + 3
    assert await ingest.count(webhook_deliveries) == before_stored
    assert await ingest.count(quarantined_deliveries) == before_quarantined


async def test_a_body_over_the_limit_is_refused_with_413_before_anything_else(ingest):
    limit = ingest.settings.webhook_max_body_bytes
    huge = wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(new_customer(), "x" * (limit + 10)))
    response = await ingest.post_signed(huge)
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


async def test_invalid_utf8_and_deeply_nested_json_are_400s_not_crashes(ingest):
    from leadline.fakegraph.webhooks import sign

    for body in (b'{"object": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000):
        response = await ingest.client.post(
            "/webhooks/whatsapp", content=body, headers={"X-Hub-Signature-256": sign(body, "test-app-secret")}
        )
        assert response.status_code == 400, body[:20]


async def test_every_message_kind_becomes_one_typed_event_in_order(ingest):
    customer = new_customer()
    messages = [
        wh.text_message(customer, "Olá, o Onix 2024 ainda está disponível?"),
        wh.image_message(customer, "media-img-1", caption="esse aqui"),
        wh.audio_message(customer, "media-aud-1"),
        wh.voice_message(customer, "media-voice-1"),
        wh.video_message(customer, "media-vid-1"),
        wh.gif_message(customer, "media-gif-1"),
        wh.document_message(customer, "media-doc-1", filename="cnh.pdf"),
        wh.sticker_message(customer, "media-stk-1", animated=True),
        wh.location_message(customer, -23.55, -46.63, name="Loja Paulista"),
        wh.contacts_message(customer, [wh.contact_card("Maria Lima", "+55 11 91234-5678")]),
        wh.reaction_message(customer, "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ1RjE3", "👍"),
        wh.button_reply_message(customer, "test-drive", "Agendar test drive"),
        wh.list_reply_message(customer, "suv", "SUVs"),
        wh.template_button_message(customer, "Sim, quero"),
        wh.unsupported_message(customer, "poll_creation"),
    ]
    response = await ingest.post_signed(wh.WebhookBuilder(BUSINESS).inbound(*messages, profile_name="João Pereira"))
    assert response.status_code == 200, response.text
    events = await events_of(ingest, customer, expected=len(messages))
    assert [e.payload["wamid"] for e in events] == [m["id"] for m in messages]
    assert [e.sequence for e in events] == list(range(1, len(messages) + 1))
    kinds = [e.payload["content"]["kind"] for e in events]
    assert kinds[0] == "text" and kinds[1] == "image" and kinds[3] == "voice" and kinds[7] == "sticker"
    assert {"location", "contacts", "reaction", "interactive_reply", "button", "unsupported"} <= set(kinds)
    assert all(
        e.type == "ingest.message.received" and e.payload["customer_display_name"] == "João Pereira" for e in events
    )


async def test_a_customer_without_a_profile_name_is_shown_by_the_formatted_number(ingest):
    customer = "5511987654321"
    payload = wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(customer, "oi"), profile_name=None)
    assert (await ingest.post_signed(payload)).status_code == 200
    [event] = await events_of(ingest, customer, expected=1)
    assert event.payload["customer_display_name"] == "+55 11 98765-4321"


async def test_a_batch_of_entries_and_changes_emits_every_message_keyed_by_its_chat(ingest):
    first, second = new_customer(), new_customer()
    other_business = wh.BusinessNumber(phone_number_id="209876543210987", display_phone_number="551140000000")
    change_a = wh.messages_change(
        BUSINESS, [wh.text_message(first, "1"), wh.text_message(first, "2")], [wh.contact(first)]
    )
    change_b = wh.messages_change(BUSINESS, [wh.text_message(second, "3")], [wh.contact(second)])
    change_c = wh.messages_change(other_business, [wh.text_message(first, "4")], [wh.contact(first)])
    payload = wh.delivery([wh.entry(BUSINESS.waba_id, [change_a, change_b]), wh.entry("999", [change_c])])
    assert (await ingest.post_signed(payload)).json()["events"] == 4
    events = await events_of(ingest, first, second, expected=3)
    assert sorted(e.payload["content"]["body"] for e in events) == ["1", "2", "3"]
    other = await read_topic(
        ingest.settings.kafka_bootstrap_servers,
        WHATSAPP_INBOUND,
        expected=1,
        where=keyed(chat_stream_id(other_business.phone_number_id, first)),
    )
    assert len(other) == 1


async def test_the_same_message_delivered_many_times_concurrently_is_one_event(ingest):
    customer = new_customer()
    payload = wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(customer, "quero um orçamento"))
    responses = await asyncio.gather(*(ingest.post_signed(payload) for _ in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert sum(r.json()["events"] for r in responses) == 1
    assert len(await events_of(ingest, customer, expected=1)) == 1


async def test_an_album_delivered_as_concurrent_webhooks_in_any_order_gets_gapless_sequences(ingest):
    customer = new_customer()
    photos = [wh.image_message(customer, f"album-{n}") for n in range(10)]
    random.shuffle(photos)
    responses = await asyncio.gather(*(ingest.post_signed(wh.WebhookBuilder(BUSINESS).inbound(p)) for p in photos))
    assert all(r.status_code == 200 for r in responses)
    events = await events_of(ingest, customer, expected=10)
    assert sorted(e.payload["wamid"] for e in events) == sorted(p["id"] for p in photos)
    assert [e.sequence for e in events] == list(range(1, 11)), "one partition, in sequence order"


async def test_a_status_never_moves_backwards_and_repeats_are_ignored(ingest):
    customer = new_customer()
    wamid = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkFCQ0RFRjAxMjM0NTY3ODkA"
    builder = wh.WebhookBuilder(BUSINESS)
    for state in ("delivered", "read", "delivered", "sent", "read"):
        assert (await ingest.post_signed(builder.statuses(wh.status(wamid, state, customer)))).status_code == 200
    events = await events_of(ingest, customer, expected=2)
    assert [e.payload["status"] for e in events] == ["delivered", "read"]


async def test_a_failed_status_carries_metas_error(ingest):
    customer = new_customer()
    failed = wh.failed_status("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkZBSUxFRDAxMjM0NTY3ODkA", customer, 131026)
    assert (await ingest.post_signed(wh.WebhookBuilder(BUSINESS).statuses(failed))).status_code == 200
    [event] = await events_of(ingest, customer, expected=1)
    assert event.payload["status"] == "failed" and event.payload["errors"][0]["code"] == 131026


async def test_a_message_sent_from_the_business_app_on_the_phone_becomes_an_echo_event(ingest):
    customer = new_customer()
    echo = wh.echo_of(wh.text_message(customer, "Bom dia! Aqui é a Ana da Acme Motors."), BUSINESS, customer)
    assert (await ingest.post_signed(wh.WebhookBuilder(BUSINESS).echoes(echo))).status_code == 200
    [event] = await events_of(ingest, customer, expected=1)
    assert event.type == "ingest.message.echoed"
    assert event.payload["content"]["body"] == "Bom dia! Aqui é a Ana da Acme Motors."
