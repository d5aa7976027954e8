"""The timeline as a ``ReplayableProjection``: replayed from its topics into a shadow copy, then swapped in.

Used by ``leadline replay history`` while the service runs (see ``leadline.platform.projection_replay``).
A replay for one lead or conversation still reads every topic — a lead's timeline depends on its
conversations' events on three topics — and only that lead's or conversation's rows are replaced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.platform.messaging_tables import INBOX, STREAM_POSITIONS
from leadline.platform.projection_replay import Progress

from ..service.ports import TimelineStore
from .replay import RebuildProgress, replay_topics
from .tables import PROJECTION_TABLES, conversations, staged_messages, timeline_entries

Handle = Callable[[TimelineStore, Envelope, object], Awaitable[None]]


@dataclass
class TimelineReplay:
    bootstrap_servers: str
    topics: Sequence[str]
    consumer: str
    handle: Handle
    batch_size: int = 1000
    name: str = "history"
    # The history database has one consumer, so its inbox and positions travel with the projection.
    tables: list[str] = field(default_factory=lambda: [t.name for t in PROJECTION_TABLES] + [INBOX.name, STREAM_POSITIONS.name])
    supports_since: bool = True
    scopes: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: {
        "lead": {timeline_entries.name: "lead_id", conversations.name: "lead_id"},
        "conversation": {timeline_entries.name: "conversation_id", conversations.name: "conversation_id",
                         staged_messages.name: "conversation_id"},
    })

    @property
    def lock_tables(self) -> list[str]:
        return self.tables

    async def build(self, sessions: async_sessionmaker[AsyncSession], *, since: datetime | None,
                    progress: Progress) -> Mapping[TopicPartition, int]:
        state = await self._replay(sessions, progress=progress, fresh=since is None,
                                   since_ms=int(since.timestamp() * 1000) if since else None)
        return state.positions

    async def catch_up(self, sessions: async_sessionmaker[AsyncSession], checkpoint: object) -> int:
        assert isinstance(checkpoint, Mapping)
        state = await self._replay(sessions, progress=None, fresh=False, start=checkpoint)
        return state.read

    async def _replay(self, sessions: async_sessionmaker[AsyncSession], *, progress: Progress | None, fresh: bool,
                      since_ms: int | None = None, start: Mapping[TopicPartition, int] | None = None) -> RebuildProgress:
        def report(state: RebuildProgress) -> None:
            if progress:
                progress(state.read, state.total)

        return await replay_topics(sessions, bootstrap_servers=self.bootstrap_servers, topics=self.topics,
                                   consumer=self.consumer, handle=self.handle, batch_size=self.batch_size,
                                   progress=report, fresh=fresh, since_ms=since_ms, start=start)
