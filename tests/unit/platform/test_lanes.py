"""How a fetched batch is dealt to lanes: small batches in one transaction, large ones spread, keys kept in order."""

from __future__ import annotations

from collections import namedtuple

import pytest

from leadline.platform.batches import RECORDS_PER_LANE, BatchDelivery, lanes_for

Record = namedtuple("Record", "topic key value")


@pytest.mark.parametrize(
    ("records", "keys", "most", "lanes"),
    [
        (12, 12, 10, 1),  # what a fetch brings at 100 msg/s: one transaction, not twelve
        (RECORDS_PER_LANE * 2, RECORDS_PER_LANE * 2, 10, 2),
        (500, 200, 10, 10),  # 1,000 msg/s: every connection of the pool
        (500, 3, 10, 3),  # never more lanes than keys
        (1, 1, 10, 1),
    ],
)
def test_a_lane_is_opened_per_share_of_records_within_the_keys_and_the_pool(records, keys, most, lanes):
    assert lanes_for(records, keys, most) == lanes


class DealtLanes(BatchDelivery):
    def __init__(self, **options) -> None:
        super().__init__(consumer=None, dead_letters=lambda: None, group="g", attempts=1, **options)  # type: ignore[arg-type]
        self.dealt: list[list[Record]] = []

    async def _work_lane(self, records):
        self.dealt.append(records)


def chat(key: str, count: int) -> list[Record]:
    return [Record("t", key.encode(), f"{key}-{n}") for n in range(count)]


async def test_a_small_batch_is_decided_in_one_lane_with_each_keys_records_in_order():
    delivery = DealtLanes(lanes=10)
    batch = [record for pair in zip(chat("a", 4), chat("b", 4), chat("c", 4), strict=True) for record in pair]

    await delivery.work_batch(batch)

    [lane] = delivery.dealt
    assert sorted(lane, key=lambda r: r.value) == sorted(batch, key=lambda r: r.value)
    for key in (b"a", b"b", b"c"):
        assert [r.value for r in lane if r.key == key] == [r.value for r in batch if r.key == key]


async def test_a_large_batch_is_spread_over_the_lanes_and_no_key_is_split():
    delivery = DealtLanes(lanes=4)
    batch = [record for key in range(40) for record in chat(f"k{key}", 5)]

    await delivery.work_batch(batch)

    assert len(delivery.dealt) == 4
    assert sum(len(lane) for lane in delivery.dealt) == len(batch)
    lanes_of_key = {r.key: {n for n, lane in enumerate(delivery.dealt) if r in lane} for r in batch}
    assert all(len(lanes) == 1 for lanes in lanes_of_key.values())
