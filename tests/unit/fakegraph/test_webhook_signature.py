"""Webhook signing must match what Meta sends in ``X-Hub-Signature-256``."""

from __future__ import annotations

import hashlib
import hmac
import json

from leadline.fakegraph import webhooks as wh


def test_signature_is_sha256_prefixed_hex_hmac_of_the_exact_body():
    body = b'{"object":"whatsapp_business_account","entry":[]}'

    expected = hmac.new(b"dev-app-secret", body, hashlib.sha256).hexdigest()
    assert wh.sign(body, "dev-app-secret") == f"sha256={expected}"


def test_signature_changes_with_the_secret_and_with_the_body():
    body = b"{}"

    assert wh.sign(body, "a") != wh.sign(body, "b")
    assert wh.sign(body, "a") != wh.sign(b"{ }", "a")


def test_encoded_body_is_compact_json_with_non_ascii_escaped_like_meta():
    payload = wh.WebhookBuilder().inbound(wh.text_message("5511987654321", "Olá, tudo bem? 🚗"))

    body = wh.encode(payload)

    assert b'": ' not in body and b'", "' not in body  # compact separators
    assert b"\\u00e1" in body  # á escaped, as Meta sends it
    assert body.isascii()
    assert json.loads(body) == payload


def test_signed_request_gives_the_body_and_headers_that_verify():
    payload = wh.WebhookBuilder().statuses(wh.status("wamid.A", "sent", "5511987654321"))

    body, headers = wh.signed_request(payload, "s3cret")

    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == "sha256=" + digest
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == payload
