"""Senders of webhooks retry a 503 as WhatsApp does: after Retry-After, doubling per refusal; the fake Graph API's and
the fake Evolution API's webhooks included."""

from __future__ import annotations

import httpx
import pytest

from leadline.fakegraph import webhooks as wh
from leadline.fakegraph.evolution.server import FakeEvolutionSettings, FakeEvolutionState
from leadline.fakegraph.evolution.server import create_app as create_evolution_app
from leadline.fakegraph.retries import LONGEST_WAIT_S, post_until_taken, retry_after_s, wait_before_retry_s
from leadline.fakegraph.settings import FakeGraphSettings
from leadline.fakegraph.state import FakeGraphState
from leadline.fakegraph.webhook_sender import WebhookSender


class SheddingIngest:
    """Answers 503 (Retry-After: 0) to the first ``sheds`` posts, then 200; remembers every post's body."""

    def __init__(self, sheds: int) -> None:
        self.sheds = sheds
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        if len(self.bodies) <= self.sheds:
            return httpx.Response(503, headers={"Retry-After": "0"}, json={"error": {"code": "overloaded"}})
        return httpx.Response(200, json={"status": "stored"})


def test_the_wait_is_what_retry_after_asks_doubled_for_each_earlier_refusal_up_to_a_ceiling():
    assert [wait_before_retry_s("1", n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert wait_before_retry_s("1", 20) == LONGEST_WAIT_S
    assert wait_before_retry_s("120", 1) == 120, "never sooner than asked"
    assert retry_after_s(None) == retry_after_s("Wed, 21 Oct 2026 07:28:00 GMT") == 1.0
    assert retry_after_s(b"3") == 3.0


async def test_a_shed_post_is_sent_again_until_it_is_taken():
    ingest = SheddingIngest(sheds=2)
    async with httpx.AsyncClient(transport=httpx.MockTransport(ingest)) as client:
        response = await post_until_taken(client, "http://ingest/webhooks/whatsapp", content=b"{}")
    assert response.status_code == 200 and ingest.bodies == [b"{}"] * 3


@pytest.mark.parametrize("status", [200, 401, 500])
async def test_only_a_503_is_retried_here(status):
    calls = []

    def ingest(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status)

    async with httpx.AsyncClient(transport=httpx.MockTransport(ingest)) as client:
        assert (await post_until_taken(client, "http://ingest/x", content=b"{}")).status_code == status
    assert len(calls) == 1


async def test_the_fake_graph_apis_webhook_shed_by_ingest_is_delivered_on_retry():
    ingest = SheddingIngest(sheds=1)
    state = FakeGraphState()
    sender = WebhookSender(FakeGraphSettings(), state, transport=httpx.MockTransport(ingest))
    delivery = await sender.post(wh.WebhookBuilder().inbound(wh.text_message("5511987654321", "Oi")))
    assert delivery.status_code == 200 and len(ingest.bodies) == 2
    assert [d.status_code for d in await state.deliveries()] == [200]


async def test_the_fake_evolution_apis_webhook_shed_by_ingest_is_delivered_on_retry():
    ingest = SheddingIngest(sheds=1)
    state = FakeEvolutionState()
    app = create_evolution_app(FakeEvolutionSettings(), state=state, webhook_transport=httpx.MockTransport(ingest))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://evolution") as client:
        said = await client.post("/_fake/customers/5511987654321/say", json={"text": "Oi"})
    assert said.status_code == 200 and len(ingest.bodies) == 2
    assert [status for _, status in state.webhooks] == [200]
