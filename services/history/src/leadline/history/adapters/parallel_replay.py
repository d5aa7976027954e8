"""A replay split over worker processes: each reads its share of the topics' partitions into the same tables.

On two cores, parallel means processes: each worker decodes and folds its partitions in its own interpreter while
the others' PostgreSQL backends write. Workers share nothing in memory, so what one worker's events need from
another's is read from the tables, and the topics are replayed in ``stages``: a stage starts when the one before
it has committed. History's stages are the leads and media topics first (a conversation's lead, a message's
stored copy), then the conversations: a conversation's events are on one partition of one topic, so within that
stage no two workers touch the same conversation, entry or staged message, and each finish finds its lead and
media already in the tables. The folds accept either order of their topics (a lead met after the conversation's
entries is written onto them, a media copy met after its entry too), so the tables end as the serial replay
leaves them; ``tests/integration/history/test_parallel_replay.py`` compares the two.

Workers are forked, not spawned: they start with the parent's modules imported (a spawned worker would spend
seconds of CPU importing them again), and open their own broker and database connections.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from aiokafka import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from leadline.events import Envelope
from leadline.platform.settings import KafkaSettings

from ..service.ports import TimelineStore
from .replay import RebuildProgress, replay_topics


@dataclass(frozen=True)
class _Share:
    """What one worker replays, and where: everything a forked process needs to open its own connections."""

    database_url: str
    search_path: str
    kafka: KafkaSettings
    topics: Sequence[str]
    consumer: str
    handle: Callable[[TimelineStore, Envelope, object], Awaitable[None]]
    batch_size: int
    fresh: bool
    since_ms: int | None
    start: Mapping[TopicPartition, int] | None
    cutoff_ms: int
    share: tuple[int, int]


async def replay_in_parallel(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kafka: KafkaSettings,
    stages: Sequence[Sequence[str]],
    consumer: str,
    handle: Callable[[TimelineStore, Envelope, object], Awaitable[None]],
    workers: int,
    batch_size: int = 1000,
    progress: Callable[[RebuildProgress], None] | None = None,
    fresh: bool = False,
    since_ms: int | None = None,
    start: Mapping[TopicPartition, int] | None = None,
) -> RebuildProgress:
    """``replay_topics`` over every topic of ``stages``, stage after stage, each stage's partitions shared by
    ``workers`` processes. ``progress`` hears of each worker's share when it is done (not after every batch)."""
    started = time.monotonic()
    cutoff_ms = int(time.time() * 1000)  # one cutoff for every worker and stage: the events produced before now
    database_url, search_path = await _where_sessions_write(sessions)
    state = RebuildProgress(total=0)
    context = multiprocessing.get_context("fork")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for topics in stages:
            shares = [
                _Share(
                    database_url,
                    search_path,
                    kafka,
                    tuple(topics),
                    consumer,
                    handle,
                    batch_size,
                    fresh,
                    since_ms,
                    start,
                    cutoff_ms,
                    (index, workers),
                )
                for index in range(workers)
            ]
            for done in asyncio.as_completed([loop.run_in_executor(pool, _replay_share, s) for s in shares]):
                _merge(state, await done)
                state.elapsed_s = time.monotonic() - started
                if progress:
                    progress(state)
    state.elapsed_s = time.monotonic() - started
    return state


async def _where_sessions_write(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, str]:
    """The database and search path of ``sessions`` (a shadow replay's schema, or the live one)."""
    async with sessions() as session:
        search_path = await session.scalar(text("SHOW search_path"))
        url = session.get_bind().url.render_as_string(hide_password=False)
    return url, str(search_path)


def _replay_share(share: _Share) -> RebuildProgress:
    """In the worker process: its share of the stage, on connections of its own."""
    # forked from inside the parent's event loop: this process runs none until it starts its own
    asyncio._set_running_loop(None)
    return asyncio.run(_replay_share_async(share))


async def _replay_share_async(share: _Share) -> RebuildProgress:
    engine = create_async_engine(
        share.database_url,
        pool_size=1,
        max_overflow=1,
        connect_args={"server_settings": {"search_path": share.search_path}},
    )
    try:
        return await replay_topics(
            async_sessionmaker(engine, expire_on_commit=False),
            kafka=share.kafka,
            topics=share.topics,
            consumer=share.consumer,
            handle=share.handle,
            batch_size=share.batch_size,
            fresh=share.fresh,
            since_ms=share.since_ms,
            start=share.start,
            cutoff_ms=share.cutoff_ms,
            share=share.share,
        )
    finally:
        await engine.dispose()


def _merge(state: RebuildProgress, part: RebuildProgress) -> None:
    state.total += part.total
    state.read += part.read
    state.applied += part.applied
    state.skipped += part.skipped
    state.undecodable += part.undecodable
    state.positions.update(part.positions)  # the workers' partitions are disjoint
    for stream, sequence in part.reached.items():
        state.reached[stream] = max(sequence, state.reached.get(stream, 0))
    for stage, spent in part.seconds.items():
        state.seconds[stage] += spent
