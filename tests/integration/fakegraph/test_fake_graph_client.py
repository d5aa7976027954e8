"""``FakeGraphClient`` against a fake served by uvicorn, and ``python -m leadline.fakegraph`` booting."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from leadline.fakegraph.client import FakeGraphClient

pytestmark = pytest.mark.asyncio

NUMBER = "106540352242922"


async def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_client_say_reaches_the_receiver_signed_with_the_app_secret(served_fake, receiver):
    async with FakeGraphClient(served_fake, phone_number_id=NUMBER) as client:
        answer = await client.say("5511987654321", "Do you take trade-ins?", profile_name=None)

    (received,) = receiver.received
    digest = hmac.new(b"test-app-secret", received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-hub-signature-256"] == f"sha256={digest}"
    value = json.loads(received.body)["entry"][0]["changes"][0]["value"]
    assert value["messages"][0]["id"] == answer["wamid"]
    assert value["contacts"] == [{"wa_id": "5511987654321"}]


async def test_client_sees_sends_and_their_automatic_status_ticks(served_fake, receiver):
    async with FakeGraphClient(served_fake, phone_number_id=NUMBER) as client, httpx.AsyncClient() as graph:
        await graph.post(
            f"{served_fake}/v21.0/{NUMBER}/messages",
            headers={"Authorization": "Bearer test-access-token"},
            json={"messaging_product": "whatsapp", "to": "5511987654321", "text": {"body": "hi"}},
        )
        sent = await client.sent(to="5511987654321")
        await wait_for(lambda: len(receiver.received) == 2)
        deliveries = await client.webhooks()

    assert [s["type"] for s in sent] == ["text"]
    states = [d["payload"]["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] for d in deliveries]
    assert states == ["sent", "delivered"]


async def test_client_fail_next_register_media_status_echo_and_reset(served_fake, receiver):
    async with FakeGraphClient(served_fake, phone_number_id=NUMBER) as client, httpx.AsyncClient() as graph:
        queued = await client.fail_next("messages", 1, code=131047)
        refused = await graph.post(
            f"{served_fake}/v21.0/{NUMBER}/messages",
            headers={"Authorization": "Bearer test-access-token"},
            json={"messaging_product": "whatsapp", "to": "1", "text": {"body": "x"}},
        )
        media = await client.register_media(b"RIFF-webp", "image/webp")
        await client.say("5511987654321", kind="sticker", media_id=media["id"], animated=True)
        await client.echo("5511987654321", "On my way")
        await client.status("wamid.X", "read", recipient_id="5511987654321")
        await client.reset()
        after_reset = await client.webhooks()
        healthy = await client.healthz()

    assert queued["pending"] == 1
    assert refused.json()["error"]["code"] == 131047
    kinds = [json.loads(r.body)["entry"][0]["changes"][0]["value"] for r in receiver.received]
    assert kinds[0]["messages"][0]["sticker"]["id"] == media["id"]
    assert kinds[1]["message_echoes"][0]["text"]["body"] == "On my way"
    assert kinds[2]["statuses"][0]["status"] == "read"
    assert after_reset == []
    assert healthy is True


async def test_client_needs_a_phone_number_id_for_say():
    async with FakeGraphClient("http://127.0.0.1:9") as client:
        with pytest.raises(ValueError, match="phone_number_id"):
            await client.say("5511987654321", "hi")


async def test_python_dash_m_serves_the_fake_on_the_configured_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "FAKE_GRAPH_PORT": str(port), "FAKE_GRAPH_HOST": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "leadline.fakegraph"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        healthy = False
        async with FakeGraphClient(f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    healthy = await client.healthz()
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        assert healthy
    finally:
        process.terminate()
        process.wait(timeout=10)
