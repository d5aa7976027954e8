"""The leads unit of work over SQLAlchemy: one session, one transaction, every repository."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.platform.inbox import StreamPosition, advance_stream, first_delivery
from leadline.platform.outbox import stage_events

from .lead_store import SqlLeads
from .projections import SqlConversations, SqlDirectory
from .sagas import SqlConflicts, SqlSagas


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stage(self, envelopes: Sequence[Envelope]) -> None:
        await stage_events(self._session, envelopes)


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._sessions = sessions
        self._clock = clock

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.leads = SqlLeads(self.session, clock=self._clock)
        self.sagas = SqlSagas(self.session)
        self.conflicts = SqlConflicts(self.session)
        self.conversations = SqlConversations(self.session)
        self.directory = SqlDirectory(self.session)
        self.outbox = SqlOutbox(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
        await self.session.close()

    async def first_delivery(self, consumer: str, event_id: uuid.UUID) -> bool:
        return await first_delivery(self.session, consumer, event_id)

    async def applies_next(self, consumer: str, stream_id: str, sequence: int) -> bool:
        """Projections skip what they already applied; a gap is logged by the platform and applied anyway."""
        return await advance_stream(self.session, consumer, stream_id, sequence) is not StreamPosition.ALREADY_APPLIED

    async def commit(self) -> None:
        await self.session.commit()
