"""Every real delivery is a 200: unreadable parts are quarantined with their paths and the rest is stored.

Only a body that is no WhatsApp delivery at all is a 400. Meta retries anything but a 200 for seven days,
and every other message of a refused delivery would be lost with it.
"""

from __future__ import annotations

import json
import random

import structlog
from prometheus_client import REGISTRY as METRICS
from sqlalchemy import insert, select

from leadline.events import WHATSAPP_INBOUND, Envelope
from leadline.events.common import chat_stream_id
from leadline.fakegraph import webhooks as wh
from leadline.fakegraph.errors import webhook_error
from leadline.ingest.adapters.tables import business_numbers, quarantined_deliveries
from tests.kafka_helpers import keyed, read_topic

BUSINESS = wh.BusinessNumber()
MESSAGES = "entry[0].changes[0].value.messages"


def new_customer() -> str:
    return f"55119{random.randint(10_000_000, 99_999_999)}"


async def events_of(ingest, customer: str, *, expected: int, business: wh.BusinessNumber = BUSINESS) -> list[Envelope]:
    records = await read_topic(
        ingest.settings.kafka_bootstrap_servers,
        WHATSAPP_INBOUND,
        expected=expected,
        settle_s=0.5,
        where=keyed(chat_stream_id(business.phone_number_id, customer)),
    )
    return [Envelope.from_bytes(record.value) for record in records]


async def quarantined_since(ingest, last_id: int) -> list[dict]:
    async with ingest.engine.connect() as connection:
        rows = await connection.execute(
            select(quarantined_deliveries)
            .where(quarantined_deliveries.c.id > last_id)
            .order_by(quarantined_deliveries.c.id)
        )
        return [dict(row._mapping) for row in rows]


async def last_quarantined_id(ingest) -> int:
    rows = await quarantined_since(ingest, 0)
    return rows[-1]["id"] if rows else 0


def metric(name: str, labels: dict[str, str] | None = None) -> float:
    return METRICS.get_sample_value(name, labels or {}) or 0.0


async def test_metas_unrendered_interactive_is_kept_as_unsupported_with_its_error_beside_the_other_message(ingest):
    customer = new_customer()
    unrendered = wh.unrendered_message(customer, "interactive")
    text = wh.text_message(customer, "Oi, ainda tem o HB20?")
    payload = wh.WebhookBuilder(BUSINESS).batch(
        wh.unrendered_errors_change(BUSINESS, unrendered, text, contacts=[wh.contact(customer)])
    )
    since, parts_before = await last_quarantined_id(ingest), metric("leadline_ingest_webhook_parts_quarantined_total")
    errors_before = metric("leadline_ingest_whatsapp_webhook_errors_total", {"code": "131000"})

    response = await ingest.post_signed(payload)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "stored", "events": 2, "duplicates": 0, "quarantined": 1}
    first, second = await events_of(ingest, customer, expected=2)
    assert first.payload["content"] | {"raw": None} == {
        "kind": "unsupported",
        "original_type": "interactive",
        "error_code": 131000,
        "error_title": "Something went wrong",
        "error_details": wh.UNSUPPORTED_WEBHOOK_PAYLOAD,
        "raw": None,
    }
    assert first.payload["content"]["raw"] == unrendered
    assert (second.payload["content"]["kind"], second.payload["content"]["body"]) == ("text", "Oi, ainda tem o HB20?")
    (part,) = await quarantined_since(ingest, since)
    assert part["part_path"] == f"{MESSAGES}[0]" and part["reason"] == f"{MESSAGES}[0].interactive: missing"
    assert json.loads(part["raw_body"]) == unrendered
    assert metric("leadline_ingest_webhook_parts_quarantined_total") == parts_before + 1
    assert metric("leadline_ingest_whatsapp_webhook_errors_total", {"code": "131000"}) == errors_before + 1


async def test_value_level_errors_without_messages_are_a_200_counted_by_code_with_nothing_quarantined(ingest):
    payload = wh.WebhookBuilder(BUSINESS).batch(wh.errors_change(BUSINESS, [webhook_error(131000)]))
    since, before = (
        await last_quarantined_id(ingest),
        metric("leadline_ingest_whatsapp_webhook_errors_total", {"code": "131000"}),
    )

    response = await ingest.post_signed(payload)

    assert response.json() == {"status": "stored", "events": 0, "duplicates": 0, "quarantined": 0}
    assert metric("leadline_ingest_whatsapp_webhook_errors_total", {"code": "131000"}) == before + 1
    assert await quarantined_since(ingest, since) == []


