"""The leads unit of work over SQLAlchemy: one session, one transaction, every repository."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.platform.unit_of_work import SessionOutbox, SessionUnitOfWork

from .lead_store import SqlLeads
from .projections import SqlConversations, SqlDirectory
from .sagas import SqlConflicts, SqlSagas


class SqlUnitOfWork(SessionUnitOfWork):
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        super().__init__(sessions)
        self._clock = clock

    def bind(self, session: AsyncSession) -> None:
        self.leads = SqlLeads(session, clock=self._clock)
        self.sagas = SqlSagas(session)
        self.conflicts = SqlConflicts(session)
        self.conversations = SqlConversations(session)
        self.directory = SqlDirectory(session)
        self.outbox = SessionOutbox(session, notify=not self.in_batch)
