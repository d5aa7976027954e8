"""The conversation views as a ``ReplayableProjection``: refolded from the event store into a shadow copy, swapped in.

Used by ``leadline replay router`` while the service runs (see ``leadline.platform.projection_replay``).
The views are written in the same transaction as the events they fold, so they never miss one; a replay
repairs a view after a fix to ``project``. ``position`` is assigned at insert, not at commit, so the build
remembers the positions it did not see (``holes``: rolled back, or not committed yet) and the catch-up,
with appends stopped by the lock, folds whichever of them exist now and everything after the last one seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.platform.event_store import envelope_of
from leadline.platform.projection_replay import Progress

from .projections import project
from .tables import conversation_view, events, message_view


@dataclass
class Checkpoint:
    last: int = 0
    holes: list[int] = field(default_factory=list)


@dataclass
class ConversationViewsReplay:
    batch_size: int = 1000
    name: str = "router"
    tables: list[str] = field(default_factory=lambda: [conversation_view.name, message_view.name])
    lock_tables: list[str] = field(default_factory=lambda: [conversation_view.name, message_view.name, events.name])
    scopes: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: {
        "conversation": {conversation_view.name: "conversation_id", message_view.name: "conversation_id"},
    })
    supports_since: bool = False

    async def build(self, sessions: async_sessionmaker[AsyncSession], *, since: datetime | None,
                    progress: Progress) -> Checkpoint:
        if since is not None:
            raise ValueError("the router's views are written with their events and miss none: replay them from the beginning")
        async with sessions() as session:
            expected = await session.scalar(select(events.c.position).order_by(events.c.position.desc()).limit(1)) or 0
        checkpoint, read = Checkpoint(), 0
        while True:
            async with sessions() as session, session.begin():
                rows = (await session.execute(select(events).where(events.c.position > checkpoint.last)
                                              .order_by(events.c.position).limit(self.batch_size))).all()
                for row in rows:
                    await project(session, envelope_of(events, row))
                    checkpoint.holes.extend(range(checkpoint.last + 1, row.position))
                    checkpoint.last = row.position
            read += len(rows)
            progress(read, max(read, expected))
            if not rows:
                return checkpoint

    async def catch_up(self, sessions: async_sessionmaker[AsyncSession], checkpoint: object) -> int:
        assert isinstance(checkpoint, Checkpoint)
        async with sessions() as session, session.begin():
            missed = events.c.position.in_(checkpoint.holes) if checkpoint.holes else False
            rows = (await session.execute(select(events).where(or_(events.c.position > checkpoint.last, missed))
                                          .order_by(events.c.position))).all()
            for row in rows:
                await project(session, envelope_of(events, row))
        return len(rows)
