"""Creating topics as the catalogue says: partitions, retention, and a replication the cluster can hold.

Nothing else creates topics (FastStream's auto-creation is off, see ``kafka_clients.broker``). One replica on a
cluster of several brokers is refused unless asked for: a broker's restart would stop its partitions and the loss
of its disk would lose their events, which is what a real cluster's brokers are there to prevent.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import NewTopic

from leadline.events.topics import REPLICATION, TOPICS, Replication

from . import kafka_clients
from .settings import KafkaSettings

TOPIC_ALREADY_EXISTS = 36
CATALOGUE = tuple((spec.name, spec.partitions, spec.retention_ms) for spec in TOPICS.values())
"""Every topic of the catalogue as (name, partitions, retention.ms)."""


class ReplicationRefused(ValueError):
    """The replication asked for does not fit the cluster (more copies than brokers), or risks events (one copy
    on a cluster that could hold more) without ``allow_single_replica``."""


def replication_for(
    brokers: int, wanted: Replication | None = None, *, allow_single_replica: bool = False
) -> Replication:
    """The replication to create topics with on a cluster of ``brokers``: ``wanted``, else the catalogue's
    single-broker one on a single broker and its production one elsewhere."""
    single = REPLICATION["single-broker"]
    chosen = wanted or (single if brokers == 1 else REPLICATION["production"])
    if chosen.factor > brokers:
        hint = " (--replication single-broker --allow-single-replica for one copy)" if brokers > 1 else ""
        raise ReplicationRefused(
            f"{chosen.factor} replicas need {chosen.factor} brokers; the cluster has {brokers}{hint}"
        )
    if chosen.factor == 1 and brokers > 1 and not allow_single_replica:
        raise ReplicationRefused(
            f"one replica on a cluster of {brokers} brokers: a broker's restart would stop its partitions and the loss "
            "of its disk would lose their events; --allow-single-replica if that is really wanted"
        )
    return chosen


async def ensure_topics(
    kafka: KafkaSettings,
    topics: Iterable[tuple[str, int] | tuple[str, int, int]] = CATALOGUE,
    *,
    replication: Replication | None = None,
    allow_single_replica: bool = False,
) -> tuple[list[str], Replication]:
    """Create the missing ``topics`` (name, partitions[, retention.ms: -1 keeps for ever]) with the replication
    ``replication_for`` decides for this cluster; returns the topics created and that replication."""
    admin = kafka_clients.admin(kafka, request_timeout_ms=10_000)
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        chosen = replication_for(brokers, replication, allow_single_replica=allow_single_replica)
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                partitions,
                chosen.factor,
                topic_configs={
                    "min.insync.replicas": str(chosen.min_insync_replicas),
                    **({"retention.ms": str(rest[0])} if rest else {}),
                },
            )
            for name, partitions, *rest in topics
            if name not in existing
        ]
        if not wanted:
            return [], chosen
        response = await admin.create_topics(wanted)
        created = []
        for name, code, message in ((t[0], t[1], t[2]) for t in response.topic_errors):
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {name}: error {code} {message}")
            created.append(name)
        return created, chosen
    finally:
        await admin.close()
