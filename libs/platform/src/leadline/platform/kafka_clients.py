"""Every Kafka client leadline creates is built here, from ``KafkaSettings``: where the brokers are, TLS and SASL.

The settings are translated once, into FastStream's security object (``security``); the aiokafka clients get
FastStream's own reading of that object (``connection``), so a FastStream broker and a bare producer or consumer
can never connect differently. ``tests/architecture`` fails when production code builds a client anywhere else.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from .settings import KafkaSettings

SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def security(kafka: KafkaSettings) -> BaseSecurity | None:
    """The settings as FastStream's security object; None for PLAINTEXT.

    TLS always verifies the brokers' certificate and host name (against ``KAFKA_SSL_CA_FILE``, else the system's
    CAs). The files are read here, when a client is built: a long-lived client (a service's producer and consumers)
    keeps the certificate it started with until the process restarts (docs/runbook.md, renewed certificates).
    """
    protocol = kafka.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    tls = None
    if protocol.endswith("SSL"):
        tls = create_ssl_context(
            cafile=kafka.kafka_ssl_ca_file, certfile=kafka.kafka_ssl_cert_file, keyfile=kafka.kafka_ssl_key_file
        )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=tls)
    assert kafka.kafka_sasl_mechanism and kafka.kafka_sasl_username and kafka.kafka_sasl_password  # the settings' rule
    return SASL[kafka.kafka_sasl_mechanism](
        kafka.kafka_sasl_username,
        kafka.kafka_sasl_password.get_secret_value(),
        ssl_context=tls,
        use_ssl=protocol == "SASL_SSL",
    )


def connection(kafka: KafkaSettings) -> dict[str, Any]:
    """What aiokafka's clients take to reach the brokers: the address and FastStream's reading of ``security``."""
    return {"bootstrap_servers": kafka.kafka_bootstrap_servers, **parse_security(security(kafka))}


def producer(kafka: KafkaSettings, **options: Any) -> AIOKafkaProducer:
    """An aiokafka producer (not started); ``options`` are aiokafka's (acks, linger_ms, …)."""
    return AIOKafkaProducer(**connection(kafka), **options)


IDLE_TURN_MS = 1_000
"""How long an idle consumer's loops wait before they look again: aiokafka's background fetcher
(``consumer_timeout_ms``; a fetch's answer, the application taking records and a lost assignment wake it at once) and
a reader's ``getmany`` (records end it at once). So it only paces an idle consumer: at aiokafka's 200 ms, each one
turned five times a second for nothing."""


def consumer(kafka: KafkaSettings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """An aiokafka consumer (not started) of ``topics``, or of what it is later assigned."""
    return AIOKafkaConsumer(*topics, **connection(kafka), **{"consumer_timeout_ms": IDLE_TURN_MS, **options})


def admin(kafka: KafkaSettings, **options: Any) -> AIOKafkaAdminClient:
    """An aiokafka admin client (not started)."""
    return AIOKafkaAdminClient(**connection(kafka), **options)


FRAMEWORK_LOG = logging.getLogger("leadline.kafka")
"""FastStream's own lines ("`on_record` waiting for messages", a record's "Received" and "Processed"), through the
service's JSON logging: by default FastStream gives them a coloured handler of its own on stdout, which log
collectors cannot parse."""


def broker(kafka: KafkaSettings, **options: Any) -> KafkaBroker:
    """A FastStream broker. It never creates topics: they exist as the catalogue says (``leadline topics create``,
    Strimzi's KafkaTopics), or a subscriber started first would make one of one partition and one replica.

    Handlers are called without FastDepends: resolving a handler's ``KafkaMessage`` parameter ran in a worker thread
    for every record (``kafka.group_subscriber`` hands them the record itself, ``raw_records``). FastStream's lines
    per record received and processed are DEBUG: at 1,000 events/s two INFO lines each were most of a consumer's log
    and a part of its CPU."""
    return KafkaBroker(
        kafka.kafka_bootstrap_servers,
        security=security(kafka),
        allow_auto_create_topics=False,
        apply_types=False,
        logger=FRAMEWORK_LOG,
        log_level=logging.DEBUG,
        **options,
    )


async def raw_records(message: Any) -> Any:
    """What a subscriber's handler is called with: aiokafka's ``ConsumerRecord``, or a batch's tuple of them."""
    return message.raw_message
