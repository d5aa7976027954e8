"""A batch subscriber's idle loop: one wait for records, no sleep after an empty one (``batches``)."""

from __future__ import annotations

import asyncio
import inspect
import time

from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber

from leadline.platform.batches import take_batches_without_idle_sleep


class Fetcher:
    """aiokafka's ``getmany`` as the loop sees it: records by partition once they are there, {} after the wait."""

    def __init__(self, batches: list[dict[str, list[str]]]) -> None:
        self.batches = batches
        self.waits: list[int] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[str, list[str]]:
        self.waits.append(timeout_ms)
        return self.batches.pop(0) if self.batches else {}


def test_faststream_still_takes_each_batch_through_get_msg():
    # the replacement works only while FastStream's loop asks get_msg for every batch
    assert "await self.get_msg(consumer)" in inspect.getsource(LogicSubscriber._run_consume_loop)


async def test_an_empty_wait_is_not_followed_by_a_sleep_and_records_come_as_one_batch():
    subscriber = KafkaBroker("localhost:9092").subscriber("t", group_id="g", batch=True, max_records=7)
    take_batches_without_idle_sleep(subscriber, wait_ms=1000)
    fetcher = Fetcher([{}, {"t-0": ["a", "b"], "t-1": ["c"]}])

    started = time.monotonic()
    assert await subscriber.get_msg(fetcher) == ()
    assert await subscriber.get_msg(fetcher) == ("a", "b", "c")
    assert time.monotonic() - started < 0.05  # FastStream's own get_msg slept its timeout after the empty one
    assert fetcher.waits == [1000, 1000]


async def test_the_wait_is_long_only_because_records_end_it():
    subscriber = KafkaBroker("localhost:9092").subscriber("t", group_id="g", batch=True)
    take_batches_without_idle_sleep(subscriber, wait_ms=1000)

    class Arriving(Fetcher):
        async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[str, list[str]]:
            await asyncio.sleep(0.01)  # aiokafka answers as soon as its fetcher holds records
            return {"t-0": ["late"]}

    assert await subscriber.get_msg(Arriving([])) == ("late",)
