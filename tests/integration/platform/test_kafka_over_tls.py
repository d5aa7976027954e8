"""Every kind of Kafka client leadline builds works over mutual TLS from the settings block alone, and a client
without them is turned away (the embedded broker behind a TLS listener: ``tests/tls.py``)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError

from leadline.events.topics import LEADS_LEADS, REPLICATION, TOPICS
from leadline.platform import kafka_clients
from leadline.platform.kafka import create_producer
from leadline.platform.replay_guard import topic_objections
from leadline.platform.settings import KafkaSettings
from leadline.platform.topic_admin import ensure_topics
from tests.kafka_helpers import test_envelope
from tests.leadline_cli import leadline
from tests.tls import Certificates, TlsBroker, issue_certificates, tls_broker


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    return issue_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
async def broker(certificates, tmp_path_factory):
    async with tls_broker(certificates, log_path=tmp_path_factory.mktemp("tls-broker") / "kafka.log") as running:
        yield running


def over_tls(broker: TlsBroker, certificates: Certificates, **changes: object) -> KafkaSettings:
    return KafkaSettings(
        **{
            "kafka_bootstrap_servers": broker.bootstrap_servers,
            "kafka_security_protocol": "SSL",
            "kafka_ssl_ca_file": certificates.ca,
            "kafka_ssl_cert_file": certificates.client_cert,
            "kafka_ssl_key_file": certificates.client_key,
            **changes,
        }
    )


def environment(settings: KafkaSettings) -> dict[str, str]:
    """The settings as the environment variables a service or the ``leadline`` command reads."""
    return {name.upper(): str(value) for name, value in settings.model_dump(exclude_none=True).items()}


async def test_a_producer_and_a_consumer_exchange_records_and_the_admin_creates_topics(broker, certificates):
    secured = over_tls(broker, certificates)
    topic = f"tls.{uuid.uuid4().hex[:8]}"
    created, replication = await ensure_topics(secured, [(topic, 2, -1)])
    assert (created, replication) == ([topic], REPLICATION["single-broker"])  # the embedded broker is one broker

    producer = create_producer(secured)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"over tls", key=b"k")
    finally:
        await producer.stop()
    consumer = kafka_clients.consumer(secured, topic, group_id=None, auto_offset_reset="earliest", fetch_max_wait_ms=10)
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 10)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"k", b"over tls")

    admin = kafka_clients.admin(secured)
    await admin.start()
    try:
        [described] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    configs = {entry[0]: entry[1] for entry in described.resources[0][4]}
    assert (configs["retention.ms"], configs["min.insync.replicas"]) == ("-1", "1")
    assert await topic_objections(secured, [topic]) == []  # the replay guard reads the topic too


async def test_a_faststream_broker_consumes_and_publishes_over_tls(broker, certificates):
    secured = over_tls(broker, certificates)
    topic = f"tls.{uuid.uuid4().hex[:8]}"
    await ensure_topics(secured, [(topic, 1)])
    stream = kafka_clients.broker(secured)
    received: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    @stream.subscriber(topic, auto_offset_reset="earliest", fetch_max_wait_ms=10)
    async def on_record(body: bytes) -> None:
        if not received.done():
            received.set_result(body)

    await stream.start()
    try:
        await stream.publish(b"hello over tls", topic)
        assert await asyncio.wait_for(received, 15) == b"hello over tls"
    finally:
        await stream.stop()


async def test_the_leadline_command_creates_and_reads_topics_over_tls(broker, certificates):
    settings = over_tls(broker, certificates)
    env = environment(settings)
    created = await leadline("topics", "create", env=env)
    assert created.code == 0, created.output
    assert created.stdout.count("created") + created.stdout.count("existed") == len(TOPICS)

    event = test_envelope(str(uuid.uuid4()), 1, type_="leads.lead.created")
    producer = create_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(LEADS_LEADS, event.to_bytes(), key=event.key)
    finally:
        await producer.stop()
    tailed = await leadline("events", "tail", LEADS_LEADS, "--json", env=env)
    assert tailed.code == 0, tailed.output
    assert str(event.event_id) in tailed.stdout


@pytest.mark.parametrize("how", ["plaintext", "tls without a client certificate", "tls trusting another CA"])
async def test_a_client_without_the_clusters_credentials_is_refused(broker, certificates, tmp_path, how):
    refused = {
        "plaintext": KafkaSettings(kafka_bootstrap_servers=broker.bootstrap_servers),
        "tls without a client certificate": over_tls(
            broker, certificates, kafka_ssl_cert_file=None, kafka_ssl_key_file=None
        ),
        "tls trusting another CA": over_tls(
            broker, certificates, kafka_ssl_ca_file=issue_certificates(tmp_path, ca_name="another CA").ca
        ),
    }[how]
    producer = kafka_clients.producer(refused, request_timeout_ms=3_000)
    try:
        with pytest.raises(KafkaConnectionError):
            await asyncio.wait_for(producer.start(), 10)
    finally:
        await producer.stop()
