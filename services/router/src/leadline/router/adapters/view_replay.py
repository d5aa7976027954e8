"""The conversation views' one replay: refolded from the event store into a shadow copy and swapped in, or in place.

Used by ``leadline replay router`` while the service runs (see ``leadline.platform.projection_replay``).
The views are written in the same transaction as the events they fold, so they never miss one; a replay
repairs a view after a fix to ``project``. ``position`` is assigned at insert, not at commit, so the build
remembers the positions it did not see (``holes``: rolled back, or not committed yet) and the catch-up,
with appends stopped by the lock, folds whichever of them exist now and everything after the last one seen.

The guard (``leadline.platform.replay_guard``): every conversation view must be explained by its stream in the
event store, from version 1 up to the version the view records; a removed view row is explained when its
conversation still has events (a fix to ``project`` that drops it), never when they are gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from leadline.platform.event_store import envelope_of
from leadline.platform.projection_replay import Progress
from leadline.platform.replay_guard import EXAMPLES, Objection, RemovalRule
from leadline.platform.shadow import LIVE_SCHEMA

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
    scopes: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: {
            "conversation": {conversation_view.name: "conversation_id", message_view.name: "conversation_id"},
        }
    )
    supports_since: bool = False
    removal_rules: Mapping[str, RemovalRule] = field(
        default_factory=lambda: {
            table.name: RemovalRule(
                f"EXISTS (SELECT 1 FROM {LIVE_SCHEMA}.{events.name} AS stored WHERE stored.stream_id = live.conversation_id::text)",
                names,
                "no event of its conversation is in the event store",
            )
            for table, names in (
                (conversation_view, "'conversation ' || live.conversation_id"),
                (message_view, "'message ' || live.message_id || ' of conversation ' || live.conversation_id"),
            )
        }
    )

    async def source_objections(self, *, since: datetime | None) -> list[Objection]:
        return []  # the event store is in the same database: checked against the views under the lock

    async def coverage_objections(
        self, connection: AsyncConnection, rebuilt: str, checkpoint: object, *, since: datetime | None
    ) -> list[Objection]:
        """Views recording more of a conversation than its stored stream holds (events deleted, or a wrong database)."""
        unexplained = (
            f"FROM {LIVE_SCHEMA}.{conversation_view.name} AS shown LEFT JOIN LATERAL (SELECT min(version) AS first_version, "
            f"max(version) AS last_version FROM {LIVE_SCHEMA}.{events.name} WHERE stream_id = shown.conversation_id::text) AS stored "
            "ON true WHERE stored.last_version IS NULL OR stored.last_version < shown.version OR stored.first_version > 1"
        )
        count = int((await connection.execute(text(f"SELECT count(*) {unexplained}"))).scalar_one())
        if not count:
            return []
        examples = (
            await connection.execute(
                text(
                    f"SELECT shown.conversation_id, shown.version, stored.first_version, stored.last_version {unexplained} "
                    f"ORDER BY shown.conversation_id LIMIT {EXAMPLES}"
                )
            )
        ).all()
        named = "; ".join(
            f"{row.conversation_id} at version {row.version}, stored "
            + (f"versions {row.first_version}–{row.last_version}" if row.last_version else "none")
            for row in examples
        )
        return [Objection(f"the event store ends before what {count} conversation view(s) record ({named})")]

    async def build(
        self, sessions: async_sessionmaker[AsyncSession], *, since: datetime | None, progress: Progress
    ) -> Checkpoint:
        if since is not None:
            raise ValueError(
                "the router's views are written with their events and miss none: replay them from the beginning"
            )
        async with sessions() as session:
            expected = await session.scalar(select(events.c.position).order_by(events.c.position.desc()).limit(1)) or 0
        checkpoint, read = Checkpoint(), 0
        while True:
            async with sessions() as session, session.begin():
                folded = await fold_stored_events(session, checkpoint, limit=self.batch_size)
            read += folded
            progress(read, max(read, expected))
            if not folded:
                return checkpoint

    async def catch_up(self, sessions: async_sessionmaker[AsyncSession], checkpoint: object) -> int:
        assert isinstance(checkpoint, Checkpoint)
        async with sessions() as session, session.begin():
            return await fold_stored_events(session, checkpoint, holes_too=True)


async def fold_stored_events(
    session: AsyncSession, checkpoint: Checkpoint, *, limit: int | None = None, holes_too: bool = False
) -> int:
    """Fold the stored events after ``checkpoint.last`` into the views, in position order (``holes_too``: and the
    positions it skipped, if they exist now); moves the checkpoint on and returns how many events it folded.

    The one way the views are refolded: the replay's build and catch-up, and an offline rebuild (``refold_views``).
    """
    missed = events.c.position.in_(checkpoint.holes) if holes_too and checkpoint.holes else False
    query = select(events).where(or_(events.c.position > checkpoint.last, missed)).order_by(events.c.position)
    rows = (await session.execute(query.limit(limit) if limit else query)).all()
    for row in rows:
        await project(session, envelope_of(events, row))
        if row.position > checkpoint.last:
            checkpoint.holes.extend(range(checkpoint.last + 1, row.position))
            checkpoint.last = row.position
    return len(rows)


async def refold_views(session: AsyncSession) -> int:
    """Empty the views and fold every stored event into them, in this transaction; returns how many were folded."""
    await session.execute(delete(message_view))
    await session.execute(delete(conversation_view))
    checkpoint, folded = Checkpoint(), 0
    while batch := await fold_stored_events(session, checkpoint, limit=1000):
        folded += batch
    return folded
