"""The topic catalogue: each event type on exactly one topic, each topic with a dead-letter twin."""

from __future__ import annotations

from collections import Counter

import pytest

from leadline.events import REGISTRY, TOPICS, dlq_topic, topic_for
from leadline.events.topics import ROUTER_CONVERSATIONS, ROUTER_INTEGRATION, WHATSAPP_INBOUND, WHATSAPP_OUTBOUND

SOURCES = [spec for spec in TOPICS.values() if spec.dead_letter_of is None]


def test_every_registered_event_type_travels_on_exactly_one_topic():
    on_topics = Counter(event_type for spec in SOURCES for event_type in spec.event_types)

    assert on_topics == Counter(REGISTRY.event_types())


def test_the_topics_are_the_six_leadline_has_with_their_partition_counts():
    assert {spec.name: spec.partitions for spec in SOURCES} == {
        "leadline.whatsapp.inbound": 12,
        "leadline.whatsapp.outbound": 12,
        "leadline.router.conversations": 12,
        "leadline.router.integration": 3,
        "leadline.leads.leads": 12,
        "leadline.history.timeline": 12,
    }


@pytest.mark.parametrize("source", SOURCES, ids=lambda spec: spec.name)
def test_every_topic_has_a_dead_letter_twin_carrying_the_same_events(source):
    twin = TOPICS[dlq_topic(source.name)]

    assert (twin.name, twin.dead_letter_of, twin.partitions) == (f"{source.name}.dlq", source.name, 3)
    assert twin.event_types == source.event_types
    assert twin.producers == source.consumers


@pytest.mark.parametrize("source", SOURCES, ids=lambda spec: spec.name)
def test_only_the_service_that_owns_an_event_type_produces_its_topic(source):
    owners = {event_type.split(".")[0] for event_type in source.event_types}

    assert owners == set(source.producers)


def test_topic_for_names_where_a_producer_publishes():
    assert topic_for("ingest.message.received") == WHATSAPP_INBOUND
    assert topic_for("ingest.message.send_failed") == WHATSAPP_OUTBOUND
    assert topic_for("router.message.send_requested") == ROUTER_CONVERSATIONS
    assert topic_for("router.integration.agent_upserted") == ROUTER_INTEGRATION


def test_topic_for_an_unknown_event_type_is_an_error_not_a_guess():
    with pytest.raises(KeyError):
        topic_for("billing.invoice.issued")


def test_source_topics_are_kept_forever_so_a_projection_can_be_rebuilt_from_the_start():
    sources = [spec for spec in TOPICS.values() if spec.dead_letter_of is None]
    assert {spec.name: spec.retention_ms for spec in sources} == {spec.name: -1 for spec in sources}
    assert TOPICS[ROUTER_INTEGRATION].retention_ms == -1


def test_dead_letters_are_kept_thirty_days():
    dead = [spec for spec in TOPICS.values() if spec.dead_letter_of is not None]
    assert dead and {spec.retention_ms for spec in dead} == {30 * 24 * 3600 * 1000}


def test_ingest_reads_the_send_requests_router_writes():
    assert "ingest" in TOPICS[ROUTER_CONVERSATIONS].consumers
    assert "router.message.send_requested" in TOPICS[ROUTER_CONVERSATIONS].event_types
