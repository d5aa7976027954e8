"""Nothing lost, nothing doubled: the broker going away, and ingest killed between storing and relaying."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import select

from leadline.events import TOPICS, WHATSAPP_INBOUND, Envelope
from leadline.fakegraph import webhooks as wh
from leadline.ingest.bootstrap import MIGRATIONS, build
from leadline.platform.db import create_engine
from leadline.platform.embedded import EmbeddedKafka, free_port
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.settings import KafkaSettings
from leadline.platform.topic_admin import ensure_topics
from tests.integration.ingest.conftest import APP_SECRET, ingest_settings
from tests.integration.ingest.test_webhooks import BUSINESS, new_customer, stream_of
from tests.kafka_helpers import keyed, read_topic
from tests.service_processes import spawn_service, wait_healthy


def start_broker_holding_ingest_still(port: int, log_dir) -> EmbeddedKafka:
    """A fresh embedded broker on ``port`` with the topics created before in-process ingest can publish to it.

    Blocking on purpose: called from the event loop ingest runs in, it holds ingest's relay still until the topics
    exist. The embedded broker acknowledges a record sent to a topic it does not know yet, and that record is gone
    once the topic is created (Apache Kafka keeps its topics across a restart). The fault suite does the same for
    services in their own processes with SIGSTOP (``tests/e2e/system_under_test.py``).
    """
    kafka = EmbeddedKafka(port, log_path=log_dir / "kafka.log").start()  # from this thread: the broker dies with it
    topics = [(s.name, s.partitions, s.retention_ms) for s in TOPICS.values()]
    with ThreadPoolExecutor(max_workers=1) as admin:
        admin.submit(
            asyncio.run, ensure_topics(KafkaSettings(kafka_bootstrap_servers=kafka.bootstrap_servers), topics)
        ).result()
    return kafka


async def post(client: httpx.AsyncClient, customer: str, text: str) -> int:
    body, headers = wh.signed_request(wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(customer, text)), APP_SECRET)
    return (await client.post("/webhooks/whatsapp", content=body, headers=headers)).status_code


async def texts_on_topic(bootstrap: str, customer: str, expected: int, timeout_s: float = 30.0) -> list[str]:
    records = await read_topic(
        bootstrap,
        WHATSAPP_INBOUND,
        expected=expected,
        timeout_s=timeout_s,
        settle_s=1.0,
        where=keyed(stream_of(customer)),
    )
    return [Envelope.from_bytes(r.value).payload["content"]["body"] for r in records]


async def test_webhooks_are_accepted_while_the_broker_is_down_and_every_event_arrives_once_it_is_back(infra, tmp_path):
    port = free_port()
    url = await infra.new_database("ingest_outage")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    app = build(ingest_settings(infra, url, kafka_bootstrap_servers=f"127.0.0.1:{port}"))
    customer = new_customer()
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:
            # the broker is not there at all when ingest starts
            assert [await post(client, customer, f"antes {n}") for n in range(3)] == [200] * 3
            ready = await client.get("/readyz")  # ready all the same: Kubernetes keeps it in the Service
            assert (ready.status_code, ready.json()["reports"]["kafka"]) == (200, "unavailable")
            kafka = start_broker_holding_ingest_still(port, tmp_path)
            try:
                assert await texts_on_topic(kafka.bootstrap_servers, customer, 3) == [f"antes {n}" for n in range(3)]
                # and it goes away mid-run (memory storage: the restarted broker starts empty)
                await asyncio.to_thread(kafka.stop)
                assert [await post(client, customer, f"durante {n}") for n in range(3)] == [200] * 3
                stopped = await client.get("/readyz")
                assert (stopped.status_code, stopped.json()["reports"]["kafka"][:11]) == (200, "unavailable")
                kafka = start_broker_holding_ingest_still(port, tmp_path)
                assert await texts_on_topic(kafka.bootstrap_servers, customer, 3) == [f"durante {n}" for n in range(3)]
            finally:
                await asyncio.to_thread(kafka.stop)


async def stored_texts(url: str, customer: str) -> list[str]:
    """The texts of this customer's messages that ingest committed, in the order it sequenced them."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(OUTBOX.c.envelope)
                .where(OUTBOX.c.topic == WHATSAPP_INBOUND, OUTBOX.c.key == stream_of(customer))
                .order_by(OUTBOX.c.id)
            )
            return [Envelope.from_bytes(row.envelope).payload["content"]["body"] for row in rows]
    finally:
        await engine.dispose()


def spawn_ingest(infra, url: str, port: int, *, crash_at: str | None) -> subprocess.Popen[bytes]:
    return spawn_service(
        "ingest",
        port=port,
        crash_at=crash_at,
        env={
            "DATABASE_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "WHATSAPP_APP_SECRET": APP_SECRET,
        },
    )


async def test_ingest_killed_between_storing_and_relaying_loses_nothing_and_doubles_nothing(infra):
    url = await infra.new_database("ingest_kill")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    port = free_port()
    customer = new_customer()
    doomed = spawn_ingest(infra, url, port, crash_at="outbox.before_publish")
    try:
        await wait_healthy(port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            statuses = []
            for n in range(3):
                try:
                    statuses.append(await post(client, customer, f"mensagem {n}"))
                except httpx.TransportError:
                    break  # the relay woke up and the process died under us
        assert statuses and statuses[0] == 200, "the first webhook was stored before the crash"
        assert await asyncio.to_thread(doomed.wait, 30) == -signal.SIGKILL
    finally:
        if doomed.poll() is None:
            doomed.kill()
    # What counts is what the database durably holds, not which answers reached us: a webhook can be committed
    # and its 200 lost when the process dies before writing it.
    stored = await stored_texts(url, customer)
    assert stored[: len(statuses)] == [f"mensagem {n}" for n in range(len(statuses))], "every 200 was stored"
    assert await texts_on_topic(infra.bootstrap_servers, customer, 1, timeout_s=2.0) == [], "died before relaying"

    survivor = spawn_ingest(infra, url, port, crash_at=None)
    try:
        await wait_healthy(port)
        texts = await texts_on_topic(infra.bootstrap_servers, customer, len(stored))
        assert texts == stored, "every stored webhook, exactly once"
    finally:
        survivor.terminate()
        await asyncio.to_thread(survivor.wait, 30)
