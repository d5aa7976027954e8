"""Fetch pacing: the rule, and the shape of aiokafka's fetcher it reaches into (fails loudly when aiokafka changes)."""

from __future__ import annotations

import inspect

from aiokafka.consumer.fetcher import Fetcher

from leadline.platform.fetch_pacing import FetchPacing
from leadline.platform.settings import KafkaSettings

PACING = FetchPacing(busy_ms=10, idle_ms=1_000)


def test_each_empty_fetch_doubles_the_wait_up_to_the_idle_wait():
    waits, wait = [], PACING.busy_ms
    for _ in range(9):
        wait = PACING.next_wait(wait, brought_records=False)
        waits.append(wait)
    assert waits == [20, 40, 80, 160, 320, 640, 1_000, 1_000, 1_000]


def test_the_first_fetch_with_records_brings_the_wait_back_to_the_short_one():
    assert PACING.next_wait(1_000, brought_records=True) == 10


def test_an_idle_wait_no_longer_than_the_busy_one_is_a_fixed_wait_kafkas_long_poll():
    production = FetchPacing.of(KafkaSettings(kafka_fetch_max_wait_ms=500, kafka_idle_fetch_max_wait_ms=500))
    assert not production.adapts
    assert production.next_wait(500, brought_records=False) == 500


def test_the_settings_pace_by_default_between_10_ms_and_one_second():
    assert FetchPacing.of(KafkaSettings()) == FetchPacing(busy_ms=10, idle_ms=1_000)


def test_aiokafkas_fetcher_still_reads_its_wait_from_the_attribute_pacing_sets_for_every_request():
    init = inspect.getsource(Fetcher.__init__)
    assert "self._fetch_max_wait_ms = fetch_max_wait_ms" in init, (
        "aiokafka renamed the fetcher's wait: fix fetch_pacing"
    )
    requests = inspect.getsource(Fetcher._get_actions_per_node)
    assert "self._fetch_max_wait_ms," in requests, "aiokafka no longer builds each FetchRequest from the attribute"


def test_aiokafkas_fetcher_still_calls_the_fetch_method_pacing_wraps_through_the_instance():
    assert list(inspect.signature(Fetcher._proc_fetch_request).parameters) == [
        "self",
        "assignment",
        "node_id",
        "request",
    ], "aiokafka changed the fetch method pacing wraps: fix fetch_pacing"
    routine = inspect.getsource(Fetcher._fetch_requests_routine)
    assert "self._proc_fetch_request(assignment, node_id, request)" in routine
    assert "needs_wakeup = True" in inspect.getsource(Fetcher._proc_fetch_request), "True no longer means records came"


async def test_every_consumer_lets_its_idle_fetcher_turn_once_a_second_not_five_times():
    from faststream.kafka import KafkaBroker

    from leadline.platform import kafka_clients
    from leadline.platform.kafka import group_subscriber

    groupless = kafka_clients.consumer(KafkaSettings(), group_id=None)
    assert groupless._consumer_timeout == kafka_clients.IDLE_TURN_MS / 1000 == 1.0
    grouped = group_subscriber(KafkaBroker("localhost:9092"), ["t"], consumer="g", fetch_max_wait_ms=10)
    assert grouped._connection_args["consumer_timeout_ms"] == kafka_clients.IDLE_TURN_MS  # FastStream's store
