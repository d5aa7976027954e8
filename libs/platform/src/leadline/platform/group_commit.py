"""Group commit: callers that arrive while a transaction is running are stored together in the next one.

Each caller still waits for *its* data to be committed before it is answered, so the
durability promise is unchanged; what changes is that one commit (and one round-trip per
statement) serves a whole batch. Batches form naturally: no timer is added, so a lone
request is written at once, and under load the batch is whatever queued meanwhile.
If a batch fails, its items are retried one by one, so one bad item fails only itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self, write_batch: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], *, max_batch: int = 256
    ) -> None:
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Store ``item`` with whatever else is waiting; returns once it is committed."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            try:
                results = await self._write_batch([item for item, _ in batch])
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
            except Exception as error:
                if len(batch) == 1:
                    _, future = batch[0]
                    if not future.done():
                        future.set_exception(error)
                else:
                    await self._one_by_one(batch)

    async def _one_by_one(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        for item, future in batch:
            try:
                [result] = await self._write_batch([item])
                if not future.done():
                    future.set_result(result)
            except Exception as error:
                if not future.done():
                    future.set_exception(error)
