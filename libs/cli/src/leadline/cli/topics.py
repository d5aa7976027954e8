"""``leadline topics``: create the catalogue's topics, and describe them with each consumer group's lag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from rich.console import Console
from rich.table import Table

from leadline.events.topics import REPLICATION, TOPICS
from leadline.platform import kafka_clients

from . import context

if TYPE_CHECKING:
    from leadline.platform.settings import KafkaSettings

app = typer.Typer(
    help="Topics: create them as the catalogue says, describe them and the consumers' lag.", no_args_is_help=True
)
out = Console(highlight=False)


def _retention(ms: int | str | None) -> str:
    if ms is None:
        return "?"
    ms = int(ms)
    return "forever" if ms < 0 else f"{ms / 86_400_000:g} days"


@app.command()
def create(
    replication: str | None = typer.Option(
        None,
        help=f"the catalogue's replication to create them with: {', '.join(REPLICATION)} "
        "(default: single-broker on a cluster of one broker, production elsewhere)",
    ),
    allow_single_replica: bool = typer.Option(
        False, "--allow-single-replica", help="accept one replica on a cluster of several brokers (refused otherwise)"
    ),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """Create every topic of the catalogue that is missing, with its partitions, retention and replication."""
    from leadline.platform.topic_admin import ReplicationRefused, ensure_topics

    if replication is not None and replication not in REPLICATION:
        context.fail(f"unknown replication {replication!r}; the catalogue has: {', '.join(REPLICATION)}", 2)
    try:
        created, chosen = context.run(
            ensure_topics(
                context.kafka(bootstrap_servers),
                replication=REPLICATION[replication] if replication else None,
                allow_single_replica=allow_single_replica,
            ),
            doing="creating topics",
            refusals=(ReplicationRefused,),
        )
    except ReplicationRefused as refused:
        context.fail(f"refused: {refused}", 2)
    table = Table("topic", "partitions", "retention", "replicas", "min in sync", "")
    for spec in TOPICS.values():
        made = spec.name in created
        table.add_row(
            spec.name,
            str(spec.partitions),
            _retention(spec.retention_ms),
            str(chosen.factor) if made else "-",
            str(chosen.min_insync_replicas) if made else "-",
            "created" if made else "existed",
        )
    out.print(table)


@dataclass
class TopicState:
    name: str
    partitions: int | None
    retention_ms: str | None
    messages: int


@dataclass
class GroupLag:
    group: str
    topic: str
    lag: int
    partitions: int


async def describe_cluster(kafka: KafkaSettings, group_prefix: str) -> tuple[list[TopicState], list[GroupLag]]:
    admin = kafka_clients.admin(kafka, request_timeout_ms=10_000)
    reader = kafka_clients.consumer(kafka, group_id=None, enable_auto_commit=False)
    try:
        await admin.start()
        await reader.start()
        existing = set(await admin.list_topics())
        names = [name for name in TOPICS if name in existing]
        retention = await _retentions(admin, names)
        partitions = {
            name: [TopicPartition(name, p) for p in sorted(reader.partitions_for_topic(name) or [])] for name in names
        }
        every = [tp for tps in partitions.values() for tp in tps]
        ends = await reader.end_offsets(every) if every else {}
        begins = await reader.beginning_offsets(every) if every else {}
        topics = [
            TopicState(
                name,
                len(partitions[name]) if name in existing else None,
                retention.get(name),
                sum(ends[tp] - begins[tp] for tp in partitions.get(name, [])),
            )
            for name in TOPICS
        ]
        groups = sorted(g for g, *_ in await admin.list_consumer_groups() if g.startswith(group_prefix))
        lags = [lag for group in groups for lag in await _lags(kafka, group, partitions, ends)]
        return topics, lags
    finally:
        await reader.stop()
        await admin.close()


async def _retentions(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    found = {}
    for response in responses:
        for resource in response.resources:
            for entry in resource[4]:
                if entry[0] == "retention.ms":
                    found[resource[3]] = entry[1]
    return found


async def _lags(
    kafka: KafkaSettings, group: str, partitions: dict[str, list[TopicPartition]], ends: dict[TopicPartition, int]
) -> list[GroupLag]:
    """Committed offsets of a group (read without joining it) against the end of each topic it reads."""
    probe = kafka_clients.consumer(kafka, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        lags = []
        for topic, tps in partitions.items():
            committed = {tp: await probe.committed(tp) for tp in tps}
            if all(offset is None for offset in committed.values()):
                continue  # the group does not read this topic
            lag = sum(max(0, ends[tp] - (committed[tp] or 0)) for tp in tps)
            lags.append(GroupLag(group, topic, lag, len(tps)))
        return lags
    finally:
        await probe.stop()


@app.command()
def describe(
    group_prefix: str = typer.Option("", help="only consumer groups starting with this (KAFKA_GROUP_PREFIX)"),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """Each topic's partitions, retention and size against the catalogue; each consumer group's lag."""
    topics, lags = context.run(
        describe_cluster(context.kafka(bootstrap_servers), group_prefix), doing="describing the cluster"
    )
    table = Table("topic", "partitions", "retention", "messages", "matches catalogue")
    for state in topics:
        spec = TOPICS[state.name]
        if state.partitions is None:
            table.add_row(state.name, "-", "-", "-", "[red]missing[/red] (leadline topics create)")
            continue
        same = state.partitions == spec.partitions and (state.retention_ms in (None, str(spec.retention_ms)))
        table.add_row(
            state.name,
            str(state.partitions),
            _retention(state.retention_ms),
            str(state.messages),
            "yes" if same else f"[yellow]no[/yellow]: catalogue {spec.partitions} / {_retention(spec.retention_ms)}",
        )
    out.print(table)
    groups = Table("consumer group", "topic", "partitions", "lag", title="consumer lag (messages not yet handled)")
    for lag in lags:
        groups.add_row(lag.group, lag.topic, str(lag.partitions), str(lag.lag))
    out.print(groups if lags else "no consumer group has committed offsets yet")
