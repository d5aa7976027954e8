"""Per-number throughput of sends, on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadline.ingest.domain.send_throughput import SendThroughput
from leadline.ingest.service.sending import wait_for_send_slot


class FakeTime:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
        self.start = self.now

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def elapsed_s(self) -> float:
        return (self.now - self.start).total_seconds()


async def test_200_sends_for_one_number_at_100_per_second_take_a_second():
    time, throughput = FakeTime(), SendThroughput(rate_per_s=100, burst=100)

    for _ in range(200):
        await wait_for_send_slot(throughput, "106540352242922", time.clock, time.sleep)

    assert 0.99 <= time.elapsed_s <= 1.01


async def test_a_burst_within_the_allowance_is_not_held():
    time, throughput = FakeTime(), SendThroughput(rate_per_s=80, burst=80)

    for _ in range(80):
        await wait_for_send_slot(throughput, "106540352242922", time.clock, time.sleep)

    assert time.elapsed_s == 0


async def test_one_busy_number_does_not_slow_another():
    time, throughput = FakeTime(), SendThroughput(rate_per_s=100, burst=100)
    for _ in range(150):
        await wait_for_send_slot(throughput, "111", time.clock, time.sleep)
    busy_until = time.now

    await wait_for_send_slot(throughput, "222", time.clock, time.sleep)

    assert time.now == busy_until
