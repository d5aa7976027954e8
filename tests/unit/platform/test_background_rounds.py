"""A background loop runs its round on an interval, outlives a failed round, counts both and stops when cancelled."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY as METRICS

from leadline.platform.rounds import every


def rounds(loop: str, outcome: str) -> float:
    return METRICS.get_sample_value("leadline_background_rounds_total", {"loop": loop, "outcome": outcome}) or 0.0


async def test_a_failed_round_is_counted_and_the_next_round_still_runs():
    calls: list[int] = []
    enough = asyncio.Event()

    async def round_() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise ConnectionError("database went away")
        if len(calls) == 4:
            enough.set()

    task = asyncio.create_task(every(0.001, "unit-test-flaky", round_))
    await asyncio.wait_for(enough.wait(), timeout=5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert len(calls) >= 4
    assert rounds("unit-test-flaky", "failed") == 1
    assert rounds("unit-test-flaky", "done") >= 3


async def test_cancelling_stops_the_loop_inside_a_round():
    started, release = asyncio.Event(), asyncio.Event()

    async def round_() -> None:
        started.set()
        await release.wait()

    task = asyncio.create_task(every(60, "unit-test-stuck", round_))
    await asyncio.wait_for(started.wait(), timeout=5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert rounds("unit-test-stuck", "failed") == 0
