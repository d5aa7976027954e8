"""Topics on the embedded broker (one broker) are created as the catalogue says for a single broker; a replication
the cluster cannot hold is refused before anything is created."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from leadline.events.topics import REPLICATION, WHATSAPP_INBOUND
from leadline.platform import kafka_clients
from leadline.platform.topic_admin import ReplicationRefused, ensure_topics


async def _describe(infra, topic: str) -> tuple[set[int], dict[str, str]]:
    """The replica counts of ``topic``'s partitions and its configs, as the broker reports them."""
    admin = kafka_clients.admin(infra.kafka_settings)
    await admin.start()
    try:
        [metadata] = await admin.describe_topics([topic])
        [configs] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    return (
        {len(partition["replicas"]) for partition in metadata["partitions"]},
        {entry[0]: entry[1] for entry in configs.resources[0][4]},
    )


async def test_the_catalogues_topics_on_one_broker_have_one_replica_and_need_one_in_sync(infra):
    created, replication = await ensure_topics(infra.kafka_settings)  # the session created them: none is missing
    assert (created, replication) == ([], REPLICATION["single-broker"])
    replicas, configs = await _describe(infra, WHATSAPP_INBOUND)
    assert replicas == {1}
    assert (configs["min.insync.replicas"], configs["retention.ms"]) == ("1", "-1")


async def test_the_production_replication_on_one_broker_is_refused_and_creates_nothing(infra):
    topic = f"test.replicated.{uuid.uuid4().hex[:8]}"
    with pytest.raises(ReplicationRefused, match="3 replicas need 3 brokers; the cluster has 1"):
        await ensure_topics(infra.kafka_settings, [(topic, 1)], replication=REPLICATION["production"])
    admin = kafka_clients.admin(infra.kafka_settings)
    await admin.start()
    try:
        assert topic not in await admin.list_topics()
    finally:
        await admin.close()
