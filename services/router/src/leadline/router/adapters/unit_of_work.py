"""The router unit of work over SQLAlchemy: one session, one transaction, every repository."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.platform.inbox import first_delivery
from leadline.platform.outbox import stage_events

from .account_cache import AccountCache, CachedAccountDirectory
from .account_directory import SqlAccountDirectory
from .chats import SqlChats, SqlLeadOwners
from .event_store import SqlConversations


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def stage(self, envelopes: Sequence[Envelope]) -> None:
        await stage_events(self._session, envelopes)


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 account_cache: AccountCache | None = None) -> None:
        self._sessions = sessions
        self._clock = clock
        self._account_cache = account_cache

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.conversations = SqlConversations(self.session, clock=self._clock)
        self.chats = SqlChats(self.session)
        self.lead_owners = SqlLeadOwners(self.session)
        directory = SqlAccountDirectory(self.session)
        self.accounts = CachedAccountDirectory(directory, self._account_cache, self.session) if self._account_cache else directory
        self.outbox = SqlOutbox(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
        await self.session.close()

    async def first_delivery(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Inbox: False when this consumer already applied the event (in this same transaction's terms)."""
        return await first_delivery(self.session, consumer, event_id)

    async def commit(self) -> None:
        await self.session.commit()
