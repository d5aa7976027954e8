"""``leadline events`` reads the streams as decoded envelopes; ``leadline topics`` creates and describes them."""

from __future__ import annotations

import json
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition

from leadline.events.topics import HISTORY_TIMELINE, LEADS_LEADS, TOPICS
from leadline.platform.kafka import create_producer
from tests.kafka_helpers import test_envelope
from tests.leadline_cli import leadline


def _args(infra) -> list[str]:
    return ["--bootstrap-servers", infra.bootstrap_servers]


async def _publish(infra, *envelopes, topic: str = LEADS_LEADS) -> None:
    producer = create_producer(infra.kafka_settings)
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(topic, envelope.to_bytes(), key=envelope.key)
    finally:
        await producer.stop()


async def test_tail_shows_one_leads_events_in_order_filtered_by_type(infra):
    lead = str(uuid.uuid4())
    events = [
        test_envelope(lead, n, type_=kind)
        for n, kind in enumerate(
            ("leads.lead.created", "leads.lead.temperature_changed", "leads.lead.temperature_changed"), 1
        )
    ]
    await _publish(infra, *events, test_envelope(str(uuid.uuid4()), 1, type_="leads.lead.created"))

    tailed = await leadline("events", "tail", LEADS_LEADS, "--lead", lead, "--json", *_args(infra))
    assert tailed.code == 0, tailed.output
    lines = [json.loads(line) for line in tailed.stdout.splitlines()]
    assert [line["envelope"]["event_id"] for line in lines] == [str(e.event_id) for e in events]
    assert all(line["topic"] == LEADS_LEADS for line in lines)

    only = await leadline(
        "events",
        "tail",
        LEADS_LEADS,
        "--lead",
        lead,
        "--type",
        "leads.lead.temperature_changed",
        "--limit",
        "1",
        *_args(infra),
    )
    assert only.code == 0 and str(events[2].event_id) in only.stdout and str(events[1].event_id) not in only.stdout


async def test_show_finds_an_event_by_id_with_where_it_is(infra):
    event = test_envelope(str(uuid.uuid4()), 1, type_="leads.lead.created", name="João")
    await _publish(infra, event)
    shown = await leadline("events", "show", str(event.event_id), "--topic", LEADS_LEADS, *_args(infra))
    assert shown.code == 0, shown.output
    assert f"{LEADS_LEADS} partition" in shown.stdout and '"name": "João"' in shown.stdout
    missing = await leadline("events", "show", str(uuid.uuid4()), "--topic", LEADS_LEADS, *_args(infra))
    assert missing.code == 1 and "no event" in missing.stderr
    bad = await leadline("events", "show", "not-a-uuid", *_args(infra))
    assert bad.code == 2 and "expected a UUID" in bad.stderr
    unknown = await leadline("events", "tail", "billing.invoices", *_args(infra))
    assert unknown.code == 2 and "unknown topic" in unknown.stderr


async def test_topics_create_is_idempotent_and_describe_reports_each_groups_lag(infra):
    created = await leadline("topics", "create", *_args(infra))
    assert created.code == 0, created.output
    assert created.stdout.count("existed") == len(TOPICS)  # the session created them all already

    await _publish(infra, *(test_envelope(str(uuid.uuid4()), 1) for _ in range(3)), topic=HISTORY_TIMELINE)
    group = f"t{uuid.uuid4().hex[:6]}-lagging"
    probe = AIOKafkaConsumer(bootstrap_servers=infra.bootstrap_servers, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        partitions = [
            TopicPartition(HISTORY_TIMELINE, p)
            for p in sorted(probe.partitions_for_topic(HISTORY_TIMELINE) or range(12))
        ]
        probe.assign(partitions)
        ends = await probe.end_offsets(partitions)
        await probe.commit({tp: 0 for tp in partitions})  # a group that has handled nothing yet
    finally:
        await probe.stop()

    described = await leadline("topics", "describe", "--group-prefix", group, *_args(infra))
    assert described.code == 0, described.output
    assert "missing" not in described.stdout
    for spec in TOPICS.values():
        assert spec.name in described.stdout
    [row] = [
        [cell.strip() for cell in line.split("│") if cell.strip()]
        for line in described.stdout.splitlines()
        if group in line
    ]
    assert sum(ends.values()) >= 3
    assert row == [group, HISTORY_TIMELINE, str(len(partitions)), str(sum(ends.values()))]


async def test_topics_create_refuses_a_replication_the_cluster_cannot_hold(infra):
    production = await leadline("topics", "create", "--replication", "production", *_args(infra))
    assert production.code == 2, production.output
    assert "refused: 3 replicas need 3 brokers; the cluster has 1" in production.stderr
    unknown = await leadline("topics", "create", "--replication", "triple", *_args(infra))
    assert unknown.code == 2 and "production, single-broker" in unknown.stderr


async def test_inconsistent_kafka_settings_are_one_line_naming_the_variables(infra):
    result = await leadline(
        "topics",
        "describe",
        *_args(infra),
        env={"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"},
    )
    assert result.code == 2, result.output
    assert result.stderr.strip() == (
        "error: the Kafka settings are inconsistent: KAFKA_SECURITY_PROTOCOL=SASL_SSL "
        "needs KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD"
    )


async def test_an_unreachable_broker_is_one_line_and_a_non_zero_exit():
    for command in (["events", "tail", LEADS_LEADS], ["topics", "describe"], ["dlq", "list"]):
        result = await leadline(*command, "--bootstrap-servers", "127.0.0.1:9")
        assert result.code == 1, result.output
        assert "broker is unreachable" in result.stderr and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1
    nothing = await leadline("events", "tail", LEADS_LEADS)
    assert nothing.code == 1 and "no broker" in nothing.stderr
