"""Hostile webhooks against a real ingest process: each is refused with its status, counted once, and stores nothing.

What ingest documents (services/ingest/README.md, "Webhooks in"): size limit → 413, signature → 401, both before
anything is parsed; a correctly signed body that is not a Cloud API delivery (invalid UTF-8, too deeply nested JSON)
→ 400 and the raw body is kept in ``quarantined_deliveries`` for inspection, nothing emitted. So the quarantine
table grows by exactly one for those two probes and by nothing for the others.
"""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from leadline.fakegraph import webhooks as wh
from tests.security.conftest import APP_SECRET, new_customer

TABLES = ("webhook_deliveries", "inbound_messages", "quarantined_deliveries", "outbox")
REJECTED = "leadline_ingest_webhooks_rejected"


async def rejected_counts(stack) -> dict[str, float]:
    async with stack.client("ingest") as ingest:
        text = (await ingest.get("/metrics")).text
    return {
        sample.labels["reason"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == REJECTED
        for sample in family.samples
        if sample.name == f"{REJECTED}_total"
    }


async def stored_rows(stack) -> dict[str, int]:
    return {table: await stack.count("ingest", table) for table in TABLES}


async def probe(stack, send, *, status: int, code: str, reason: str, quarantined: int = 0) -> httpx.Response:
    """Send one hostile request; check its answer, the counter and every table."""
    counts, rows = await rejected_counts(stack), await stored_rows(stack)
    answer = await send()
    assert answer.status_code == status, answer.text[:300]
    assert answer.json()["error"]["code"] == code
    after = await rejected_counts(stack)
    assert after.get(reason, 0) == counts.get(reason, 0) + 1, f"{reason} counted once: {counts} -> {after}"
    assert {r: v for r, v in after.items() if r != reason} == {r: v for r, v in counts.items() if r != reason}
    expected = rows | {"quarantined_deliveries": rows["quarantined_deliveries"] + quarantined}
    assert await stored_rows(stack) == expected
    return answer


def a_delivery(stack) -> bytes:
    return wh.encode(
        wh.WebhookBuilder(stack.accounts["a"].number).inbound(
            wh.text_message(new_customer(), "Quero fazer um test drive")
        )
    )


async def post(stack, body: bytes | object, headers: dict[str, str] | None = None) -> httpx.Response:
    async with stack.client("ingest") as ingest:
        return await ingest.post("/webhooks/whatsapp", content=body, headers=headers or {})


async def test_an_unsigned_delivery_is_a_401(stack):
    body = a_delivery(stack)
    await probe(stack, lambda: post(stack, body), status=401, code="invalid_signature", reason="signature")


async def test_a_delivery_signed_with_another_secret_is_a_401(stack):
    body = a_delivery(stack)
    headers = {"X-Hub-Signature-256": wh.sign(body, "not-the-app-secret")}
    await probe(stack, lambda: post(stack, body, headers), status=401, code="invalid_signature", reason="signature")


@pytest.mark.parametrize("header", ["sha256=", "sha1=0000", "sha256=zz" + "0" * 62, "garbage"])
async def test_a_malformed_signature_header_is_a_401(stack, header):
    body = a_delivery(stack)
    await probe(
        stack,
        lambda: post(stack, body, {"X-Hub-Signature-256": header}),
        status=401,
        code="invalid_signature",
        reason="signature",
    )


async def test_a_stored_delivery_replayed_with_one_byte_changed_under_its_old_signature_is_a_401(stack):
    body = a_delivery(stack)
    signature = {"X-Hub-Signature-256": wh.sign(body, APP_SECRET)}
    assert (await post(stack, body, signature)).status_code == 200, "the original is genuine"
    changed = body.replace(b"test drive", b"test drivE")
    assert len(changed) == len(body) and sum(a != b for a, b in zip(body, changed, strict=True)) == 1
    await probe(
        stack, lambda: post(stack, changed, signature), status=401, code="invalid_signature", reason="signature"
    )


async def test_an_oversized_delivery_is_a_413_by_its_declared_length(stack):
    body = b'{"object": "' + b"x" * (1024 * 1024 + 1) + b'"}'
    headers = {"X-Hub-Signature-256": wh.sign(body, APP_SECRET)}
    await probe(stack, lambda: post(stack, body, headers), status=413, code="body_too_large", reason="too_large")


async def test_an_oversized_delivery_sent_chunked_without_a_length_is_a_413_while_streaming(stack):
    async def chunks():
        for _ in range(40):
            yield b"[" * 32_768  # 1.25 MiB in all; no Content-Length, so ingest must count as it reads

    await probe(
        stack,
        lambda: post(stack, chunks(), {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
        status=413,
        code="body_too_large",
        reason="too_large",
    )


async def test_a_signed_body_of_100000_nested_brackets_is_a_quick_400_and_ingest_stays_up(stack):
    body = b"[" * 100_000 + b"]" * 100_000
    headers = {"X-Hub-Signature-256": wh.sign(body, APP_SECRET)}
    started = time.perf_counter()
    answer = await probe(
        stack,
        lambda: post(stack, body, headers),
        status=400,
        code="malformed_delivery",
        reason="malformed",
        quarantined=1,
    )
    assert time.perf_counter() - started < 5, "bounded time"
    assert "nested" in answer.json()["error"]["message"] or "recursion" in answer.json()["error"]["message"]
    async with stack.client("ingest") as ingest:
        assert (await ingest.get("/healthz")).status_code == 200
    assert stack.processes["ingest"].poll() is None, "the process is alive"


async def test_a_signed_body_of_nested_objects_is_a_400(stack):
    body = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    headers = {"X-Hub-Signature-256": wh.sign(body, APP_SECRET)}
    await probe(
        stack,
        lambda: post(stack, body, headers),
        status=400,
        code="malformed_delivery",
        reason="malformed",
        quarantined=1,
    )


async def test_a_signed_body_of_invalid_utf8_is_a_400_and_kept_in_quarantine_only(stack):
    body = b'{"object": "whatsapp_business_account", "entry": [{"id": "\xff\xfe\xc3"}]}'
    headers = {"X-Hub-Signature-256": wh.sign(body, APP_SECRET)}
    await probe(
        stack,
        lambda: post(stack, body, headers),
        status=400,
        code="malformed_delivery",
        reason="malformed",
        quarantined=1,
    )
