"""Group commit: one write serves everyone waiting, each caller answered after its own write, failures isolated."""

from __future__ import annotations

import asyncio

import pytest

from leadline.platform.group_commit import GroupCommit


class Store:
    def __init__(self, *, poison: set[int] = frozenset(), delay_s: float = 0.01) -> None:
        self.batches: list[list[int]] = []
        self.committed: set[int] = set()
        self.poison = poison
        self.delay_s = delay_s

    async def write(self, items):
        await asyncio.sleep(self.delay_s)  # a transaction in flight: newcomers queue meanwhile
        if self.poison & set(items):
            raise ValueError(f"cannot store {sorted(self.poison & set(items))}")
        self.batches.append(list(items))
        self.committed.update(items)
        return [f"stored {item}" for item in items]


async def test_callers_arriving_during_a_write_share_the_next_one():
    store = Store()
    group = GroupCommit(store.write)
    first = asyncio.create_task(group.submit(0))
    await asyncio.sleep(0.001)  # the first write is now in flight
    results = [await first, *await asyncio.gather(*(group.submit(n) for n in range(1, 50)))]
    assert results == [f"stored {n}" for n in range(50)]
    assert store.batches[0] == [0], "a lone first caller is written at once, with no timer"
    assert len(store.batches) == 2 and sorted(store.batches[1]) == list(range(1, 50))


async def test_a_caller_is_answered_only_after_its_own_item_is_committed():
    store = Store()
    group = GroupCommit(store.write)

    async def submit_and_check(n: int) -> bool:
        await group.submit(n)
        return n in store.committed

    assert all(await asyncio.gather(*(submit_and_check(n) for n in range(20))))


async def test_one_bad_item_fails_only_its_own_caller():
    store = Store(poison={7})
    group = GroupCommit(store.write)
    results = await asyncio.gather(*(group.submit(n) for n in range(12)), return_exceptions=True)
    assert isinstance(results[7], ValueError)
    assert [r for i, r in enumerate(results) if i != 7] == [f"stored {n}" for n in range(12) if n != 7]
    assert store.committed == set(range(12)) - {7}


async def test_batches_never_exceed_the_maximum():
    store = Store()
    group = GroupCommit(store.write, max_batch=8)
    await asyncio.gather(*(group.submit(n) for n in range(40)))
    assert max(len(batch) for batch in store.batches) <= 8
    assert store.committed == set(range(40))


async def test_a_lone_failing_item_raises_to_its_caller():
    group = GroupCommit(Store(poison={1}).write)
    with pytest.raises(ValueError, match="cannot store"):
        await group.submit(1)
