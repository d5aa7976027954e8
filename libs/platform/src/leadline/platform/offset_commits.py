"""When a record-at-a-time consumer commits its offsets.

A record whose event the consumer handled is committed at once, after its effect: a crash then redelivers at most
the record being handled, as before. A record it passes by (most of what ingest reads is the router's talk about
conversations, which ingest does not act on) changes nothing, so its offset waits: it goes with the next handled
record's commit, or at the latest ``PASSED_BY_COMMIT_S`` after it, so the group's committed position (what
``kafka-consumer-groups`` shows as lag) keeps up. A commit per passed-by record cost the consumer about a quarter of
a millisecond of CPU and the broker a request of its own; a crash now re-reads at most a second of records it will
pass by again.

Offsets are committed as numbers (the next offset of each partition's last finished record), never as the consumer's
position, which already counts the record being handled; and one commit at a time, so a partition's committed
offset never goes back.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiokafka import TopicPartition

log = structlog.get_logger(__name__)

PASSED_BY_COMMIT_S = 1.0


class OffsetCommits:
    """The offsets one subscriber has finished and not yet committed. ``subscriber``: FastStream's, whose
    ``consumer`` attribute is the aiokafka consumer once started."""

    def __init__(self, subscriber: Any, *, passed_by_commit_s: float = PASSED_BY_COMMIT_S) -> None:
        self._subscriber = subscriber
        self._delay_s = passed_by_commit_s
        self._finished: dict[TopicPartition, int] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._one_at_a_time = asyncio.Lock()
        self._late: set[asyncio.Task[None]] = set()

    async def handled(self, record: Any) -> None:
        """``record``'s effect is committed: commit it now, with whatever was passed by before it."""
        self._finish(record)
        await self._commit()

    def passed_by(self, record: Any) -> None:
        """``record`` needed nothing: commit it with the next handled record, or within ``passed_by_commit_s``."""
        self._finish(record)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._delay_s, self._commit_later)

    def _finish(self, record: Any) -> None:
        self._finished[TopicPartition(record.topic, record.partition)] = record.offset + 1

    def _commit_later(self) -> None:
        task = asyncio.create_task(self._commit())
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    async def _commit(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        async with self._one_at_a_time:
            consumer = getattr(self._subscriber, "consumer", None)
            if consumer is None or not self._finished:
                return
            offsets, self._finished = self._finished, {}
            assigned = consumer.assignment()
            offsets = {partition: offset for partition, offset in offsets.items() if partition in assigned}
            if not offsets:
                return  # given away in a rebalance: the new owner reads them again, and they were harmless to redo
            try:
                await consumer.commit(offsets)
            except Exception as error:  # a rebalance under way, the broker away: the records are read again
                log.warning("offsets not committed; their records will be read again", error=str(error))
