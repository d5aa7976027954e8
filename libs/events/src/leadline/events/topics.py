"""The Kafka topics: what travels on each, keyed how, kept how long, written and read by whom.

Every event type travels on exactly one topic, keyed by its envelope's ``stream_id``.
Each topic has a dead-letter twin ``<topic>.dlq`` for events a consumer could not
handle; see ``DEAD_LETTER_POLICY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Final

from leadline.events import history, ingest, leads, router, router_integration
from leadline.events.envelope import Payload

WHATSAPP_INBOUND: Final = "leadline.whatsapp.inbound"
WHATSAPP_OUTBOUND: Final = "leadline.whatsapp.outbound"
ROUTER_CONVERSATIONS: Final = "leadline.router.conversations"
ROUTER_INTEGRATION: Final = "leadline.router.integration"
LEADS_LEADS: Final = "leadline.leads.leads"
HISTORY_TIMELINE: Final = "leadline.history.timeline"

DEAD_LETTER_PARTITIONS: Final = 3
DEAD_LETTER_POLICY: Final = (
    "A consumer publishes an event it cannot handle (undecodable, or its handler still failing "
    "after retries) to `<topic>.dlq` unchanged, with the error, its consumer group and the source "
    "partition and offset in Kafka headers, then acks it. After the fix (or the upgrade, for an "
    "unsupported schema version), redrive by republishing the dead letters to the source topic: "
    "every consumer deduplicates on `event_id`, so consumers that already handled them ack and move "
    "on. Until then, projections report the gap the dead letter left in its stream's `sequence`. "
    "Unknown event types are skipped, never dead-lettered."
)


@dataclass(frozen=True)
class Replication:
    """How many brokers hold a copy of each partition, and how many must have a write before it is acknowledged
    (producers use acks=all): with fewer in-sync copies than ``min_insync_replicas`` a partition refuses writes."""

    factor: int
    min_insync_replicas: int


REPLICATION: Final = MappingProxyType(
    {
        # a broker may be down (a rolling restart, a lost node) and every partition still takes writes on two copies
        "production": Replication(factor=3, min_insync_replicas=2),
        # the embedded broker and a one-broker development cluster: the only copy there can be
        "single-broker": Replication(factor=1, min_insync_replicas=1),
    }
)
"""Replication of every topic, per environment; topics are created with it (``leadline topics create``, the
Strimzi KafkaTopics of deploy/k8s)."""


def dlq_topic(name: str) -> str:
    """The dead-letter topic of a topic."""
    return f"{name}.dlq"


@dataclass(frozen=True)
class TopicSpec:
    """One topic. ``retention`` of None means kept forever."""

    name: str
    purpose: str
    key: str
    partitions: int
    retention: timedelta | None
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    event_types: tuple[str, ...]
    dead_letter_of: str | None = None
    followers: tuple[str, ...] = ()
    """Services that also read every record on every replica, without a consumer group, to keep a view in memory
    (the router's live feed, the account directory of leads and history): they commit no offsets and dead-letter
    nothing, but their Kafka users need Read."""

    @property
    def retention_ms(self) -> int:
        """Kafka's ``retention.ms``: -1 keeps messages forever."""
        return -1 if self.retention is None else int(self.retention.total_seconds() * 1000)


def _types(*models: type[Payload]) -> tuple[str, ...]:
    """Each event type once, in the order first named (versions of one type share it)."""
    return tuple(dict.fromkeys(model.EVENT_TYPE for model in models))


_CHAT_KEY = "`wa:{phone_number_id}:{customer wa_id, else BSUID}` (the WhatsApp chat)"
_SOURCES = (
    TopicSpec(
        name=WHATSAPP_INBOUND,
        purpose="What WhatsApp told us: customer messages, phone-app echoes, delivery statuses, media, and the "
        "connection of numbers on WhatsApp Web sessions (Evolution API).",
        key=_CHAT_KEY + "; a number's connection: `number:{phone_number_id}`",
        partitions=12,
        retention=None,  # the log is the record: projections are rebuilt by replaying it from the start
        producers=("ingest",),
        consumers=("router", "history"),
        event_types=_types(
            ingest.MessageReceivedV1,
            ingest.MessageEchoedV1,
            ingest.MessageStatusChangedV1,
            ingest.MediaStoredV1,
            ingest.MediaFetchFailedV1,
            ingest.ContactProfilePhotoChangedV1,
            ingest.NumberConnectionChangedV1,
        ),
    ),
    TopicSpec(
        name=WHATSAPP_OUTBOUND,
        purpose="How the sends router asked for went.",
        key="the router conversation id (UUID)",
        partitions=12,
        retention=None,  # the log is the record: projections are rebuilt by replaying it from the start
        producers=("ingest",),
        consumers=("router",),
        event_types=_types(ingest.MessageSentV1, ingest.MessageSendFailedV1),
    ),
    TopicSpec(
        name=ROUTER_CONVERSATIONS,
        purpose="The life of each conversation: messages, ownership, status, and send requests.",
        key="the conversation id (UUID)",
        partitions=12,
        retention=None,  # the log is the record: projections are rebuilt by replaying it from the start
        producers=("router",),
        consumers=("ingest", "leads", "history"),
        followers=("router",),
        event_types=_types(*router.PAYLOADS),
    ),
    TopicSpec(
        name=ROUTER_INTEGRATION,
        purpose="Each account's setup: business numbers, agents, teams and inbox settings.",
        key="`account:{account_id}`",
        partitions=3,
        retention=None,  # small, and a new consumer rebuilds the configuration from the start
        producers=("router",),
        consumers=("ingest", "leads"),
        followers=("router", "leads", "history"),
        event_types=_types(*router_integration.PAYLOADS),
    ),
    TopicSpec(
        name=LEADS_LEADS,
        purpose="Leads created from conversations and what happens to them.",
        key="the lead id (UUID)",
        partitions=12,
        retention=None,  # the log is the record: projections are rebuilt by replaying it from the start
        producers=("leads",),
        consumers=("router", "history"),
        followers=("router",),
        event_types=_types(*leads.PAYLOADS),
    ),
    TopicSpec(
        name=HISTORY_TIMELINE,
        purpose="Each lead's timeline, for the other CRM services to display.",
        key="the lead id (UUID)",
        partitions=12,
        retention=None,  # the log is the record: projections are rebuilt by replaying it from the start
        producers=("history",),
        consumers=("other CRM services",),
        event_types=_types(*history.PAYLOADS),
    ),
)


def _dead_letters(source: TopicSpec) -> TopicSpec:
    return TopicSpec(
        name=dlq_topic(source.name),
        purpose=f"Events from `{source.name}` a consumer could not handle, waiting for a redrive.",
        key=source.key,
        partitions=DEAD_LETTER_PARTITIONS,
        retention=timedelta(days=30),
        producers=source.consumers,
        consumers=("operators (redrive)",),
        event_types=source.event_types,
        dead_letter_of=source.name,
    )


TOPICS: MappingProxyType[str, TopicSpec] = MappingProxyType(
    {spec.name: spec for source in _SOURCES for spec in (source, _dead_letters(source))}
)
"""Every topic by name: each source topic followed by its dead-letter topic."""

_TOPIC_OF_TYPE = {
    event_type: spec.name for spec in TOPICS.values() if spec.dead_letter_of is None for event_type in spec.event_types
}


def topic_for(event_type: str) -> str:
    """The topic an event type is published to; ``KeyError`` for an unknown type."""
    return _TOPIC_OF_TYPE[event_type]
