"""The router unit of work over SQLAlchemy: one session, one transaction, every repository."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.platform.inbox import first_delivery
from leadline.platform.unit_of_work import SessionOutbox, SessionUnitOfWork

from .account_cache import AccountCache, CachedAccountDirectory
from .account_directory import SqlAccountDirectory
from .chats import SqlChats, SqlLeadOwners
from .customers import SqlCustomers
from .event_store import SqlConversations
from .number_connections import SqlNumberConnections


class SqlUnitOfWork(SessionUnitOfWork):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        account_cache: AccountCache | None = None,
    ) -> None:
        super().__init__(sessions)
        self._clock = clock
        self._account_cache = account_cache

    def bind(self, session: AsyncSession) -> None:
        self.conversations = SqlConversations(session, clock=self._clock)
        self.customers = SqlCustomers(session)
        self.chats = SqlChats(session)
        self.lead_owners = SqlLeadOwners(session)
        self.number_connections = SqlNumberConnections(session)
        directory = SqlAccountDirectory(session)
        self.accounts = (
            CachedAccountDirectory(directory, self._account_cache, session) if self._account_cache else directory
        )
        self.outbox = SessionOutbox(session)

    async def first_delivery(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Inbox: False when this consumer already applied the event (in this same transaction's terms)."""
        return await first_delivery(self.session, consumer, event_id)