async def test_a_message_without_a_time_is_quarantined_and_the_rest_of_its_delivery_stored(ingest):
    customer = new_customer()
    half_an_emoji = wh.text_message(customer, "oi \ud83d")  # sent as the escape "\\ud83d": valid JSON, no valid text
    payload = wh.WebhookBuilder(BUSINESS).inbound(
        wh.text_message(customer, "oi"), wh.text_message(customer, "tudo?"), half_an_emoji
    )
    del payload["entry"][0]["changes"][0]["value"]["messages"][1]["timestamp"]
    failed = wh.status(
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYElVOUkVBREFCTEUwMTIzNAA=",
        "failed",
        customer,
        errors=[{"title": "a Meta error without its code"}],
    )
    payload["entry"][0]["changes"].append(wh.statuses_change(BUSINESS, [failed]))
    since = await last_quarantined_id(ingest)

    response = await ingest.post_signed(payload)

    assert response.status_code == 200 and response.json()["events"] == 2 and response.json()["quarantined"] == 3
    text, unsupported = await events_of(ingest, customer, expected=2)
    assert text.payload["content"]["body"] == "oi"
    assert (
        unsupported.payload["content"]["kind"] == "unsupported" and unsupported.payload["wamid"] == half_an_emoji["id"]
    )
    parts = await quarantined_since(ingest, since)
    assert [(p["part_path"], p["reason"].split(":")[0]) for p in parts] == [
        (f"{MESSAGES}[1]", f"{MESSAGES}[1].timestamp"),
        (f"{MESSAGES}[2]", f"{MESSAGES}[2].text.body"),
        ("entry[0].changes[1].value.statuses[0]", "entry[0].changes[1].value.statuses[0].errors[0].code"),
    ]
    assert json.loads(parts[1]["raw_body"]) == half_an_emoji, "kept exactly as sent"


async def test_only_a_body_that_is_no_whatsapp_delivery_is_a_400_quarantined_whole(ingest):
    no_entry_list = {"object": "whatsapp_business_account", "entry": {"id": "1"}}
    since = await last_quarantined_id(ingest)

    wrong_object = await ingest.post_signed({"object": "page", "entry": []})
    not_a_delivery = await ingest.post_signed(no_entry_list)
    body = b"object=whatsapp_business_account"
    not_json = await ingest.client.post(
        "/webhooks/whatsapp", content=body, headers={"X-Hub-Signature-256": wh.sign(body, "test-app-secret")}
    )

    assert [r.status_code for r in (wrong_object, not_a_delivery, not_json)] == [400, 400, 400]
    assert {r.json()["error"]["code"] for r in (wrong_object, not_a_delivery, not_json)} == {"malformed_delivery"}
    parts = await quarantined_since(ingest, since)
    assert [p["part_path"] for p in parts] == [None, None, None]
    assert parts[2]["raw_body"] == body


async def test_a_number_no_account_owns_is_stored_counted_per_delivery_and_logged_once(ingest):
    unowned = wh.BusinessNumber(phone_number_id=str(random.randint(10**14, 10**15 - 1)))
    owned = wh.BusinessNumber(phone_number_id=str(random.randint(10**14, 10**15 - 1)))
    async with ingest.engine.begin() as connection:
        await connection.execute(
            insert(business_numbers).values(phone_number_id=owned.phone_number_id, account_id="acme")
        )
    customer = new_customer()
    before = metric("leadline_ingest_unowned_number_deliveries_total")

    with structlog.testing.capture_logs() as logs:
        answers = [
            await ingest.post_signed(wh.WebhookBuilder(business).inbound(wh.text_message(customer, text)))
            for business, text in ((unowned, "1"), (unowned, "2"), (owned, "3"))
        ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert metric("leadline_ingest_unowned_number_deliveries_total") == before + 2
    warnings = [line for line in logs if "no account owns" in line["event"]]
    assert [(w["phone_number_id"], w["account_id"]) for w in warnings] == [(unowned.phone_number_id, "default")]
    stored = await events_of(ingest, customer, expected=2, business=unowned)
    assert [(e.account_id, e.payload["content"]["body"]) for e in stored] == [("default", "1"), ("default", "2")]
