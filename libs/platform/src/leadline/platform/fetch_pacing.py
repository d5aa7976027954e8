"""How long a consumer's fetch waits at the broker: short while records flow, longer and longer while none come.

A fetch that finds no records waits at the broker up to ``fetch_max_wait_ms``. Apache Kafka answers it as soon as
records arrive, so a long wait costs no latency there: production sets one wait (500 ms, Kafka's ordinary long poll;
``KAFKA_IDLE_FETCH_MAX_WAIT_MS`` no longer than ``KAFKA_FETCH_MAX_WAIT_MS`` turns pacing off). The embedded broker
(tansu) answers only at the deadline: a 10 ms wait keeps latency low under traffic, but then every consumer asks an
idle broker a hundred times a second (the idle dev stack burnt a core). Paced, each empty fetch doubles the next one's
wait, up to ``kafka_idle_fetch_max_wait_ms``, and the first fetch that brings records sets it back to
``kafka_fetch_max_wait_ms``: the first record after a long silence waits at most the idle wait, the next ones the
short one.

aiokafka reads the wait from its fetcher's private ``_fetch_max_wait_ms`` for every request and offers no public way to
change it, nor to learn that a fetch came back empty. This module is the one place that reaches in;
``tests/unit/platform/test_fetch_pacing.py`` fails loudly when aiokafka's fetcher changes shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from .settings import KafkaSettings

PACED = "_leadline_fetch_pacing"  # marks a fetcher already paced (a consumer is paced once per start)


@dataclass(frozen=True)
class FetchPacing:
    """Invariants: ``busy_ms`` ≤ every wait ≤ ``max(busy_ms, idle_ms)``; records always bring the wait back to
    ``busy_ms``."""

    busy_ms: int
    idle_ms: int

    @classmethod
    def of(cls, kafka: KafkaSettings) -> FetchPacing:
        return cls(busy_ms=kafka.kafka_fetch_max_wait_ms, idle_ms=kafka.kafka_idle_fetch_max_wait_ms)

    @property
    def adapts(self) -> bool:
        return self.idle_ms > self.busy_ms

    def next_wait(self, wait_ms: int, *, brought_records: bool) -> int:
        if brought_records or not self.adapts:
            return self.busy_ms
        return min(self.idle_ms, max(self.busy_ms, wait_ms * 2))


def pace(consumer: AIOKafkaConsumer, pacing: FetchPacing) -> None:
    """Pace a started consumer's fetches (built with ``fetch_max_wait_ms=pacing.busy_ms``). Safe to call twice."""
    fetcher = consumer._fetcher
    if fetcher is None or not pacing.adapts or getattr(fetcher, PACED, False):
        return
    fetch = fetcher._proc_fetch_request

    async def paced_fetch(assignment, node_id, request):  # aiokafka's signature; True: records were added
        brought_records = await fetch(assignment, node_id, request)
        fetcher._fetch_max_wait_ms = pacing.next_wait(fetcher._fetch_max_wait_ms, brought_records=brought_records)
        return brought_records

    fetcher._proc_fetch_request = paced_fetch
    setattr(fetcher, PACED, True)


def current_wait_ms(consumer: AIOKafkaConsumer) -> int | None:
    """The wait the consumer's next fetch asks for (None before it started): for tests and diagnostics."""
    fetcher = consumer._fetcher
    return None if fetcher is None else fetcher._fetch_max_wait_ms


def pace_subscribers(subscribers: Iterable[object], pacing: FetchPacing) -> None:
    """Pace the consumers of started FastStream subscribers (each builds its aiokafka consumer in its ``start``)."""
    for subscriber in subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if isinstance(consumer, AIOKafkaConsumer):
            pace(consumer, pacing)
