"""The timeline's one replay: from its topics into a shadow copy swapped in, or into the emptied tables.

``leadline replay history`` uses it as a ``ReplayableProjection`` while the service runs (see
``leadline.platform.projection_replay``); ``rebuild`` fills an empty timeline in place (the service stopped).
A replay for one lead or conversation still reads every topic — a lead's timeline depends on its
conversations' events on three topics — and only that lead's or conversation's rows are replaced.

The guard (``leadline.platform.replay_guard``) asks of the topics: every partition starts at offset 0; every event
in the live inbox was read again (rebuilt from the beginning); no stream's live position is past the last sequence
read. A removed entry or staged message is explained when its source event was replayed; a conversation row when
its conversation's stream was; stored media never disappears in a rebuild, so its removal is never explained.
With ``--from`` the live inbox and positions are copied, not rebuilt: the topics must hold at least as many events
as the live inbox, and only streams the replay met are compared.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.platform.messaging_tables import INBOX, STREAM_POSITIONS
from leadline.platform.projection_replay import Progress
from leadline.platform.replay_guard import (
    Objection,
    RemovalRule,
    events_the_source_lacks,
    fewer_events_than_applied,
    streams_behind,
    topic_objections,
)
from leadline.platform.settings import KafkaSettings

from ..service.ports import TimelineStore
from .parallel_replay import replay_in_parallel
from .replay import RebuildProgress, empty_projection, replay_topics
from .tables import PROJECTION_TABLES, conversations, staged_messages, stored_media, timeline_entries

Handle = Callable[[TimelineStore, Envelope, object], Awaitable[None]]


@dataclass
class TopicCheckpoint:
    positions: dict[TopicPartition, int]
    """The next offset per partition: where the catch-up starts."""
    reached: dict[str, int]
    """The last sequence read per stream, build and catch-up together."""


@dataclass
class TimelineReplay:
    kafka: KafkaSettings
    topics: Sequence[str]
    consumer: str
    handle: Handle
    batch_size: int = 5000
    workers: int = 1
    """Processes sharing the partitions of a rebuild or build (a catch-up is short: it runs in this one)."""
    stages: Sequence[Sequence[str]] = ()
    """With ``workers`` > 1, the topics in the order their stages are replayed (see ``parallel_replay``)."""
    name: str = "history"
    # The history database has one consumer, so its inbox and positions travel with the projection.
    tables: list[str] = field(
        default_factory=lambda: [t.name for t in PROJECTION_TABLES] + [INBOX.name, STREAM_POSITIONS.name]
    )
    supports_since: bool = True
    scopes: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "lead": {timeline_entries.name: "lead_id", conversations.name: "lead_id"},
            "conversation": {
                timeline_entries.name: "conversation_id",
                conversations.name: "conversation_id",
                staged_messages.name: "conversation_id",
            },
        }
    )

    removal_rules: Mapping[str, RemovalRule] = field(
        default_factory=lambda: {
            timeline_entries.name: RemovalRule(
                "EXISTS (SELECT 1 FROM {rebuilt}.inbox AS replayed WHERE replayed.event_id = live.source_event_id)",
                "live.kind || ' ' || live.source_key || coalesce(' of lead ' || live.lead_id, '')",
                "the event it was recorded from is not in the topics",
            ),
            staged_messages.name: RemovalRule(
                "EXISTS (SELECT 1 FROM {rebuilt}.inbox AS replayed WHERE replayed.event_id = live.source_event_id)",
                "'message ' || live.message_id || ' of conversation ' || live.conversation_id",
                "the event that staged it is not in the topics",
            ),
            conversations.name: RemovalRule(
                "EXISTS (SELECT 1 FROM {rebuilt}.stream_positions AS replayed WHERE replayed.stream_id = live.conversation_id::text)",
                "'conversation ' || live.conversation_id || coalesce(' of lead ' || live.lead_id, '')",
                "no event of this conversation is in the topics",
            ),
            stored_media.name: RemovalRule(
                "false",
                "'media of ' || live.wamid",
                "a rebuild never drops stored media: its media.stored event is gone",
            ),
        }
    )

    @property
    def lock_tables(self) -> list[str]:
        return self.tables

    async def rebuild(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        progress: Callable[[RebuildProgress], None] | None = None,
        force: bool = False,
    ) -> RebuildProgress:
        """Empty the projection ``sessions`` write to and replay every event produced before now into it (the live
        consumer stopped). Refused (``ReplayRefused``) unless the projection is empty and the topics whole, or
        ``force``: it would wipe what it cannot compare with its source (``leadline replay history`` compares)."""
        await empty_projection(sessions, kafka=self.kafka, topics=self.topics, consumer=self.consumer, force=force)
        return await self._replay(sessions, progress=progress, fresh=True, parallel=True)

    async def source_objections(self, *, since: datetime | None) -> list[Objection]:
        return await topic_objections(self.kafka, list(self.topics))

    async def build(
        self, sessions: async_sessionmaker[AsyncSession], *, since: datetime | None, progress: Progress
    ) -> TopicCheckpoint:
        def report(state: RebuildProgress) -> None:
            progress(state.read, state.total)

        state = await self._replay(
            sessions,
            progress=report,
            fresh=since is None,
            since_ms=int(since.timestamp() * 1000) if since else None,
            parallel=True,
        )
        return TopicCheckpoint(dict(state.positions), dict(state.reached))

    async def catch_up(self, sessions: async_sessionmaker[AsyncSession], checkpoint: object) -> int:
        assert isinstance(checkpoint, TopicCheckpoint)
        state = await self._replay(sessions, progress=None, fresh=False, start=checkpoint.positions)
        checkpoint.positions = dict(state.positions)
        for stream, sequence in state.reached.items():
            checkpoint.reached[stream] = max(sequence, checkpoint.reached.get(stream, 0))
        return state.read

    async def coverage_objections(
        self, connection: AsyncConnection, rebuilt: str, checkpoint: object, *, since: datetime | None
    ) -> list[Objection]:
        assert isinstance(checkpoint, TopicCheckpoint)
        from_scratch = since is None
        if from_scratch:
            lacking = await events_the_source_lacks(connection, rebuilt, self.consumer)
        else:  # the inbox was copied, not rebuilt: compare how many events the topics hold in all
            lacking = await fewer_events_than_applied(connection, self.consumer, sum(checkpoint.positions.values()))
        return lacking + await streams_behind(connection, self.consumer, checkpoint.reached, complete=from_scratch)

    async def _replay(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        progress: Callable[[RebuildProgress], None] | None,
        fresh: bool,
        since_ms: int | None = None,
        start: Mapping[TopicPartition, int] | None = None,
        parallel: bool = False,
    ) -> RebuildProgress:
        how = {"kafka": self.kafka, "consumer": self.consumer, "handle": self.handle, "batch_size": self.batch_size}
        where = {"progress": progress, "fresh": fresh, "since_ms": since_ms, "start": start}
        if parallel and self.workers > 1:
            stages = self.stages or [self.topics]
            return await replay_in_parallel(sessions, stages=stages, workers=self.workers, **how, **where)
        return await replay_topics(sessions, topics=self.topics, **how, **where)
