"""Sending agents' messages through the (fake) Graph API: at most once, paced, retried, explained."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request
from prometheus_client import REGISTRY as METRICS

from leadline.events import (
    REGISTRY,
    AgentRef,
    BusinessNumberRegisteredV1,
    ConversationFinishedV1,
    ImageContent,
    MediaRef,
    MessageSendFailedV1,
    MessageSentV1,
    StoredMedia,
)
from leadline.events.topics import WHATSAPP_OUTBOUND
from leadline.fakegraph.app import create_app
from leadline.fakegraph.client import FakeGraphClient
from leadline.ingest.adapters.graph_api import GraphApiClient
from leadline.ingest.adapters.media_store import LocalMediaStore
from leadline.ingest.adapters.tables import business_numbers, send_requests
from leadline.ingest.domain.media_storage import media_key
from leadline.ingest.domain.retry_policy import RetryPolicy
from leadline.ingest.domain.send_throughput import SendThroughput
from leadline.ingest.entrypoints.kafka import register_subscriber
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.ingest.service.sending import SendOutcome, send_message
from leadline.platform.runtime import ServiceRuntime
from tests.conftest import REPO
from tests.integration.ingest.outbound_support import (
    CUSTOMER,
    TOKEN,
    VERSION,
    FakeTime,
    closed_port,
    fake_settings,
    half,
    send_request,
    serving,
)
from tests.kafka_helpers import new_topic, read_topic, wait_until

FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.2, max_delay_s=2.0)


async def send(request, envelope, ingest_db, graph, time: FakeTime, *, throughput=None, retry=FAST_RETRY, **kwargs):
    return await send_message(
        request,
        envelope,
        ingest_db.uow,
        graph,
        throughput or SendThroughput(),
        time.clock,
        time.sleep,
        half,
        retry=retry,
        **kwargs,
    )


async def test_an_accepted_text_send_stages_message_sent_with_metas_wamid(ingest_db, meta):
    time = FakeTime()
    request, envelope = send_request()

    assert await send(request, envelope, ingest_db, meta.graph, time) is SendOutcome.SENT

    [sent] = await meta.control.sent(kind="message")
    assert sent["body"]["text"] == {"body": "*Ana Souza:* Olá! O carro ainda está disponível.", "preview_url": False}
    assert sent["body"]["to"] == CUSTOMER and sent["headers"]["authorization"] == f"Bearer {TOKEN}"
    [staged] = await ingest_db.staged()
    event = REGISTRY.decode(staged)
    assert isinstance(event, MessageSentV1)
    assert event.wamid == sent["wamid"] and event.request_id == request.request_id
    assert staged.stream_id == str(request.conversation_id) and staged.causation_id == envelope.event_id
    [row] = await ingest_db.rows(send_requests)
    assert (row.state, row.wamid, row.attempts) == ("sent", sent["wamid"], 1)


async def test_the_same_request_delivered_twice_is_sent_once(ingest_db, meta):
    time = FakeTime()
    request, envelope = send_request()

    first = await send(request, envelope, ingest_db, meta.graph, time)
    second = await send(request, envelope, ingest_db, meta.graph, time)

    assert (first, second) == (SendOutcome.SENT, SendOutcome.DUPLICATE)
    assert len(await meta.control.sent(kind="message")) == 1
    assert [type(p) for p in await ingest_db.staged_payloads()] == [MessageSentV1]


async def test_two_deliveries_racing_send_the_request_once_and_its_real_outcome_wins(ingest_db, meta):
    time = FakeTime()
    request, envelope = send_request()

    outcomes = await asyncio.gather(*(send(request, envelope, ingest_db, meta.graph, time) for _ in range(2)))

    assert SendOutcome.SENT in outcomes
    assert len(await meta.control.sent(kind="message")) == 1, "the primary key lets only one delivery send"
    [row] = await ingest_db.rows(send_requests)
    assert row.state == "sent"
    assert isinstance((await ingest_db.staged_payloads())[-1], MessageSentV1)


async def test_a_send_refused_with_429_twice_is_sent_on_the_third_try(ingest_db, meta):
    time = FakeTime()
    await meta.control.fail_next("messages", 2, status=429)
    request, envelope = send_request()

    assert await send(request, envelope, ingest_db, meta.graph, time) is SendOutcome.SENT

    assert len(await meta.control.sent(kind="message")) == 1
    assert time.slept == [0.1, 0.2], "backoff with jitter (half of 0.2 s, then of 0.4 s)"
    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MessageSentV1)
    [row] = await ingest_db.rows(send_requests)
    assert row.attempts == 3


async def test_a_send_failing_with_500_on_every_try_is_reported_failed_and_retryable(ingest_db, meta):
    time = FakeTime()
    await meta.control.fail_next("messages", 10, status=500)
    request, envelope = send_request()

    assert await send(request, envelope, ingest_db, meta.graph, time) is SendOutcome.FAILED

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MessageSendFailedV1)
    assert event.retryable and event.error_code == 1
    assert "4 tries" in event.explanation
    assert len(await meta.state.pending_failures()) == 6, "exactly four tries were made"
    [row] = await ingest_db.rows(send_requests)
    assert (row.state, row.attempts, row.error_code) == ("failed", 4, 1)


async def test_a_131047_refusal_is_explained_as_the_closed_24_hour_window_and_not_retried(ingest_db, meta):
    time = FakeTime()
    await meta.control.fail_next("messages", 1, code=131047)
    request, envelope = send_request()

    assert await send(request, envelope, ingest_db, meta.graph, time) is SendOutcome.FAILED

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MessageSendFailedV1)
    assert event.error_code == 131047 and not event.retryable
    assert event.error_title == "Re-engagement message"
    assert (
        event.explanation == "More than 24 hours since the customer last replied: only a template message can be sent."
    )
    assert time.slept == [], "a closed window does not open by waiting"


async def test_an_unreachable_graph_api_is_retried_then_reported_failed_and_retryable(ingest_db):
    time = FakeTime()
    graph = GraphApiClient(base_url=f"http://127.0.0.1:{closed_port()}", version=VERSION, access_token=TOKEN)
    request, envelope = send_request()
    unreachable_before = graph_api_calls("unreachable")
    try:
        assert await send(request, envelope, ingest_db, graph, time) is SendOutcome.FAILED
    finally:
        await graph.aclose()
    assert graph_api_calls("unreachable") - unreachable_before == 4, "every try counted: the provider is unreachable"

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MessageSendFailedV1)
    assert event.error_code is None and event.retryable and event.error_title == "WhatsApp unreachable"
    assert len(time.slept) == 3, "the refused connections were retried: no request had left"


async def test_a_send_whose_answer_never_came_is_not_retried_and_is_reported_outcome_unknown(ingest_db):
    received = []
    slow_meta = FastAPI()

    @slow_meta.post("/{version}/{phone_number_id}/messages")
    async def accept_and_hang(request: Request) -> dict:
        received.append(await request.json())
        await asyncio.sleep(2)  # Meta got the message; its answer is lost on the way back
        return {"messages": [{"id": "wamid.TOO_LATE"}]}

    request, envelope = send_request()
    async with serving(slow_meta) as url:
        graph = GraphApiClient(base_url=url, version=VERSION, access_token=TOKEN, timeout_s=0.3)
        try:
            outcome = await send(request, envelope, ingest_db, graph, FakeTime())
        finally:
            await graph.aclose()

    assert outcome is SendOutcome.OUTCOME_UNKNOWN
    assert len(received) == 1, "a send that may have arrived is never tried again"
    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MessageSendFailedV1) and event.error_title == "Outcome unknown" and not event.retryable


async def test_a_request_found_sending_after_a_crash_is_not_resent_and_is_reported_outcome_unknown(ingest_db):
    state_app = create_app(fake_settings())
    request, envelope = send_request()
    async with serving(state_app) as graph_url:
        env = dict(os.environ, PYTHONPATH=str(REPO), LEADLINE_CRASH_AT="ingest.send.after_meta_answered")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.ingest.send_process",
            ingest_db.url,
            graph_url,
            envelope.model_dump_json(),
            cwd=REPO,
            env=env,
        )
        assert await asyncio.wait_for(process.wait(), 60) == -9, "the sender must die after Meta accepted the message"
        [row] = await ingest_db.rows(send_requests)
        assert row.state == "sending" and await ingest_db.staged() == []

        graph = GraphApiClient(base_url=graph_url, version=VERSION, access_token=TOKEN)
        try:
            outcome = await send(request, envelope, ingest_db, graph, FakeTime())  # the redelivery after the crash
        finally:
            await graph.aclose()
        async with FakeGraphClient(graph_url) as control:
            sends = await control.sent(kind="message")

    assert outcome is SendOutcome.OUTCOME_UNKNOWN
    assert len(sends) == 1, "the message went out once, before the crash, and never again"
    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MessageSendFailedV1)
    assert "check the conversation before resending" in event.explanation and not event.retryable
    [row] = await ingest_db.rows(send_requests)
    assert row.state == "outcome_unknown"


async def test_sends_for_one_number_are_paced_to_its_rate(ingest_db, meta):
    time = FakeTime()
    throughput = SendThroughput(rate_per_s=10, burst=10)
    started = time.now

    for _ in range(30):
        request, envelope = send_request()
        await send(request, envelope, ingest_db, meta.graph, time, throughput=throughput)

    assert len(await meta.control.sent(kind="message")) == 30
    assert (time.now - started).total_seconds() >= 1.99, "30 sends at 10/s with a burst of 10 need 2 s"


async def test_media_kept_only_by_leadline_is_uploaded_to_meta_and_sent_by_id(ingest_db, meta, tmp_path):
    store = LocalMediaStore(tmp_path)
    photo = b"\xff\xd8\xff\xe0 a photo of the car"
    key, sha256 = media_key(photo, "image/jpeg")
    uri = await store.put(key, photo, "image/jpeg")
    stored = StoredMedia(key=key, uri=uri, size_bytes=len(photo), sha256=sha256)
    request, envelope = send_request(
        ImageContent(media=MediaRef(mime_type="image/jpeg", stored=stored), caption="Compass"),
        body="*Ana Souza:* Compass 2024",
    )

    assert await send(request, envelope, ingest_db, meta.graph, FakeTime(), media_store=store) is SendOutcome.SENT

    [sent] = await meta.control.sent(kind="message")
    image = sent["body"]["image"]
    assert image["caption"] == "*Ana Souza:* Compass 2024" and "link" not in image
    uploaded = await meta.state.get_media(image["id"])
    assert uploaded is not None and uploaded.data == photo and uploaded.mime_type == "image/jpeg"


async def test_one_consumer_group_sends_requests_learns_numbers_and_ignores_other_events(infra, ingest_db, meta):
    conversations = await new_topic(infra.bootstrap_servers, "conversations")
    integration = await new_topic(infra.bootstrap_servers, "integration")
    settings = IngestSettings(
        database_url=ingest_db.url,
        kafka_bootstrap_servers=infra.bootstrap_servers,
        outbox_poll_interval_s=0.1,
        kafka_group_prefix="sending-test-",
    )
    runtime = ServiceRuntime(settings)
    register_subscriber(
        runtime,
        uow_factory=ingest_db.uow,
        graph=meta.graph,
        throughput=SendThroughput(),
        retry=FAST_RETRY,
        topics=[conversations, integration],
        consumer=f"ingest-{uuid.uuid4().hex[:6]}",
    )
    request, envelope = send_request()
    sent_before, duplicates_before = sends("sent"), sends("duplicate")
    finished = REGISTRY.encode(
        ConversationFinishedV1(conversation_id=request.conversation_id, agent=AgentRef(id="ana", name="Ana Souza")),
        account_id="acme",
        sequence=2,
        occurred_at=envelope.occurred_at,
    )
    number = REGISTRY.encode(
        BusinessNumberRegisteredV1(
            phone_number_id="1098765", display_phone_number="+55 11 3000-0000", name="Loja", team_ids=("vendas",)
        ),
        account_id="acme",
        sequence=1,
        occurred_at=envelope.occurred_at,
    )
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers)
    await runtime.start()
    await producer.start()
    try:
        await producer.send_and_wait(integration, number.to_bytes(), key=number.key)
        for event in (finished, envelope, envelope):  # the request arrives twice
            await producer.send_and_wait(conversations, event.to_bytes(), key=event.key)
        await wait_until(lambda: _sent_count(meta, 1), timeout_s=40)
        records = await read_topic(
            infra.bootstrap_servers,
            WHATSAPP_OUTBOUND,
            expected=1,
            timeout_s=20,
            where=lambda record: record.key == envelope.key,
        )
        await wait_until(lambda: asyncio.sleep(0, sends("duplicate") > duplicates_before), timeout_s=10)
        await wait_until(lambda: _rows(ingest_db, business_numbers, 1), timeout_s=10)
    finally:
        await producer.stop()
        await runtime.stop()

    assert len(await meta.control.sent(kind="message")) == 1
    [published] = records
    assert isinstance(REGISTRY.decode(envelope.from_bytes(published.value)), MessageSentV1)
    assert len(await ingest_db.rows(send_requests)) == 1
    assert (sends("sent") - sent_before, sends("duplicate") - duplicates_before) == (1, 1), "sends by outcome"
    [registered] = await ingest_db.rows(business_numbers)
    assert (registered.phone_number_id, registered.account_id, registered.provider) == ("1098765", "acme", "cloud_api")


def sends(outcome: str) -> float:
    return METRICS.get_sample_value("leadline_ingest_whatsapp_sends_total", {"outcome": outcome}) or 0.0


def graph_api_calls(result: str) -> float:
    return METRICS.get_sample_value("leadline_ingest_graph_api_calls_total", {"result": result}) or 0.0


async def _sent_count(meta, expected: int) -> bool:
    return len(await meta.control.sent(kind="message")) >= expected


async def _rows(ingest_db, table, expected: int) -> bool:
    return len(await ingest_db.rows(table)) >= expected
